"""The dues rates of 费规 (DOMAIN §4) as data, and the one function that applies them.

The whole base is multiplied by the rate of its tier (not marginal tiers); each tier includes its
upper endpoint (3000 → 0.5%, 3000.01 → 1%). Amounts are rounded half up to 0.01 元.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import Category

CENT = Decimal("0.01")
MAX_BASE = Decimal("1000000")
RELIEF_AMOUNT = Decimal("0.20")
DEFAULT_FARMER_AMOUNT = Decimal("0.20")


@dataclass(frozen=True)
class Tier:
    upper: Decimal | None   # inclusive; None = no upper bound
    rate: Decimal
    label: str


WORKING_TIERS = (
    Tier(Decimal("3000"), Decimal("0.005"), "3000元以下（含）"),
    Tier(Decimal("5000"), Decimal("0.01"), "3000元以上至5000元（含）"),
    Tier(Decimal("10000"), Decimal("0.015"), "5000元以上至10000元（含）"),
    Tier(None, Decimal("0.02"), "10000元以上"),
)
RETIRED_TIERS = (
    Tier(Decimal("5000"), Decimal("0.005"), "5000元以下（含）"),
    Tier(None, Decimal("0.01"), "5000元以上"),
)

# Category → (tiers or None for a fixed amount, base description, source).
SCHEDULE = {
    Category.EMPLOYED: (WORKING_TIERS, "每月工资收入（税后）中相对固定的部分", "费规 第一条、第二条"),
    Category.ANNUAL: (WORKING_TIERS, "当月实际领取的薪酬（税后）", "费规 第三条"),
    Category.IRREGULAR: (WORKING_TIERS, "上一季度月平均纯收入", "费规 第四条"),
    Category.RETIRED: (RETIRED_TIERS, "每月领取的离退休费", "费规 第五条"),
    Category.RELIEF: (None, "定额，每月0.2元", "费规 第六条"),
    Category.FARMER: (None, "定额，每月0.2元至1元（按本地设定）", "费规 第六条"),
}


@dataclass(frozen=True)
class Assessment:
    """An amount and why: the base, the tier, the rate and the source."""

    category: str
    base: Decimal
    amount: Decimal
    rate: Decimal | None
    tier: str
    source: str


def round_money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def tier_for(tiers, base):
    for tier in tiers:
        if tier.upper is None or base <= tier.upper:
            return tier
    raise AssertionError("the last tier has no upper bound")


def assess(category, base, *, farmer_amount=DEFAULT_FARMER_AMOUNT):
    """The monthly dues for a category and base (Decimal, 元)."""
    category = Category(category)
    tiers, _, source = SCHEDULE[category]
    if tiers is None:
        amount = RELIEF_AMOUNT if category == Category.RELIEF else round_money(farmer_amount)
        return Assessment(category, Decimal("0.00"), amount, None, f"定额{amount}元/月", source)
    base = round_money(base)
    if base < 0 or base > MAX_BASE:
        raise ValueError("base out of range")
    tier = tier_for(tiers, base)
    return Assessment(category, base, round_money(base * tier.rate), tier.rate, tier.label, source)


def schedule_rows():
    """The rate table for display: [(category label, base description, [(tier label, rate %)], source)]."""
    rows = []
    for category, (tiers, base_text, source) in SCHEDULE.items():
        items = [(t.label, f"{(t.rate * 100).normalize():f}%") for t in tiers] if tiers else []
        rows.append((Category(category).label, base_text, items, source))
    return rows
