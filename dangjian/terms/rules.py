"""The 换届 rules of DOMAIN §6, as data with their sources (configurable per organisation through the
compliance rulebook; children inherit the nearest ancestor's setting).

The quorum (实到 > ⅘ of 应到) and the winning threshold (赞成 > ½ of 实到) are 选条 [V] and are not settings:
they are the "election" rule of dangjian.life.services.VOTE_RULES, shared with meeting votes.
"""

from dangjian.compliance.rulebook import Rule, Severity, Tag

TERM_YEARS = "terms.term_years"
COMPETITIVE = "terms.competitive"
NOTICE = "terms.notice"
DUE_SOON = "terms.due_soon"
OVERDUE = "terms.overdue"
EXTENSION_MAX = "terms.extension_max"
NO_RECORD = "terms.no_record"
SECRETARY_PARTY_AGE = "terms.secretary_party_age"

RULES = [
    Rule(TERM_YEARS, "基层党委每届5年，党总支、党支部每届3年", "支条 第二十一条；2018年基层党组织换届意见",
         Tag.VERBATIM, Severity.INFO,
         {"party_committee": 5, "general_branch": 3, "branch": 3},
         {"party_committee": "基层党委任期（年）", "general_branch": "党总支任期（年）",
          "branch": "党支部（含联合党支部）任期（年）"},
         param_bounds={"party_committee": (1, 10), "general_branch": (1, 10), "branch": (1, 10)}),
    Rule(COMPETITIVE, "委员实行差额选举，候选人数多于应选人数20%", "选条 第十条（差额比例各地口径不一）",
         Tag.LOCAL, Severity.ERROR, {"percent": 20}, {"percent": "候选人数多于应选人数的比例（%）"},
         param_bounds={"percent": (0, 100)}),
    Rule(NOTICE, "届满前90天提示做好换届准备", "选条 第三条（按期换届；提前提示为本平台做法）", Tag.LOCAL, Severity.INFO,
         {"days": 90}, {"days": "届满前天数"}, param_bounds={"days": (1, 365)}),
    Rule(DUE_SOON, "届满前60天：换届即将到期", "选条 第三条（按期换届；提前提示为本平台做法）", Tag.LOCAL,
         Severity.WARNING, {"days": 60}, {"days": "届满前天数"}, param_bounds={"days": (1, 365)}),
    Rule(OVERDUE, "任期届满应按期换届（届满次日起逾期，经批准延期的除外）", "选条 第三条", Tag.VERBATIM,
         Severity.OVERDUE),
    Rule(EXTENSION_MAX, "延期换届须经上级党组织批准，延长期限一般不超过1年", "选条 第三条", Tag.VERBATIM, Severity.INFO,
         {"months": 12}, {"months": "最长延期（月）"}, param_bounds={"months": (1, 24)}),
    Rule(NO_RECORD, "应当换届的组织尚无换届选举记录", "选条 第三条（本平台提示）", Tag.LOCAL, Severity.INFO),
    Rule(SECRETARY_PARTY_AGE, "党支部书记一般应具有1年以上党龄", "支条 第二十三条", Tag.VERBATIM, Severity.ERROR,
         {"years": 1}, {"years": "书记最低党龄（年）"}, param_bounds={"years": (1, 10)}),
]
