"""Browser: a secretary records a 支委会 with two absentees; a member signs in by QR on a phone."""

from datetime import date

import pytest
from django.utils import timezone

from dangjian.life import services
from dangjian.life.models import Attendance, Meeting
from dangjian.orgs.models import Role
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_tree, make_user
from tests.life_helpers import committee, member

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_records_committee_and_member_signs_in_by_qr(page, phone):
    tree = make_tree()
    org = tree["branch_a1"]
    people = [member(org, name=n, started=date(2015, 1, 1)) for n in ("王书记", "李委员", "张委员", "赵委员", "钱委员")]
    committee(org, people)
    make_user("sec", Role.SECRETARY, org)
    make_user("wang", person=people[0])

    login(page, "sec", PASSWORD)
    page.goto(page.base + f"/life/record/?org={org.pk}")
    page.select_option("#id_type", "committee")
    page.fill("#id_theme", "十一月支委会")
    page.fill("#id_date", timezone.localdate().isoformat())
    page.fill("#id_place", "党员活动室")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    meeting = Meeting.objects.get(theme="十一月支委会")
    assert meeting.status == Meeting.Status.HELD and meeting.attendance.count() == 5
    rows = page.locator("#attendance tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(rows.count())]
    for i, name in enumerate(names):
        status = "absent" if name.startswith(("张委员", "赵委员")) else "present"
        rows.nth(i).locator("select").select_option(status)
    with page.expect_navigation():
        page.click("#attendance button[type=submit]")
    assert page.locator(".alert-success").count() == 1
    assert "缺席 2" in page.inner_text("#attendance .card-header")
    assert page.locator("#qr svg").count() == 1
    shot(page, "life_meeting_detail_1366")
    signin_url = page.get_attribute("#signin-link", "href")

    page.goto(page.base + "/life/")
    shot(page, "life_meetings_1366")
    page.goto(page.base + "/life/calendar/")
    shot(page, "life_calendar_1366")

    # The member scans the QR: the sign-in URL opens on the phone.
    login(phone, "wang", PASSWORD)
    phone.goto(signin_url.replace("http://testserver", phone.base))
    shot(phone, "life_signin_375")
    with phone.expect_navigation():
        phone.click("#signin-button")
    assert "签到成功" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "life_signin_done_375")
    row = Attendance.objects.get(meeting=meeting, person=people[0])
    assert row.signed_in_at is not None and row.status == Attendance.Status.PRESENT
    phone.goto(signin_url.replace("http://testserver", phone.base))
    assert "您已签到" in phone.inner_text("main")
    phone.goto(phone.base + "/life/")
    shot(phone, "life_meetings_375")
    assert services.signin_code(meeting)
