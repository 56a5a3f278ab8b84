"""The 民主评议党员 rules of DOMAIN §5 as data, with their source text.

优秀 share: the number of members graded 优秀 must not exceed numerator/denominator (default ⅓) of the members
reviewed (参评党员: the fixed list minus those marked 不参加评议). "不超过" includes the endpoint, so the test is
exact integer arithmetic, `excellent × denominator ≤ reviewed × numerator`, i.e. the limit is ⌊reviewed / 3⌋:
9 reviewed → at most 3; 10 → 3; 11 → 3; 12 → 4; 2 → 0. No rounding up: 3.33 people cannot be 优秀, and
rounding 10/3 up to 4 would exceed one third.

不合格 follow-up: an open follow-up (no 办结日期) with a due date is "soon" in the last `soon_days` days up to
and including the due date, and overdue from the day after it (DOMAIN §8: 以前 includes the endpoint).
"""

from dangjian.compliance.rulebook import Rule, Severity, Tag

EXCELLENT_SHARE = "review.excellent_share"
FOLLOW_UP_DUE = "review.follow_up_due"

RULES = [
    Rule(EXCELLENT_SHARE, "评为优秀的党员一般不超过参评党员的三分之一",
         "支条 第十八条（民主评议党员）；DOMAIN §5：优秀一般不超过三分之一。“不超过”含本数，按参评人数×1/3 向下取整",
         Tag.CONFIRMED, Severity.ERROR, {"numerator": 1, "denominator": 3},
         {"numerator": "比例分子", "denominator": "比例分母"},
         param_bounds={"numerator": (1, 10), "denominator": (1, 10)}, param_order=(("numerator", "denominator"),)),
    Rule(FOLLOW_UP_DUE, "评定为不合格的党员限期改正，到期应有处理结果",
         "章 第九条：党员不合格的，应进行教育，要求限期改正；经教育仍无转变的，应劝其退党或除名",
         Tag.VERBATIM, Severity.OVERDUE, {"soon_days": 7}, {"soon_days": "到期前提醒天数"},
         param_bounds={"soon_days": (0, 60)}),
]


def excellent_limit(reviewed, params):
    """The largest number of 优秀 allowed among `reviewed` members: ⌊reviewed × numerator / denominator⌋."""
    return reviewed * params["numerator"] // params["denominator"]


def share_label(params):
    n, d = params["numerator"], params["denominator"]
    return "三分之一" if (n, d) == (1, 3) else f"{n}/{d}"
