"""Properties (hypothesis) of the small pure functions everything else trusts: ID numbers, dates, money."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dangjian.core import idnumber
from dangjian.dues import billing, rates
from dangjian.dues.models import Category
from dangjian.members.importing import CellError, parse_date

ID_CHARS = "0123456789X"
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())


@st.composite
def id_numbers(draw):
    area = draw(st.text("0123456789", min_size=6, max_size=6))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = f"{area}{draw(births):%Y%m%d}{seq}"
    return first17 + idnumber.check_digit(first17)


# --- ID numbers ---------------------------------------------------------------------------------

@given(id_numbers())
def test_any_17_digits_with_a_valid_birth_date_and_the_computed_check_digit_validate(number):
    assert idnumber.validate(number) is None
    assert idnumber.validate(number.lower()) is None  # a lower-case x is the same number
    assert idnumber.validate(f"  {number}\t") is None


@given(id_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_any_single_character_change_is_refused(number, position, replacement):
    assume(number[position] != replacement)
    assume(position == 17 or replacement != "X")  # X is only allowed as the check character
    changed = number[:position] + replacement + number[position + 1:]
    assert idnumber.validate(changed) is not None


@given(id_numbers(), st.integers(0, 16))
def test_an_x_in_the_first_17_characters_is_refused(number, position):
    assert idnumber.validate(number[:position] + "X" + number[position + 1:]) is not None


@given(st.text(max_size=40))
@example("11010519491231002X")
@example("")
@example("123456789")
@example("1234567890")
def test_masking_never_reveals_more_than_the_first_6_and_last_4_characters(value):
    masked = idnumber.mask(value)
    clean = idnumber.normalise(value)
    assert len(masked) == len(clean)
    if len(clean) < 10:
        assert set(masked) <= {"*"}
    else:
        assert masked[:6] == clean[:6] and masked[-4:] == clean[-4:]
        assert set(masked[6:-4]) <= {"*"}
    assert sum(1 for a, b in zip(masked, clean) if a == b and a != "*") <= 10


@given(st.text(max_size=30))
def test_phone_masking_never_reveals_more_than_the_first_3_and_last_4_characters(value):
    masked = idnumber.mask_phone(value)
    clean = value.strip()
    assert len(masked) == len(clean)
    if len(clean) < 7:
        assert set(masked) <= {"*"}
    else:
        assert set(masked[3:-4]) <= {"*"}


@given(id_numbers())
def test_birth_date_and_gender_come_from_the_number(number):
    born = idnumber.birth_date(number)
    assert born.strftime("%Y%m%d") == number[6:14]
    assert idnumber.gender(number) == ("M" if int(number[16]) % 2 else "F")


@given(st.text(max_size=25))
def test_validate_never_crashes_on_arbitrary_text(value):
    result = idnumber.validate(value)
    assert result is None or isinstance(result, str)


# --- dates --------------------------------------------------------------------------------------

@given(st.dates(min_value=date(1949, 1, 1), max_value=date(2100, 12, 31)))
def test_month_helpers_agree(day):
    start = billing.month_start(day)
    assert start.day == 1 and start <= day < billing.next_month(start)
    assert billing.month_index(billing.next_month(start)) == billing.month_index(day) + 1
    assert billing.parse_month(f"{day:%Y-%m}") == start
    assert billing.parse_month(f"{day:%Y-%m-%d}") == start


@given(st.text(max_size=30))
def test_parse_month_refuses_garbage_with_a_chinese_message(text):
    try:
        value = billing.parse_month(text)
    except ValidationError as exc:
        assert "月" in exc.message_dict["month"][0]
    else:
        assert value.day == 1 and 1949 <= value.year <= 2100


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.sampled_from(["{:%Y-%m-%d}", "{:%Y/%m/%d}", "{:%Y.%m.%d}", "{d.year}年{d.month}月{d.day}日"]))
def test_import_dates_parse_every_accepted_spelling_and_cell_type(day, spelling):
    text = spelling.format(day, d=day)
    assert parse_date(text) == day
    assert parse_date(day) == day
    assert parse_date(datetime(day.year, day.month, day.day, 13, 5)) == day


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.booleans(),
                 st.none(), st.binary(max_size=10)))
def test_import_date_parsing_returns_a_date_none_or_a_cell_error(value):
    try:
        result = parse_date(value)
    except CellError as exc:
        assert "日期" in str(exc) and len(str(exc)) < 80
    else:
        assert result is None or isinstance(result, date)


# --- money ----------------------------------------------------------------------------------------

TIERED = [Category.EMPLOYED, Category.ANNUAL, Category.IRREGULAR, Category.RETIRED]
bases = st.decimals(min_value=0, max_value=rates.MAX_BASE, places=2, allow_nan=False, allow_infinity=False)


@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_round_money_is_half_up_to_the_cent(value):
    rounded = rates.round_money(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= Decimal("0.005")
    if value.as_tuple().digits[-1:] == (5,) and value.as_tuple().exponent == -3:
        assert abs(rounded) > abs(value)  # exactly half a cent goes away from zero
    assert rounded == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(st.sampled_from(TIERED), bases)
def test_dues_are_never_negative_and_are_the_base_times_its_tiers_rate_rounded(category, base):
    result = rates.assess(category, base)
    assert result.amount >= 0
    assert result.amount.as_tuple().exponent == -2
    assert result.amount == rates.round_money(base * result.rate)


@given(st.sampled_from(TIERED), bases, bases)
def test_dues_are_monotonic_in_the_base_within_a_category(category, a, b):
    low, high = sorted((a, b))
    assert rates.assess(category, low).amount <= rates.assess(category, high).amount


@pytest.mark.parametrize("category", TIERED)
@settings(max_examples=30)
@given(st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_a_negative_or_absurd_base_is_refused(category, excess):
    with pytest.raises(ValueError):
        rates.assess(category, -excess)
    with pytest.raises(ValueError):
        rates.assess(category, rates.MAX_BASE + excess)


@given(st.sampled_from([Category.RELIEF, Category.FARMER]), bases)
def test_fixed_amount_categories_ignore_the_base(category, base):
    assert rates.assess(category, base).amount == rates.assess(category, 0).amount > 0


def test_tier_edges_include_their_upper_endpoint():
    assert rates.assess(Category.EMPLOYED, Decimal("3000")).amount == Decimal("15.00")
    assert rates.assess(Category.EMPLOYED, Decimal("3000.01")).amount == Decimal("30.00")
    assert rates.assess(Category.RETIRED, Decimal("5000")).amount == Decimal("25.00")
    assert rates.assess(Category.EMPLOYED, Decimal("0.99")).amount == Decimal("0.00")  # 0.00495 → 0.00
    assert rates.assess(Category.EMPLOYED, Decimal("1.00")).amount == Decimal("0.01")  # 0.005 → 0.01 (half up)
