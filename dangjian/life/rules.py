"""Organisational-life obligations (DOMAIN §3) as data, and the period arithmetic they need.

Each meeting type carries a frequency and the organisation kinds it applies to; an organisation can
change the frequency (tighten or set it) for itself and its subtree through a RuleOverride, e.g. seed 001
(新华小学党支部): 支委会, 党员大会, 党小组会 monthly; 党课 each semester.

Periods (all are unions of whole calendar months, so one month-grain count serves every frequency):
- 每月 (monthly): a calendar month; met by a record dated 1st–last day; overdue from the 1st of the next month.
- 每季度 (quarterly): Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec; Q2 is overdue from 1 July.
- 每学期 (per semester): 第一学期 1 Sep – 31 Jan of the next year, 第二学期 1 Feb – 31 Aug
  (SEMESTER_STARTS; the school year of primary and secondary schools).
- 每半年 (half-year): Jan–Jun, Jul–Dec.   · 每年 (yearly): the calendar year; 2024 is overdue from 2025-01-01.
- 每周 (weekly): counted per calendar month — met when the month has at least as many meetings as weeks
  ending (on a Sunday) in it. Weekly rules are only ever set locally; a per-week check would need a
  day-grain query, and a month view is what the matrix shows anyway.

"即将到期" (soon) is the last N days of the current period while it is not met: N = `soon_days_short`
(default 7) for weekly and monthly periods, `soon_days_long` (default 15) for quarterly and longer ones.
"""

import calendar
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, timedelta

from dangjian.compliance.rulebook import Rule, Severity, Tag


class Frequency:
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMESTER = "semester"
    HALF_YEAR = "half_year"
    YEARLY = "yearly"
    CHOICES = (
        (WEEKLY, "每周"),
        (MONTHLY, "每月"),
        (QUARTERLY, "每季度"),
        (SEMESTER, "每学期"),
        (HALF_YEAR, "每半年"),
        (YEARLY, "每年"),
    )
    LABELS = dict(CHOICES)
    SHORT = {WEEKLY, MONTHLY}


# 第一学期 starts on 1 September, 第二学期 on 1 February (months; each semester runs to the next start).
SEMESTER_STARTS = (9, 2)

