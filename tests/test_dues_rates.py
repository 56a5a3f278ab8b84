"""Dues rates (DOMAIN §4): whole base × the rate of its tier, boundaries inclusive, rounded half up."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.dues import rates
from dangjian.dues.models import Category

D = Decimal


@pytest.mark.parametrize("base, amount", [
    ("0", "0.00"), ("1", "0.01"), ("2997", "14.99"), ("3000", "15.00"), ("3000.01", "30.00"), ("4900", "49.00"),
    ("5000", "50.00"), ("5000.01", "75.00"), ("5100", "76.50"), ("10000", "150.00"), ("10000.01", "200.00"),
    ("10001", "200.02"), ("1000000", "20000.00"),
])
def test_working_members_pay_the_rate_of_their_tier_on_the_whole_base(base, amount):
    for category in (Category.EMPLOYED, Category.ANNUAL, Category.IRREGULAR):
        assert rates.assess(category, D(base)).amount == D(amount)


@pytest.mark.parametrize("base, amount, rate", [
    ("3000", "15.00", "0.005"), ("5000", "25.00", "0.005"), ("5001", "50.01", "0.01"), ("8000", "80.00", "0.01"),
])
def test_retirees_pay_half_a_percent_up_to_5000_and_one_percent_above(base, amount, rate):
    result = rates.assess(Category.RETIRED, D(base))
    assert result.amount == D(amount) and result.rate == D(rate)
    assert result.source == "费规 第五条"


def test_students_unemployed_and_relief_pay_twenty_fen_whatever_the_base():
    result = rates.assess(Category.RELIEF, D("9999"))
    assert result.amount == D("0.20") and result.rate is None and result.source == "费规 第六条"


def test_farmers_pay_the_configured_fixed_amount_default_twenty_fen():
    assert rates.assess(Category.FARMER, 0).amount == D("0.20")
    assert rates.assess(Category.FARMER, 0, farmer_amount=D("0.5")).amount == D("0.50")


def test_half_a_cent_rounds_up():
    assert rates.assess(Category.EMPLOYED, D("2997")).amount == D("14.99")  # 14.985
    assert rates.round_money(D("0.005")) == D("0.01")


def test_every_assessment_names_base_tier_rate_and_source():
    result = rates.assess(Category.EMPLOYED, D("5100"))
    assert (result.base, result.rate, result.tier, result.source) == (
        D("5100.00"), D("0.015"), "5000元以上至10000元（含）", "费规 第一条、第二条")


def test_bases_outside_the_range_are_refused():
    with pytest.raises(ValueError):
        rates.assess(Category.EMPLOYED, D("-1"))
    with pytest.raises(ValueError):
        rates.assess(Category.EMPLOYED, D("1000000.01"))


bases = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)
tiered = st.sampled_from([Category.EMPLOYED, Category.ANNUAL, Category.IRREGULAR, Category.RETIRED])


@given(tiered, bases)
def test_amount_is_the_base_times_its_tiers_rate_rounded_half_up(category, base):
    tiers = rates.RETIRED_TIERS if category == Category.RETIRED else rates.WORKING_TIERS
    tier = next(t for t in tiers if t.upper is None or base <= t.upper)
    assert rates.assess(category, base).amount == (base * tier.rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")


@given(tiered, bases, bases)
def test_amount_never_decreases_when_the_base_grows(category, a, b):
    low, high = sorted((a, b))
    assert rates.assess(category, low).amount <= rates.assess(category, high).amount
