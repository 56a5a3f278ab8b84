"""The organisation picker in a browser: the roster of a user with more organisations than ORG_PICKER_FULL_MAX
shows a bounded select and a search box; typing part of a school's name offers it, choosing it filters the roster."""

import pytest

from dangjian.orgs.models import OrgKind, Role
from tests.factories import PASSWORD, make_org, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def province(settings):
    settings.ORG_PICKER_FULL_MAX = 5
    tree = make_tree()
    schools = []
    for n in range(1, 16):
        school = make_org(tree["area"], f"青松第{n}小学党支部", OrgKind.BRANCH, unit_name=f"青松第{n}小学")
        make_person(school, name=f"青松{n}号党员")
        schools.append(school)
    make_person(tree["branch_a1"], name="实验中学党员")
    make_user("ui_picker", Role.ORG_ADMIN, tree["district"])
    return tree, schools


def _search_and_filter(page, schools, width):
    login(page, "ui_picker", PASSWORD)
    page.goto(page.base + "/members/")
    search = page.locator("[data-org-picker-search=f-org]")
    assert search.is_visible()
    initial = page.locator("#f-org option").count()
    assert initial == 1 + 2 + 1    # 全部, the district and its area, the hint
    assert page.locator("#f-org option", has_text="青松第12小学党支部").count() == 0

    search.fill("第12小")
    page.locator("#f-org option", has_text="青松第12小学党支部").wait_for(state="attached")
    assert page.locator("#f-org option").count() == 1
    shot(page, f"org-picker-roster-search-{width}")
    page.select_option("#f-org", str(schools[11].pk))
    page.click("form[role=search] button[type=submit]")
    table = page.locator("#roster-table")
    table.locator("text=青松12号党员").wait_for()
    assert table.locator("text=青松1号党员").count() == 0 and table.locator("text=实验中学党员").count() == 0

    # Clearing the box brings back the options the page came with.
    search.fill("")
    page.locator("#f-org option", has_text="第一片区党委").wait_for(state="attached")
    assert page.locator("#f-org option").count() == initial


def test_roster_picker_searches_a_school_and_filters_by_it(page, province):
    tree, schools = province
    _search_and_filter(page, schools, 1366)
    # Reloading with the school chosen lists it with its ancestors, selected.
    page.goto(page.base + f"/members/?org={schools[11].pk}")
    assert page.locator("#f-org").input_value() == str(schools[11].pk)
    assert page.locator("text=青松12号党员").first.is_visible()
    shot(page, "org-picker-roster-1366")


def test_roster_picker_on_a_phone(phone, province):
    tree, schools = province
    _search_and_filter(phone, schools, 375)
    phone.goto(phone.base + f"/members/?org={tree['area'].pk}")
    assert phone.locator("[data-org-picker-search=f-org]").is_visible()
    shot(phone, "org-picker-roster-375")
