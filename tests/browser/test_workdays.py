"""Browser: the system administrator pastes a year's holidays with a bad line (every error listed, nothing
saved), fixes it, sees the year view, deletes an entry after confirming; a member reads the year at 375 px."""

from datetime import date

import pytest

from dangjian.orgs.models import Role
from dangjian.workdays.models import Holiday
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_person, make_tree, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_imports_and_deletes_and_a_member_reads_the_year(page, phone):
    tree = make_tree()
    admin = make_user("sysadmin", admin_role="system")
    login(page, admin.username, PASSWORD)
    page.goto(page.base + "/workdays/import/")
    page.fill("#id_text", "2025-10-01 休 国庆节\n2025-10-10 班 调休\n2025-10-11 班 国庆节调休")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "第2行" in page.inner_text("#import-errors") and "只能安排在周六或周日" in page.inner_text("#import-errors")
    assert not Holiday.objects.exists()
    page.fill("#id_text", "2025-10-01 休 国庆节\n2025-10-02 休 国庆节\n2025-10-11 班 国庆节调休")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "新增3条" in page.inner_text(".alert-success")
    assert page.locator("[data-date='2025-10-11'][data-kind=work]").count() == 1
    shot(page, "workdays_year_1366")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-entry='2025-10-02'] button")
    assert not Holiday.objects.filter(date=date(2025, 10, 2)).exists()

    member = make_user("wd_member", Role.MEMBER, tree["branch_a1"], person=make_person(tree["branch_a1"]))
    login(phone, member.username, PASSWORD)
    phone.goto(phone.base + "/workdays/?year=2025")
    assert phone.locator("[data-date='2025-10-01'][data-kind=rest]").count() == 1
    assert phone.locator("text=导入节假日安排").count() == 0
    shot(phone, "workdays_year_375")
