"""Converted filter pages in a browser with more organisations than ORG_PICKER_FULL_MAX: the bounded picker and its
search box sit in the filter form (党内统计, 党费 month), searching offers a school, choosing it reloads the page
for it."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.orgs.models import OrgKind, Role
from tests.factories import PASSWORD, make_org, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def province(settings):
    settings.ORG_PICKER_FULL_MAX = 5
    tree = make_tree()
    schools = [make_org(tree["area"], f"青松第{n}小学党支部", OrgKind.BRANCH, unit_name=f"青松第{n}小学")
               for n in range(1, 16)]
    make_org(schools[11], "青松第12小学第一党小组", OrgKind.GROUP, unit_name="青松第12小学")
    make_user("ui_pages", Role.ORG_ADMIN, tree["district"])
    return tree, schools


def test_stats_and_dues_pages_search_and_choose_a_school(page, province):
    tree, schools = province
    login(page, "ui_pages", PASSWORD)

    page.goto(page.base + f"/reports/stats/?org={tree['area'].pk}")
    assert page.locator("#s-org").input_value() == str(tree["area"].pk)
    assert page.locator("#s-org option").count() == 2 + 17 + 1     # district, area, its 17 children, the hint
    search = page.locator("[data-org-picker-search=s-org]")
    assert search.is_visible()
    shot(page, "org-picker-stats-1366")
    search.fill("第12小")
    expect(page.locator("#s-org option")).to_have_count(1)           # the school; its 党小组 is not offered
    assert page.locator("#s-org option").inner_text().startswith("青松第12小学党支部")
    page.select_option("#s-org", str(schools[11].pk))
    page.click("[data-testid=stats-filter] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"[?&]org={schools[11].pk}(&|$)"))
    expect(page.locator("h1 + div")).to_contain_text("青松第12小学党支部及下级组织")
    assert page.locator("#s-org").input_value() == str(schools[11].pk)

    page.goto(page.base + f"/dues/?org={schools[3].pk}")
    assert page.locator("#f-org").input_value() == str(schools[3].pk)
    assert page.locator("#f-org option").count() == 3 + 1           # district, area, the school; the hint
    assert page.locator("[data-org-picker-search=f-org]").is_visible()
    shot(page, "org-picker-dues-1366")
