"""Browser: the organisation tree of a large scope shows its top levels; "+" loads a level of children in place
(htmx), the search finds a deep organisation; readable at 375 px."""

import pytest

from dangjian.orgs import selectors
from dangjian.orgs.models import OrgKind, Role
from tests.factories import PASSWORD, make_org, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_large_tree_expands_level_by_level(page, phone, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_FULL_MAX", 5)
    tree = make_tree()
    area2 = make_org(tree["district"], "第二片区党委", OrgKind.AREA_COMMITTEE)
    for i in range(3):
        school = make_org(area2, f"东关镇第{i + 1}小学党支部", OrgKind.BRANCH, unit_name=f"东关镇第{i + 1}小学")
        make_person(school), make_person(school)
    make_person(tree["group_a1"]), make_person(tree["branch_a2"], status="probationary")
    make_user("ui_tree_admin", Role.ORG_ADMIN, tree["district"])

    login(page, "ui_tree_admin", PASSWORD)
    page.goto(f"{page.base}/orgs/")
    body = page.locator("table tbody")
    assert body.locator("tr").count() == 3                     # the district and its two areas
    assert "只显示最上两级" in page.locator("[data-testid=tree-note]").inner_text()
    area = body.locator(f'tr[data-org="{tree["area"].pk}"]')
    area.locator("[data-testid=expand]").click()
    school_row = body.locator(f'tr[data-org="{tree["school_a"].pk}"]')
    school_row.wait_for()
    assert body.locator("tr").count() == 5
    assert "indent-2" in school_row.locator("td").first.get_attribute("class")
    assert school_row.locator("td").nth(2).inner_text() == "1" and school_row.locator("td").nth(3).inner_text() == "1"
    assert body.locator(f'tr[data-org="{tree["area"].pk}"] [data-testid=expand]').count() == 0   # expanded
    school_row.locator("[data-testid=expand]").click()
    body.locator(f'tr[data-org="{tree["branch_a1"].pk}"]').wait_for()
    shot(page, "org-tree-large-1366")

    page.fill("input[name=q]", "语文")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert body.locator("tr").count() == 1 and "实验中学第一党支部" in body.inner_text()

    login(phone, "ui_tree_admin", PASSWORD)
    phone.goto(f"{phone.base}/orgs/")
    phone.locator(f'tr[data-org="{area2.pk}"] [data-testid=expand]').click()
    phone.locator("table tbody tr").nth(5).wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(phone, "org-tree-large-375")
