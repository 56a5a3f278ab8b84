"""公示 in working days (pipeline.publicity, default 5 working days, DOMAIN §2 [D][L]) under the holiday calendar:
the day before and the day of the minimum, a 公示 spanning 国庆 2025 with its 调休 days, the calendar-day setting,
and the file page showing the period with its working days."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.compliance import services as compliance
from dangjian.pipeline import services
from dangjian.pipeline.rules import PUBLICITY
from dangjian.workdays import services as workdays
from dangjian.workdays.models import Holiday
from tests.factories import make_user
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db

STEP_13 = date(2025, 10, 13)   # a Monday after the holiday


@pytest.fixture
def world(tree):
    return World(tree)


@pytest.fixture
def national_day():
    admin = make_user("sys", admin_role="system")
    lines = ["2025-09-28 班 调休"] + [f"2025-10-0{d} 休 国庆节、中秋节" for d in range(1, 9)] + ["2025-10-11 班 调休"]
    workdays.holiday_import(actor=admin, text="\n".join(lines))


@pytest.fixture
def at_review(world):
    """A file whose 支委会审查 (step ⑫) was on 2025-08-30."""
    return advance(world, world.open(date(2024, 6, 1)), 12)


def record_13(world, file, start, end):
    return world.record(file, 13, STEP_13, publicity_start=start, publicity_end=end)


def test_the_rule_is_five_working_days_with_its_disputed_local_source():
    assert PUBLICITY.params == {"days": 5, "unit": "working"}
    assert PUBLICITY.tag == "D" and "5个工作日或7天" in PUBLICITY.source and "非细则" in PUBLICITY.source


def test_without_holidays_the_day_before_the_minimum_is_refused_and_the_day_of_it_accepted(world, at_review):
    # Mon 2025-09-08 .. Thu 09-11 is four working days; .. Fri 09-12 is five.
    with pytest.raises(services.RuleBlocked) as exc:
        record_13(world, at_review, date(2025, 9, 8), date(2025, 9, 11))
    assert [v.rule.id for v in exc.value.violations] == ["pipeline.publicity"]
    assert "公示2025-09-08至2025-09-11共4个工作日，不足5个工作日" in exc.value.messages[0]
    record_13(world, at_review, date(2025, 9, 8), date(2025, 9, 12))


def test_a_weekend_does_not_count(world, at_review):
    # Wed 09-10 .. Sun 09-14: seven calendar days but three working days.
    with pytest.raises(services.RuleBlocked):
        record_13(world, at_review, date(2025, 9, 10), date(2025, 9, 14))


def test_a_publicity_spanning_the_national_day_holiday_counts_the_adjusted_days(world, at_review, national_day):
    # Mon 09-29, Tue 09-30, (10-01..10-08 休), Thu 10-09, Fri 10-10: four working days in twelve calendar days.
    with pytest.raises(services.RuleBlocked) as exc:
        record_13(world, at_review, date(2025, 9, 29), date(2025, 10, 10))
    assert "共4个工作日，不足5个工作日" in exc.value.messages[0]
    # ... the Saturday 10-11 is a 调休 working day: five.
    record_13(world, at_review, date(2025, 9, 29), date(2025, 10, 11))


def test_the_sunday_working_day_counts_too(world, at_review, national_day):
    # Sun 09-28 (班), 09-29, 09-30, 10-09, 10-10: five.
    record_13(world, at_review, date(2025, 9, 28), date(2025, 10, 10))


def test_a_deleted_working_day_no_longer_counts(world, at_review, national_day):
    Holiday.objects.filter(date=date(2025, 9, 28)).delete()
    with pytest.raises(services.RuleBlocked):
        record_13(world, at_review, date(2025, 9, 28), date(2025, 10, 10))


def test_an_organisation_may_count_calendar_days_instead(world, at_review, national_day):
    admin = make_user("sys2", admin_role="system")
    compliance.rule_override_set(actor=admin, org=world.tree["school_a"], rule_id="pipeline.publicity", enabled=True,
                                 params={"days": 7, "unit": "calendar"}, reason="本地口径：公示7天")
    with pytest.raises(services.RuleBlocked) as exc:
        record_13(world, at_review, date(2025, 10, 1), date(2025, 10, 6))
    assert "共6天，不足7天" in exc.value.messages[0]
    record_13(world, at_review, date(2025, 10, 1), date(2025, 10, 7))    # the holiday counts in calendar days


def test_the_confirmation_publicity_follows_the_same_rule(world, national_day):
    file = advance(world, world.open(date(2023, 8, 1)), 22)
    # 预备期 from the 支部大会 2024-12-01 ends 2025-12-01; 公示 Thu 11-20 .. Tue 11-25 is four working days.
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(file, 23, date(2025, 12, 1), publicity_start=date(2025, 11, 20),
                     publicity_end=date(2025, 11, 25))
    assert [v.rule.id for v in exc.value.violations] == ["pipeline.publicity"]


def test_the_file_page_shows_the_period_and_its_working_days(client, world, at_review, national_day):
    record_13(world, at_review, date(2025, 9, 28), date(2025, 10, 10))
    client.force_login(world.writer)
    html = client.get(reverse("pipeline:file", args=[at_review.pk])).content.decode()
    assert '公示 2025-09-28至2025-10-10（<span data-publicity="13">5个工作日</span>）' in html
    assert reverse("workdays:home") in html
