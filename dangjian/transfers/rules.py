"""Rules of 组织关系转接 and the exits of DOMAIN §2, as data with their sources (settings per jurisdiction
through the compliance rulebook; children inherit the nearest ancestor's override). Whole numbers only.

The 自行脱党 thresholds are not repeated here: the proposals use the life app's `life.absence` (risk_months)
and the dues app's `dues.arrears_lapse` (months), so one setting governs both the finding and the proposal.
"""

from dangjian.compliance.rulebook import Rule, Severity, Tag

LETTER_VALIDITY = "transfers.letter_validity"
LETTER_EXPIRED = "transfers.letter_expired"
LOST_CONTACT = "transfers.lost_contact"
SUSPENDED_REMOVE = "transfers.suspended_remove"
ABROAD_YEARS = "transfers.abroad_years"

RULES = [
    Rule(LETTER_VALIDITY, "组织关系介绍信有效期一般不超过3个月", "教管 第二十五条（有效期各地口径不一）", Tag.DISPUTED,
         Severity.INFO, {"months": 3}, {"months": "有效期（月）"}, param_bounds={"months": (1, 12)}),
    Rule(LETTER_EXPIRED, "介绍信有效期内未办结的组织关系转接", "教管 第二十五条（转出组织在接收前仍负管理责任）",
         Tag.VERBATIM, Severity.OVERDUE),
    Rule(LOST_CONTACT, "与党组织失去联系6个月以上的党员，应停止其党籍", "教管 第二十四条", Tag.VERBATIM,
         Severity.OVERDUE, {"months": 6}, {"months": "失联月数"}, param_bounds={"months": (1, 24)}),
    Rule(SUSPENDED_REMOVE, "停止党籍2年后仍无法取得联系的，按除名处理", "教管 第二十四条", Tag.VERBATIM,
         Severity.OVERDUE, {"years": 2}, {"years": "停止党籍年数"}, param_bounds={"years": (1, 5)}),
    Rule(ABROAD_YEARS, "出国（境）保留党籍的期限", "出国（境）党员党籍管理规定（DOMAIN 未收录，待核实）", Tag.UNVERIFIED,
         Severity.WARNING, {"years": 5}, {"years": "保留党籍年数"}, param_bounds={"years": (1, 10)}),
]
