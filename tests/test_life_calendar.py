"""Calendar month view and the hand-written iCalendar export (RFC 5545)."""

from datetime import date, datetime, time, timezone as dt_timezone

import pytest
from django.urls import reverse

from dangjian.life import ical, services
from dangjian.life.models import MeetingType
from tests.life_helpers import writer

pytestmark = pytest.mark.django_db


def test_escape_and_fold_follow_rfc5545():
    assert ical.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "党" * 40
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_calendar_document_has_the_required_properties(tree):
    org = tree["branch_a1"]
    m = services.meeting_plan(actor=writer(org), org=org, type=MeetingType.ASSEMBLY, theme="学习,讨论;总结",
                              date=date(2024, 3, 12), start_time=time(14), end_time=time(15, 30), place="三楼会议室")
    allday = services.meeting_plan(actor=writer(org), org=org, type=MeetingType.THEME_DAY, theme="主题党日",
                                   date=date(2024, 3, 20))
    text = ical.calendar([m, allday], host="example.org", now=datetime(2024, 3, 1, 8, tzinfo=dt_timezone.utc))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") and text.endswith("END:VCALENDAR\r\n")
    lines = text.split("\r\n")
    assert f"UID:meeting-{m.pk}@example.org" in lines
    assert "DTSTAMP:20240301T080000Z" in lines
    assert "DTSTART;TZID=Asia/Shanghai:20240312T140000" in lines
    assert "DTEND;TZID=Asia/Shanghai:20240312T153000" in lines
    assert "DTSTART;VALUE=DATE:20240320" in lines and "DTEND;VALUE=DATE:20240321" in lines
    assert "SUMMARY:【支部党员大会】学习\\,讨论\\;总结" in lines
    assert "LOCATION:三楼会议室" in lines
    assert "BEGIN:VTIMEZONE" in lines and text.count("BEGIN:VEVENT") == 2
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)


def test_ics_view_exports_scoped_meetings(client, tree):
    user = writer(tree["school_a"])
    services.meeting_plan(actor=user, org=tree["branch_a1"], type="assembly", theme="一支部会", date=date.today())
    other = writer(tree["school_b"])
    services.meeting_plan(actor=other, org=tree["school_b"], type="assembly", theme="外校会", date=date.today())
    client.force_login(user)
    response = client.get(reverse("life:calendar_ics"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "一支部会" in body and "外校会" not in body


def test_month_view_query_count_is_fixed(client, tree, django_assert_num_queries):
    org = tree["branch_a1"]
    user = writer(org)
    client.force_login(user)
    services.meeting_plan(actor=user, org=org, type="assembly", theme="三月会", date=date(2024, 3, 5))
    url = reverse("life:calendar") + f"?org={org.pk}&month=2024-03"
    client.get(url)
    with django_assert_num_queries(9) as small:
        assert "三月会" in client.get(url).content.decode()
    for day in range(1, 28):
        services.meeting_plan(actor=user, org=org, type="theme_day", theme=f"会{day}", date=date(2024, 3, day))
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert "2024年3月" in body and "主题党日" in body


def test_bad_month_falls_back_to_this_month(client, tree):
    client.force_login(writer(tree["branch_a1"]))
    assert client.get(reverse("life:calendar") + "?month=2024-13").status_code == 200
