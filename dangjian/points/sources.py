"""The quantities 党员积分 are computed from, contributed by each app's `points.py`.

An app lists `SOURCES = [Source(...)]`. The points rulebook (dangjian.points) gives each source key a number of
points per unit (negative for a deduction) and an optional cap; a member's score is never typed in, it is always
these quantities times the rule.

`count(person_ids, start, end)` returns {person_id: Decimal quantity} for records dated start..end (inclusive), in a
fixed number of queries whatever the number of people. `explain(person, start, end)` returns the records behind one
person's quantity as [(date, text, quantity)], so a member sees how their score was made.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable


@dataclass(frozen=True)
class Source:
    key: str            # stable identifier, "<app>.<what>", e.g. "life.attendance"
    label: str          # Chinese, e.g. "参加组织生活"
    unit: str           # Chinese unit, e.g. "次", "小时", "个月"
    count: Callable     # (person_ids, start, end) -> {person_id: Decimal}
    explain: Callable   # (person, start, end) -> [(date, str, Decimal)]
    # The platform default rule for this source (an organisation's rule set may change it): points per unit
    # (negative: a deduction) and the largest number of points it may add or deduct in a year (None: no cap).
    default_points: Decimal = Decimal("1")
    default_cap: Decimal | None = None


def all_sources():
    from dangjian.core.registry import app_modules

    return {source.key: source for module in app_modules("points") for source in module.SOURCES}
