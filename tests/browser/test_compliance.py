"""Browser: the compliance matrix turns green when a secretary records this month's 支委会; readable at 375 px."""

import pytest
from django.utils import timezone

from dangjian.life.models import Attendance, Meeting
from dangjian.orgs.models import CommitteePost, Role
from tests.factories import PASSWORD, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting():
    tree = make_tree()
    branch = tree["branch_a1"]
    committee = [make_person(branch, name=name) for name in ("张书记", "李委员", "王委员", "赵委员", "钱委员")]
    for i, person in enumerate(committee):
        CommitteePost.objects.create(org=branch, person=person, started_on=timezone.localdate().replace(year=2020),
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)
    make_user("ui_matrix_sec", Role.SECRETARY, tree["school_a"])
    return tree, branch, committee


def record_committee_meeting(branch, committee, day):
    """The secretary records this month's 支委会 with two absentees (rows created directly, as the meeting
    screens would)."""
    meeting = Meeting.objects.create(org=branch, type="committee", status=Meeting.Status.HELD, theme="研究本月工作",
                                     date=day, place="党员活动室")
    for i, person in enumerate(committee):
        Attendance.objects.create(meeting=meeting, person=person,
                                  status=Attendance.Status.ABSENT if i >= 3 else Attendance.Status.PRESENT)
    return meeting


def current_cell(page, branch):
    month = timezone.localdate().month
    return page.locator(f'tr[data-org="{branch.pk}"] td.cm-cell').nth(month - 1)


def test_recording_this_months_committee_meeting_turns_the_cell_green(page, phone, setting):
    tree, branch, committee = setting
    today = timezone.localdate()
    url = f"{page.base}/rules/matrix/?org={tree['school_a'].pk}&year={today.year}&type=committee"

    login(page, "ui_matrix_sec", PASSWORD)
    page.goto(url)
    cell = current_cell(page, branch)
    assert cell.get_attribute("data-month-status") in ("soon", "current")
    assert "cm-soon" in cell.get_attribute("class")
    assert cell.locator("a").get_attribute("href") == f"/life/new/?type=committee&org={branch.pk}"
    shot(page, "compliance-matrix-before-1366")

    record_committee_meeting(branch, committee, today)
    page.reload()
    cell = current_cell(page, branch)
    assert cell.get_attribute("data-month-status") == "met"
    assert "cm-met" in cell.get_attribute("class")
    href = cell.locator("a").get_attribute("href")
    assert href.startswith(f"/life/?type=committee&start={today:%Y-%m}-01&end=") and href.endswith(f"&org={branch.pk}")
    shot(page, "compliance-matrix-1366")

    page.goto(f"{page.base}/rules/matrix/?org={tree['school_a'].pk}&year={today.year}")
    mark = page.locator(f'tr[data-org="{branch.pk}"] td[data-month="{today.month}"] [data-type="committee"]')
    assert mark.get_attribute("data-status") == "met"
    shot(page, "compliance-matrix-all-types-1366")

    page.goto(f"{page.base}/rules/findings/?org={tree['school_a'].pk}")
    assert page.locator("[data-testid=findings] tbody tr").count() > 0
    shot(page, "compliance-findings-1366")

    login(phone, "ui_matrix_sec", PASSWORD)
    phone.goto(url)
    assert current_cell(phone, branch).get_attribute("data-month-status") == "met"
    # the table scrolls inside its card; the page itself does not scroll sideways
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(phone, "compliance-matrix-375")
    phone.goto(f"{phone.base}/rules/findings/?org={tree['school_a'].pk}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(phone, "compliance-findings-375")


def test_the_matrix_pages_its_rows_and_drills_down_to_a_school(page, phone, setting, monkeypatch):
    """A district viewer pages through the rows (the total stays the whole district's), drills down to a school,
    and goes back up through the breadcrumb; a phone shows the pager without sideways scrolling."""
    from dangjian.compliance import views

    from tests.factories import make_org

    monkeypatch.setattr(views, "MATRIX_PAGE_SIZE", 3)
    tree, branch, committee = setting
    record_committee_meeting(branch, committee, timezone.localdate())
    for i in range(4):
        make_org(tree["area"], f"第{i + 1}小学党支部", "branch")
    make_user("ui_matrix_viewer", Role.VIEWER, tree["district"])
    year = timezone.localdate().year

    login(page, "ui_matrix_viewer", PASSWORD)
    page.goto(f"{page.base}/rules/matrix/?year={year}&type=committee")
    total = page.locator("[data-testid=total-percent]").inner_text()
    assert page.locator("[data-testid=matrix] tbody tr").count() == 3
    assert "第 1 / 4 页" in page.locator("[data-testid=matrix-pager]").inner_text()
    with page.expect_navigation():
        page.locator("[data-testid=matrix-pager] a[rel=next]").click()
    assert "page=2" in page.url and f"year={year}" in page.url and "type=committee" in page.url
    assert page.locator("[data-testid=matrix] tbody tr").count() == 3
    assert page.locator("[data-testid=total-percent]").inner_text() == total
    shot(page, "compliance-matrix-page2-1366")

    page.goto(f"{page.base}/rules/matrix/?year={year}&type=committee")
    with page.expect_navigation():
        page.locator(f'tr[data-org="{tree["school_a"].pk}"] [data-testid=drill]').click()
    assert f"org={tree['school_a'].pk}" in page.url and "type=committee" in page.url
    rows = page.locator("[data-testid=matrix] tbody tr")
    assert rows.first.get_attribute("data-org") == str(tree["school_a"].pk)
    crumbs = page.locator("[data-testid=breadcrumb]")
    assert "第一片区党委" in crumbs.inner_text()
    assert page.locator("#id_org option:checked").inner_text().strip().startswith("实验中学党总支")
    shot(page, "compliance-matrix-drilled-1366")
    with page.expect_navigation():
        crumbs.get_by_role("link", name="第一片区党委").click()
    assert rows.first.get_attribute("data-org") == str(tree["area"].pk)

    login(phone, "ui_matrix_viewer", PASSWORD)
    phone.goto(f"{phone.base}/rules/matrix/?year={year}&type=committee&page=2")
    assert phone.locator("[data-testid=matrix-pager]").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(phone, "compliance-matrix-page2-375")
