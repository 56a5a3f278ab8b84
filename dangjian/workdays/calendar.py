"""Working days under the holiday calendar the system administrator maintains (`Holiday`).

A date is a working day when it is Monday–Friday and not a 法定节假日 (休), or a weekend day marked 调休上班 (班).
Each public function issues ONE query, whatever the span: the exceptions of the whole range are loaded at once.
`Calendar.load(start, end)` does the same for callers that ask several questions about one range.
"""

from datetime import date, timedelta

from .models import Holiday

# add_working_days looks this far ahead in one query; a calendar with no working day for a year is an error.
_LOOKAHEAD_FACTOR, _LOOKAHEAD_EXTRA, _MAX_GAP = 3, 40, 366


def _weekday_rule(d):
    return d.weekday() < 5


class Calendar:
    """The exceptions of [start, end], loaded once; answers questions about dates in that range."""

    def __init__(self, start, end, exceptions):
        self.start, self.end, self.exceptions = start, end, exceptions

    @classmethod
    def load(cls, start, end):
        rows = Holiday.objects.filter(date__range=(start, end)).values_list("date", "kind") if start <= end else []
        return cls(start, end, dict(rows))

    def is_working_day(self, d):
        kind = self.exceptions.get(d)
        if kind == Holiday.Kind.REST:
            return False
        if kind == Holiday.Kind.WORK:
            return True
        return _weekday_rule(d)

    def count(self, a, b):
        """Working days from a to b, both included (0 when b is before a)."""
        days = (b - a).days + 1
        if days <= 0:
            return 0
        # Whole weeks have five weekdays; walk only the remainder, then apply the exceptions.
        weeks, rest = divmod(days, 7)
        total = weeks * 5 + sum(1 for i in range(rest) if _weekday_rule(b - timedelta(days=i)))
        for d, kind in self.exceptions.items():
            if a <= d <= b:
                if kind == Holiday.Kind.REST and _weekday_rule(d):
                    total -= 1
                elif kind == Holiday.Kind.WORK and not _weekday_rule(d):
                    total += 1
        return total


def is_working_day(d):
    return Calendar.load(d, d).is_working_day(d)


def working_days_between(a, b):
    """The number of working days from a to b, both ends included (a 公示 from a to b lasts this many
    working days); 0 when b is before a."""
    return Calendar.load(a, b).count(a, b)


def add_working_days(start, n):
    """The n-th working day after `start` (start itself not counted); `start` when n is 0.
    2025-09-30 + 1 working day under the 2025 国庆 arrangement (10-01..10-08 休) is 2025-10-09."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return start
    end = start + timedelta(days=n * _LOOKAHEAD_FACTOR + _LOOKAHEAD_EXTRA)
    calendar = Calendar.load(start + timedelta(days=1), end)
    d, left, gap = start, n, 0
    while left:
        d += timedelta(days=1)
        if d > calendar.end:  # only when the administrator marked most days as holidays
            calendar = Calendar.load(d, d + timedelta(days=_MAX_GAP))
        if calendar.is_working_day(d):
            left, gap = left - 1, 0
        else:
            gap += 1
            if gap > _MAX_GAP:
                raise ValueError("no working day within a year: check the holiday calendar")
    return d


def year_bounds(year):
    return date(year, 1, 1), date(year, 12, 31)