# Kinds as plain strings (orgs.models.OrgKind values) to keep this module import-light.
BRANCH_KINDS = frozenset({"branch", "joint_branch"})
GROUP_KINDS = frozenset({"group"})


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    required: int = 1

    @cached_property
    def months(self):
        """(year, month) of every month in the period."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @cached_property
    def month_keys(self):
        """"YYYY-MM" of every month, the keys of life.checks.meeting_month_counts."""
        return tuple(f"{y:04d}-{m:02d}" for y, m in self.months)

    @cached_property
    def last_month_start(self):
        return self.end.replace(day=1)


def _month_end(y, m):
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y, m, n):
    index = y * 12 + (m - 1) + n
    return index // 12, index % 12 + 1


def sundays_in(y, m):
    first = date(y, m, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return (calendar.monthrange(y, m)[1] - first_sunday.day) // 7 + 1


def period_of(frequency, d):
    """The period of this frequency that contains the date `d`."""
    y, m = d.year, d.month
    if frequency in (Frequency.MONTHLY, Frequency.WEEKLY):
        required = sundays_in(y, m) if frequency == Frequency.WEEKLY else 1
        return Period(date(y, m, 1), _month_end(y, m), f"{y}年{m}月", required)
    if frequency == Frequency.QUARTERLY:
        q = (m - 1) // 3
        return Period(date(y, 3 * q + 1, 1), _month_end(y, 3 * q + 3), f"{y}年第{q + 1}季度")
    if frequency == Frequency.HALF_YEAR:
        if m <= 6:
            return Period(date(y, 1, 1), date(y, 6, 30), f"{y}年上半年")
        return Period(date(y, 7, 1), date(y, 12, 31), f"{y}年下半年")
    if frequency == Frequency.YEARLY:
        return Period(date(y, 1, 1), date(y, 12, 31), f"{y}年")
    if frequency == Frequency.SEMESTER:
        first, second = SEMESTER_STARTS
        if m >= first or m < second:
            start_year = y if m >= first else y - 1
            end_y, end_m = _add_months(start_year, first, 12 - first + second - 1)
            return Period(date(start_year, first, 1), _month_end(end_y, end_m),
                          f"{start_year}—{start_year + 1}学年第一学期")
        return Period(date(y, second, 1), _month_end(y, first - 1), f"{y - 1}—{y}学年第二学期")
    raise ValueError(f"unknown frequency {frequency}")


def previous_period(frequency, period):
    return period_of(frequency, period.start - timedelta(days=1))


def periods_overlapping(frequency, start, end):
    """Every period of this frequency that overlaps [start, end], in order."""
    out, d = [], start
    while d <= end:
        period = period_of(frequency, d)
        out.append(period)
        d = period.end + timedelta(days=1)
    return out


@dataclass(frozen=True)
class Obligation(Rule):
    """A meeting type that must be held at a frequency by organisations of some kinds."""

    meeting_type: str = ""
    kinds: frozenset = field(default_factory=frozenset)
    needs_committee: bool = False   # only branches that have (or must have) a 支部委员会

    def soon_days(self, params):
        key = "soon_days_short" if params["frequency"] in Frequency.SHORT else "soon_days_long"
        return params[key]


def _obligation(meeting_type, title, frequency, source, tag, kinds=BRANCH_KINDS, needs_committee=False):
    return Obligation(
        f"life.{meeting_type}", title, source, tag, Severity.OVERDUE,
        {"frequency": frequency, "soon_days_short": 7, "soon_days_long": 15},
        {"soon_days_short": "即将到期提醒天数（每周、每月）", "soon_days_long": "即将到期提醒天数（每季度及更长）"},
        param_bounds={"soon_days_short": (0, 31), "soon_days_long": (0, 120)},
        param_choices={"frequency": ("频次", Frequency.CHOICES)},
        meeting_type=meeting_type, kinds=frozenset(kinds), needs_committee=needs_committee,
    )


OBLIGATIONS = [
    _obligation("committee", "支部委员会会议一般每月召开1次", Frequency.MONTHLY, "支条 第十二条", Tag.VERBATIM,
                needs_committee=True),
    _obligation("assembly", "支部党员大会一般每季度召开1次", Frequency.QUARTERLY, "支条 第十一条", Tag.VERBATIM),
    _obligation("group", "党小组会一般每月召开1次", Frequency.MONTHLY, "支条 第十三条", Tag.VERBATIM, kinds=GROUP_KINDS),
    _obligation("lecture", "党课一般每季度1次", Frequency.QUARTERLY, "支条 第十六条", Tag.DISPUTED),
    _obligation("theme_day", "每月相对固定1天开展主题党日", Frequency.MONTHLY, "支条 第十六条", Tag.VERBATIM),
    _obligation("life_meeting", "组织生活会一般每年召开1次", Frequency.YEARLY, "支条 第十七条", Tag.VERBATIM),
    _obligation("evaluation", "民主评议党员一般每年开展1次", Frequency.YEARLY, "支条 第十八条", Tag.CONFIRMED),
    _obligation("talk", "谈心谈话每年至少开展1次", Frequency.YEARLY, "支条 第十九条", Tag.VERBATIM),
]

ABSENCE = Rule(
    "life.absence", "党员连续不参加组织生活：3个月提醒，6个月有自行脱党风险", "党章 第九条", Tag.VERBATIM,
    Severity.OVERDUE, {"warn_months": 3, "risk_months": 6},
    {"warn_months": "提醒月数", "risk_months": "自行脱党风险月数"},
    param_bounds={"warn_months": (1, 12), "risk_months": (1, 12)}, param_order=(("warn_months", "risk_months"),),
)

VOTE_QUORUM = Rule(
    "life.vote_quorum", "表决须有半数以上有表决权的党员到会", "支条 第十一条", Tag.VERBATIM, Severity.OVERDUE,
)

RULES = [*OBLIGATIONS, ABSENCE, VOTE_QUORUM]
OBLIGATION_BY_TYPE = {rule.meeting_type: rule for rule in OBLIGATIONS}
