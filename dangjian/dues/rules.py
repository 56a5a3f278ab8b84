"""The dues rules of DOMAIN §4 that are settings (per jurisdiction, inherited down the tree through the
compliance rulebook) or findings. The rate tiers themselves are fixed by 费规 and live in `rates.py`.

Every parameter is a whole number (the rulebook's convention): amounts in 分, switches as 0/1.
"""

from dangjian.compliance.rulebook import Rule, Severity, Tag

ARREARS_WARNING = "dues.arrears_warning"
ARREARS_LAPSE = "dues.arrears_lapse"
YEARLY_FIXED = "dues.amount_fixed_yearly"
DEDUCTIONS = "dues.base_deductions"
FARMER_AMOUNT = "dues.farmer_amount"
BACKPAY_LIMIT = "dues.backpay_limit"
CENTRE_THRESHOLD = "dues.voluntary_centre"

RULES = [
    Rule(ARREARS_WARNING, "连续3个月未交纳党费应提醒", "章 第九条（地方做法：3个月预警）", Tag.LOCAL, Severity.WARNING,
         {"months": 3}, {"months": "连续未交月数"}, param_bounds={"months": (1, 12)}),
    Rule(ARREARS_LAPSE, "连续6个月不交纳党费，视为自行脱党", "章 第九条；费规", Tag.VERBATIM, Severity.OVERDUE,
         {"months": 6}, {"months": "连续未交月数"}, param_bounds={"months": (1, 24)}),
    Rule(YEARLY_FIXED, "党费按年核定（1月基数全年适用）", "费规（各地口径不一）", Tag.DISPUTED, Severity.INFO,
         {"yearly": 0}, {"yearly": "按年核定（1=是，0=基数变化即重算）"}, param_bounds={"yearly": (0, 1)}),
    Rule(DEDUCTIONS, "计算基数扣除项目（个人所得税之外）", "费规 第一条（各地口径不一）", Tag.DISPUTED, Severity.INFO,
         {"social_insurance": 0, "annuity": 0},
         {"social_insurance": "扣除五险一金（1=是，0=否）", "annuity": "扣除职业年金/企业年金（1=是，0=否）"},
         param_bounds={"social_insurance": (0, 1), "annuity": (0, 1)}),
    Rule(FARMER_AMOUNT, "农民党员每月交纳党费（0.2元至1元）", "费规 第六条", Tag.UNVERIFIED, Severity.INFO,
         {"fen": 20}, {"fen": "每月金额（分）"}, param_bounds={"fen": (20, 100)}),
    Rule(BACKPAY_LIMIT, "补交党费一般不超过6个月（超过须经批准）", "费规 第十二条", Tag.VERBATIM, Severity.INFO,
         {"months": 6}, {"months": "补交月数上限"}, param_bounds={"months": (1, 24)}),
    Rule(CENTRE_THRESHOLD, "一次自愿多交党费1000元以上全额上缴中央", "费规", Tag.VERBATIM, Severity.INFO,
         {"yuan": 1000}, {"yuan": "金额（元）"}, param_bounds={"yuan": (1, 1_000_000)}),
]
