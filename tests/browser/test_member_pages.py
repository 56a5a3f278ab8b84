from datetime import date

import pytest

from dangjian.members.models import Person
from dangjian.orgs.models import Role
from tests.factories import PASSWORD, make_id_number, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def secretary():
    tree = make_tree()
    for i in range(3):
        make_person(tree["branch_a1"], name=f"党员{i}")
    make_person(tree["school_b"], name="外校党员")
    user = make_user("ui_secretary", Role.SECRETARY, tree["school_a"])
    return user, tree


def test_secretary_creates_and_edits_a_member_with_inline_errors(page, secretary):
    user, tree = secretary
    login(page, "ui_secretary", PASSWORD)
    page.goto(page.base + "/members/new/")
    page.select_option("#id_org", str(tree["branch_a1"].pk))
    page.fill("#id_name", "赵敏")
    page.select_option("#id_gender", "F")
    page.fill("#id_birth_date", "1991-04-05")
    page.fill("#id_id_number", "110101199104050000")  # wrong check digit
    page.select_option("#id_status", "full")
    page.fill("#id_joined_on", "2016-06-30")
    page.fill("#id_full_member_on", "2017-06-30")
    page.click("main button[type=submit]")
    assert page.locator(".invalid-feedback", has_text="校验位").is_visible()
    assert not Person.objects.filter(name="赵敏").exists()
    shot(page, "member-form-error-1366")

    page.fill("#id_id_number", make_id_number(date(1991, 4, 5), 3, female=True))
    page.click("main button[type=submit]")
    page.wait_for_url("**/members/*/")
    assert page.locator("h1", has_text="赵敏").is_visible()
    person = Person.objects.get(name="赵敏")
    assert person.id_number_masked in page.content()

    page.click("text=修改信息")
    page.fill("#id_professional_title", "一级教师")
    page.check("#id_is_backbone")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/members/{person.pk}/")
    assert page.locator("text=一级教师").first.is_visible()
    assert page.locator(".list-group-item", has_text="职称").first.is_visible()
    shot(page, "member-detail-1366")


def test_roster_filters_and_stays_within_scope(page, secretary):
    login(page, "ui_secretary", PASSWORD)
    page.goto(page.base + "/members/")
    body = page.content()
    assert "党员0" in body and "外校党员" not in body
    page.fill("#f-q", "党员1")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#roster-table tbody tr")
    assert rows.count() == 1 and "党员1" in rows.first.inner_text()
    shot(page, "roster-1366")


def test_pages_work_on_a_375px_phone(phone, secretary):
    login(phone, "ui_secretary", PASSWORD)
    for path, name in (("/", "home"), ("/members/", "roster"), ("/orgs/", "tree")):
        phone.goto(phone.base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} overflows horizontally: {width}px"
        shot(phone, f"{name}-375")
    phone.click(".navbar-toggler")
    phone.locator(".navbar-nav .dropdown-toggle", has_text="党员").click()
    assert phone.locator(".navbar-nav .dropdown-item", has_text="党员名册").is_visible()
