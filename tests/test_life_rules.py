"""Organisational-life obligations as data: every default frequency, its source, its periods and their
edges (DOMAIN §3 and §8: "monthly for March is met 1–31 March and overdue from 1 April"), and choice
parameters in the rulebook."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dangjian.compliance.rulebook import rules_by_id
from dangjian.life.rules import (
    OBLIGATION_BY_TYPE, OBLIGATIONS, Frequency, period_of, periods_overlapping, previous_period, sundays_in,
)


def test_every_meeting_obligation_has_the_national_default_frequency_and_its_article():
    expected = {
        "committee": (Frequency.MONTHLY, "支条 第十二条"),
        "assembly": (Frequency.QUARTERLY, "支条 第十一条"),
        "group": (Frequency.MONTHLY, "支条 第十三条"),
        "lecture": (Frequency.QUARTERLY, "支条 第十六条"),
        "theme_day": (Frequency.MONTHLY, "支条 第十六条"),
        "life_meeting": (Frequency.YEARLY, "支条 第十七条"),
        "evaluation": (Frequency.YEARLY, "支条 第十八条"),
        "talk": (Frequency.YEARLY, "支条 第十九条"),
    }
    assert {t: (r.params["frequency"], r.source) for t, r in OBLIGATION_BY_TYPE.items()} == expected
    assert OBLIGATION_BY_TYPE["lecture"].tag == "D"        # quarterly is "widely quoted", sources disagree
    assert OBLIGATION_BY_TYPE["evaluation"].tag == "A"


def test_obligations_apply_to_the_right_kinds_of_organisation():
    assert OBLIGATION_BY_TYPE["group"].kinds == {"group"}
    for rule in OBLIGATIONS:
        if rule.meeting_type != "group":
            assert rule.kinds == {"branch", "joint_branch"}
    assert [r.meeting_type for r in OBLIGATIONS if r.needs_committee] == ["committee"]


def test_every_obligation_is_registered_in_the_rulebook_with_absence_and_quorum_rules():
    ids = set(rules_by_id())
    assert {r.id for r in OBLIGATIONS} <= ids
    assert {"life.absence", "life.vote_quorum"} <= ids
    assert rules_by_id()["life.absence"].source == "党章 第九条"


# --- periods and their edges ----------------------------------------------------------------------------

@pytest.mark.parametrize("frequency, day, start, end", [
    (Frequency.MONTHLY, date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 31)),
    (Frequency.MONTHLY, date(2024, 3, 31), date(2024, 3, 1), date(2024, 3, 31)),
    (Frequency.MONTHLY, date(2024, 4, 1), date(2024, 4, 1), date(2024, 4, 30)),
    (Frequency.MONTHLY, date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),
    (Frequency.QUARTERLY, date(2024, 6, 30), date(2024, 4, 1), date(2024, 6, 30)),
    (Frequency.QUARTERLY, date(2024, 7, 1), date(2024, 7, 1), date(2024, 9, 30)),
    (Frequency.QUARTERLY, date(2024, 12, 31), date(2024, 10, 1), date(2024, 12, 31)),
    (Frequency.SEMESTER, date(2024, 8, 31), date(2024, 2, 1), date(2024, 8, 31)),
    (Frequency.SEMESTER, date(2024, 9, 1), date(2024, 9, 1), date(2025, 1, 31)),
    (Frequency.SEMESTER, date(2025, 1, 31), date(2024, 9, 1), date(2025, 1, 31)),
    (Frequency.SEMESTER, date(2025, 2, 1), date(2025, 2, 1), date(2025, 8, 31)),
    (Frequency.HALF_YEAR, date(2024, 6, 30), date(2024, 1, 1), date(2024, 6, 30)),
    (Frequency.HALF_YEAR, date(2024, 7, 1), date(2024, 7, 1), date(2024, 12, 31)),
    (Frequency.YEARLY, date(2024, 12, 31), date(2024, 1, 1), date(2024, 12, 31)),
    (Frequency.YEARLY, date(2025, 1, 1), date(2025, 1, 1), date(2025, 12, 31)),
    (Frequency.WEEKLY, date(2026, 11, 30), date(2026, 11, 1), date(2026, 11, 30)),
])
def test_period_containing_a_date_at_the_edges(frequency, day, start, end):
    period = period_of(frequency, day)
    assert (period.start, period.end) == (start, end)


def test_period_labels_are_in_chinese():
    assert period_of(Frequency.MONTHLY, date(2024, 3, 5)).label == "2024年3月"
    assert period_of(Frequency.QUARTERLY, date(2024, 5, 5)).label == "2024年第2季度"
    assert period_of(Frequency.SEMESTER, date(2024, 10, 5)).label == "2024—2025学年第一学期"
    assert period_of(Frequency.SEMESTER, date(2025, 3, 5)).label == "2024—2025学年第二学期"
    assert period_of(Frequency.HALF_YEAR, date(2024, 8, 5)).label == "2024年下半年"
    assert period_of(Frequency.YEARLY, date(2024, 8, 5)).label == "2024年"


def test_weekly_counts_the_weeks_ending_in_the_month():
    assert sundays_in(2026, 11) == 5     # 1, 8, 15, 22, 29 November 2026
    assert sundays_in(2026, 2) == 4
    assert period_of(Frequency.WEEKLY, date(2026, 11, 3)).required == 5


def test_previous_period_and_periods_of_a_year():
    assert previous_period(Frequency.SEMESTER, period_of(Frequency.SEMESTER, date(2025, 3, 1))).start == date(2024, 9, 1)
    semesters = periods_overlapping(Frequency.SEMESTER, date(2025, 1, 1), date(2025, 12, 31))
    assert [(p.start, p.end) for p in semesters] == [
        (date(2024, 9, 1), date(2025, 1, 31)), (date(2025, 2, 1), date(2025, 8, 31)),
        (date(2025, 9, 1), date(2026, 1, 31))]
    assert len(periods_overlapping(Frequency.QUARTERLY, date(2025, 1, 1), date(2025, 12, 31))) == 4
    assert periods_overlapping(Frequency.SEMESTER, date(2025, 1, 1), date(2025, 12, 31))[0].months == [
        (2024, 9), (2024, 10), (2024, 11), (2024, 12), (2025, 1)]


# --- choice parameters -----------------------------------------------------------------------------------

def test_frequency_is_a_choice_parameter_with_chinese_labels():
    rule = OBLIGATION_BY_TYPE["assembly"]
    assert rule.param_label("frequency") == "频次"
    assert rule.display_value("frequency", "semester") == "每学期"
    assert rule.validate_params({"frequency": "monthly"})["frequency"] == "monthly"
    assert rule.validate_params({})["soon_days_long"] == 15


@pytest.mark.parametrize("params, message", [
    ({"frequency": "daily"}, "“频次”须为以下之一：每周、每月、每季度、每学期、每半年、每年。"),
    ({"frequency": 3}, "“频次”须为以下之一"),
    ({"soon_days_short": "7"}, "须为整数"),
    ({"soon_days_long": 500}, "须在0至120之间"),
])
def test_bad_obligation_parameters_are_refused_in_chinese(params, message):
    with pytest.raises(ValidationError) as exc:
        OBLIGATION_BY_TYPE["assembly"].validate_params(params)
    assert message in " ".join(exc.value.messages)


def test_absence_thresholds_must_be_in_order():
    with pytest.raises(ValidationError) as exc:
        rules_by_id()["life.absence"].validate_params({"warn_months": 7, "risk_months": 6})
    assert "不能小于" in " ".join(exc.value.messages)
