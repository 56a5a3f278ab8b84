"""The holiday calendar: working days under the 2025 国庆 arrangement (10-01..10-08 休, 09-28 Sun and 10-11 Sat
班), one query per call whatever the span, the all-or-nothing import with every bad line reported, audited
deletes, and the year view."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.workdays import calendar, services
from dangjian.workdays.models import Holiday
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NATIONAL_DAY_2025 = """2025-09-28 班 国庆节、中秋节调休
2025-10-01 休 国庆节
2025-10-02 休 国庆节
2025-10-03 休 国庆节
2025-10-04 休 国庆节
2025-10-05 休 国庆节
2025-10-06 休 中秋节
2025-10-07 休 国庆节
2025-10-08 休 国庆节
2025-10-11 班 国庆节、中秋节调休"""


@pytest.fixture
def admin():
    return make_user("sys", admin_role="system")


@pytest.fixture
def national_day(admin):
    services.holiday_import(actor=admin, text=NATIONAL_DAY_2025)


def test_weekdays_work_and_weekends_rest_without_a_calendar():
    assert calendar.is_working_day(date(2025, 9, 26))          # Friday
    assert not calendar.is_working_day(date(2025, 9, 27))      # Saturday
    assert calendar.working_days_between(date(2025, 9, 1), date(2025, 9, 30)) == 22
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 9, 1)) == 0
    assert calendar.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 29)
    assert calendar.add_working_days(date(2025, 9, 26), 0) == date(2025, 9, 26)


def test_holidays_rest_and_adjusted_weekend_days_work(national_day):
    assert not calendar.is_working_day(date(2025, 10, 1))       # Wednesday, 国庆节
    assert calendar.is_working_day(date(2025, 9, 28))           # Sunday, 调休上班
    assert calendar.is_working_day(date(2025, 10, 11))          # Saturday, 调休上班
    assert calendar.is_working_day(date(2025, 10, 9))
    # 09-26 Fri, 09-28 Sun (班), 09-29, 09-30, 10-09, 10-10: six working days in fifteen.
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 10)) == 6
    assert calendar.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert calendar.working_days_between(date(2025, 10, 11), date(2025, 10, 11)) == 1


def test_adding_working_days_across_the_holiday(national_day):
    assert calendar.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert calendar.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)     # the Sunday 班
    assert calendar.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)   # the Saturday 班
    # A 公示 from Monday 09-29 reaches five working days on Saturday 10-11 (not 10-03 as without the calendar).
    assert calendar.add_working_days(date(2025, 9, 28), 5) == date(2025, 10, 11)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2025, 9, 30), -1)


def test_one_query_per_call_whatever_the_span(national_day, django_assert_num_queries):
    for span in (10, 3650):
        with django_assert_num_queries(1):
            calendar.working_days_between(date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=span))
        with django_assert_num_queries(1):
            calendar.add_working_days(date(2020, 1, 1), span // 2)
    with django_assert_num_queries(1):
        calendar.is_working_day(date(2025, 10, 1))


def test_counting_agrees_with_walking_day_by_day(national_day):
    cal = calendar.Calendar.load(date(2025, 9, 1), date(2025, 11, 30))
    start = date(2025, 9, 1)
    for length in range(0, 90, 7):
        end = start + timedelta(days=length)
        walked = sum(cal.is_working_day(start + timedelta(days=i)) for i in range(length + 1))
        assert cal.count(start, end) == walked


def test_import_adds_and_updates_and_is_audited(admin, national_day):
    assert Holiday.objects.count() == 10
    result = services.holiday_import(actor=admin, text="2026-01-01 休 元旦\n2025-10-08 休 国庆节（补）")
    assert result == (1, 1, 2025)
    assert Holiday.objects.get(date=date(2025, 10, 8)).name == "国庆节（补）"
    row = AuditLog.objects.filter(object_type="workdays.holiday", event="import").latest("id")
    assert row.changes["created"] == 1 and row.changes["updated"] == 1


def test_a_bad_import_reports_every_bad_line_and_changes_nothing(admin, national_day):
    before = AuditLog.objects.count()
    text = ("2026-10-01 休 国庆节\n"
            "2026-02-30 休 春节\n"          # no such date
            "2026-10-02 放 国庆节\n"        # bad kind
            "2026-10-09 班\n"               # a Friday cannot be a 调休上班 day
            "2026-10-01 休 国庆节\n"        # duplicate
            "国庆节")
    with pytest.raises(ValidationError) as exc:
        services.holiday_import(actor=admin, text=text)
    errors = exc.value.message_dict["text"]
    assert len(errors) == 5
    assert errors[0].startswith("第2行") and "不是有效日期" in errors[0]
    assert errors[1].startswith("第3行") and "只能是“休”或“班”" in errors[1]
    assert errors[2].startswith("第4行") and "调休上班只能安排在周六或周日" in errors[2]
    assert errors[3].startswith("第5行") and "与第1行重复" in errors[3]
    assert errors[4].startswith("第6行")
    assert Holiday.objects.count() == 10 and AuditLog.objects.count() == before


def test_only_the_system_admin_maintains_the_calendar(tree, national_day):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    with pytest.raises(PermissionDenied):
        services.holiday_import(actor=secretary, text="2026-01-01 休 元旦")
    with pytest.raises(PermissionDenied):
        services.holiday_delete(actor=secretary, holiday=Holiday.objects.first())
    assert Holiday.objects.count() == 10


def test_delete_is_audited_with_what_was_deleted(client, admin, national_day):
    holiday = Holiday.objects.get(date=date(2025, 10, 11))
    client.force_login(admin)
    response = client.post(reverse("workdays:delete", args=[holiday.pk]))
    assert response.status_code == 302 and "year=2025" in response["Location"]
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    row = AuditLog.objects.get(object_type="workdays.holiday", event="delete")
    assert row.changes["date"] == "2025-10-11" and row.changes["kind"] == "work"
    assert not calendar.is_working_day(date(2025, 10, 11))


def test_year_view_marks_the_days_and_counts_working_days(client, tree, national_day):
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(viewer)
    response = client.get(reverse("workdays:home") + "?year=2025")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-date="2025-10-01" data-kind="rest"' in html and 'data-date="2025-09-28" data-kind="work"' in html
    # 2025 has 261 weekdays; 6 holiday weekdays (10-01..10-03, 10-06..10-08) and 2 weekend working days.
    assert '<strong data-testid="working-total">257</strong>' in html
    assert "导入节假日安排" not in html and "删除" not in html
    assert "暂无2024年" in client.get(reverse("workdays:home") + "?year=2024").content.decode()


def test_year_view_query_count_is_fixed(client, admin, national_day, django_assert_max_num_queries):
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        client.get(reverse("workdays:home") + "?year=2025")
    services.holiday_import(actor=admin, text="\n".join(f"2025-{m:02d}-{d:02d} 休 假日" for m in range(1, 13)
                                                         for d in (1, 2, 3) if date(2025, m, d).weekday() < 5))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("workdays:home") + "?year=2025")
    assert "导入节假日安排" in response.content.decode()


def test_import_page_shows_every_error_and_keeps_the_text(client, admin):
    client.force_login(admin)
    url = reverse("workdays:import")
    response = client.post(url, {"text": "2026-13-01 休\n2026-10-10 班 国庆节调休"})
    html = response.content.decode()
    assert response.status_code == 400 and "第1行" in html and "2026-10-10 班 国庆节调休" in html
    assert not Holiday.objects.exists()
    response = client.post(url, {"text": "2026-10-01 休 国庆节\n2026-10-10 班 国庆节调休"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    assert Holiday.objects.count() == 2
