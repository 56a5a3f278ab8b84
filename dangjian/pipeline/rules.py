"""The time rules of 发展党员 (DOMAIN §2, §8) as data with their sources, and the date arithmetic.

Calendar arithmetic uses dateutil.relativedelta: "一年以上" is the same calendar date a year later (an activist
from 2024-02-29 may become a 发展对象 from 2025-02-28); "N 个月内" runs to the same date N months later,
inclusive (application 2024-03-15 → talk due by 2024-04-15, overdue from 2024-04-16).

公示 (`pipeline.publicity`) lasts at least N days counted, by default, in WORKING days (5) under the holiday
calendar the system administrator maintains (dangjian.workdays); an organisation may switch to calendar days
(the other local practice, 7 days). DOMAIN §2 (Stage 3): "公示 ≥5 working days or 7 days [D][L] — configurable,
do not cite the 细则".
"""

from dateutil.relativedelta import relativedelta

from dangjian.compliance.rulebook import Rule, Severity, Tag


def _rule(rule_id, title, source, tag, params=None, labels=None, bounds=None, order=(), severity=Severity.OVERDUE,
          choices=None):
    return Rule(f"pipeline.{rule_id}", title, source, tag, severity, params or {}, labels or {},
                param_bounds=bounds or {}, param_order=order, param_choices=choices or {})


MIN_AGE = _rule("min_age", "入党申请人须年满十八岁（以递交申请书之日计）", "党章 第一条；细则 第五条", Tag.VERBATIM,
                {"years": 18}, {"years": "最低年龄（岁）"}, {"years": (16, 30)})
TALK = _rule("talk", "收到入党申请书后一个月内派人谈话", "细则 第七条", Tag.VERBATIM,
             {"months": 1}, {"months": "期限（月）"}, {"months": (1, 6)})
REVIEW = _rule("review", "党支部每半年对入党积极分子进行一次考察", "细则（培养教育考察）", Tag.CONFIRMED,
               {"months": 6}, {"months": "考察间隔（月）"}, {"months": (1, 12)})
CONTACTS = _rule("contacts", "指定一至两名正式党员作为培养联系人", "细则 第九条", Tag.CONFIRMED)
ACTIVIST_YEAR = _rule("activist_year", "经过一年以上培养教育和考察，方可列为发展对象", "细则 第十三条", Tag.VERBATIM,
                      {"months": 12}, {"months": "培养期（月）"}, {"months": (12, 36)})
SPONSORS = _rule("sponsors", "由两名正式党员作入党介绍人；受留党察看处分的党员不能作入党介绍人", "细则 第十四条",
                 Tag.VERBATIM)
POLITICAL = _rule("political", "政治审查须形成书面结论；未经政治审查或审查不合格的不能发展入党", "细则（政治审查）",
                  Tag.CONFIRMED)
TRAINING = _rule("training", "发展对象集中培训不少于3天或不少于24学时", "细则（集中培训）", Tag.CONFIRMED,
                 {"days": 3, "hours": 24}, {"days": "最少天数", "hours": "最少学时"},
                 {"days": (1, 30), "hours": (1, 240)})
WORKING, CALENDAR = "working", "calendar"
PUBLICITY = _rule("publicity", "发展对象、预备党员转正须公示，公示期不少于规定天数（默认5个工作日，按工作日历计算）",
                  "地方做法，各地不一（5个工作日或7天），非细则规定", Tag.DISPUTED,
                  {"days": 5, "unit": WORKING}, {"days": "公示天数"}, {"days": (1, 30)},
                  choices={"unit": ("计算方式", ((WORKING, "工作日"), (CALENDAR, "自然日")))})
ADMISSION_VOTE = _rule("admission_vote", "支部大会表决：半数以上有表决权党员到会，赞成票超过应到有表决权正式党员半数",
                       "细则 第二十条、第二十一条", Tag.VERBATIM)
APPROVAL = _rule("approval", "上级党委在支部大会决议后3个月内审批，最长不超过6个月", "细则（审批）", Tag.CONFIRMED,
                 {"months": 3, "max_months": 6}, {"months": "审批期限（月）", "max_months": "最长期限（月）"},
                 {"months": (1, 6), "max_months": (1, 12)}, order=(("months", "max_months"),))
PROBATION = _rule("probation", "预备期为一年，自支部大会通过之日起计算", "党章 第七条；细则 第三十二条", Tag.VERBATIM)
CONFIRMATION_TIMING = _rule("confirmation_timing", "预备期未满不讨论转正", "地方做法", Tag.LOCAL)
CONFIRMATION_APPROVAL = _rule("confirmation_approval", "预备党员转正由上级党委在3个月内审批", "细则 第三十三条、第三十四条",
                              Tag.VERBATIM, {"months": 3}, {"months": "审批期限（月）"}, {"months": (1, 6)})
EXTENSION = _rule("extension", "预备期可延长一次，延长时间不少于半年、最长不超过一年", "党章 第七条；细则 第三十四条",
                  Tag.VERBATIM)
PARTY_AGE = _rule("party_age", "党龄从预备期满转为正式党员之日算起", "党章 第七条", Tag.VERBATIM, severity=Severity.INFO)

RULES = [MIN_AGE, TALK, REVIEW, CONTACTS, ACTIVIST_YEAR, SPONSORS, POLITICAL, TRAINING, PUBLICITY, ADMISSION_VOTE,
         APPROVAL, PROBATION, CONFIRMATION_TIMING, CONFIRMATION_APPROVAL, EXTENSION, PARTY_AGE]

# Which rules the file page shows next to each step.
RULES_BY_STEP = {
    1: [MIN_AGE], 2: [TALK], 5: [CONTACTS], 6: [REVIEW], 7: [ACTIVIST_YEAR, REVIEW], 9: [SPONSORS],
    10: [POLITICAL], 11: [TRAINING], 12: [POLITICAL], 13: [PUBLICITY], 15: [ADMISSION_VOTE, PROBATION],
    17: [APPROVAL], 23: [CONFIRMATION_TIMING, PUBLICITY], 24: [CONFIRMATION_APPROVAL, PARTY_AGE],
}

EXTENSION_MONTHS = (6, 12)


def add_months(d, months):
    return d + relativedelta(months=months)


def age_on(birth_date, on):
    return relativedelta(on, birth_date).years


def probation_end(assembly_date, extension_months=None):
    """预备期满: one year from the 支部大会 date (2024-07-01 → 2025-07-01), plus an extension if decided."""
    return assembly_date + relativedelta(years=1, months=extension_months or 0)
