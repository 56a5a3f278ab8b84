"""党员积分 in the browser: a member opens 我的积分 on a phone and sees how the score was made; a secretary
sees the ranking."""

from datetime import date

import pytest

from dangjian.life.models import Attendance, Meeting
from dangjian.orgs.models import Role
from tests.factories import PASSWORD, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)
YEAR = 2025


def test_member_sees_the_breakdown_of_his_points(page, phone):
    tree = make_tree()
    me = make_person(tree["branch_a1"], name="陈红")
    make_person(tree["branch_a1"], name="刘明")
    for day, status in ((date(YEAR, 3, 5), "present"), (date(YEAR, 4, 5), "present"), (date(YEAR, 5, 5), "absent")):
        meeting = Meeting.objects.create(org=tree["branch_a1"], type="assembly", theme=f"{day.month}月党员大会",
                                         date=day, status=Meeting.Status.HELD)
        Attendance.objects.create(meeting=meeting, person=me, status=status)
    make_user("ui_points_member", Role.MEMBER, tree["branch_a1"], person=me)
    make_user("ui_points_sec", Role.SECRETARY, tree["school_a"])

    login(phone, "ui_points_member", PASSWORD)
    phone.goto(phone.base + f"/points/?year={YEAR}")
    assert "我的积分" in phone.inner_text("h1")
    assert phone.inner_text("[data-testid=total]") == "59.0"        # 60 + 2×2 − 5
    table = phone.inner_text("[data-testid=breakdown]")
    assert "出席组织生活" in table and "无故缺席组织生活" in table and "-5.0" in table
    phone.click("text=2 条记录")
    assert phone.is_visible("text=3月党员大会")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "points-mine-375")

    login(page, "ui_points_sec", PASSWORD)
    page.goto(page.base + f"/points/?year={YEAR}")
    assert "陈红" in page.inner_text("table") and "刘明" in page.inner_text("table")
    shot(page, "points-ranking-1366")
