"""Browser: the district cockpit of the demo district draws its charts (canvases, ECharts series with data), a click
on a school in the compliance heatmap opens that school's dashboard, from the school's dashboard its year-end report downloads as Word, a click on a branch opens the branch's,
and at 375 px the charts stack without sideways scrolling. Screenshots go to /tmp/dashboard-screens/."""

import io
from pathlib import Path

import docx
import pytest
from django.core.management import call_command

from dangjian.orgs.models import Organisation
from dangjian.reports.dashboard import units_of

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Demo@2024"
CHARTS = ["members", "dues", "compliance", "pipeline", "service"]
SCREENS = Path("/tmp/dashboard-screens")


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    settings.DEBUG = False


def screenshot(page, name):
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    shot(page, name)


def wait_for_charts(page):
    for name in CHARTS:
        page.wait_for_selector(f'[data-chart="{name}"][data-ready]', state="attached")


def series_lengths(page, name):
    """Lengths of the data of each series of the chart's ECharts instance."""
    return page.evaluate("""name => {
        const chart = echarts.getInstanceByDom(document.querySelector(`[data-chart="${name}"]`));
        return chart.getOption().series.map(s => s.data.length);
    }""", name)


def click_heatmap_row(page, row_name):
    """Scroll the heatmap to the row of that name (only 15 rows show at a time) and click its first cell: ECharts
    draws on a canvas, so the cell's pixel comes from the chart."""
    page.evaluate("""rowName => new Promise(resolve => {
        const el = document.querySelector('[data-chart="compliance"]');
        el.scrollIntoView({block: "center", behavior: "instant"});   // Bootstrap scrolls smoothly otherwise
        const chart = echarts.getInstanceByDom(el);
        const y = chart.getOption().yAxis[0].data.indexOf(rowName);
        if (!chart.getOption().dataZoom.length) {
            return resolve();
        }
        chart.on("finished", function done() { chart.off("finished", done); resolve(); });
        chart.dispatchAction({type: "dataZoom", dataZoomIndex: 0, startValue: y, endValue: y + 14});
    })""", row_name)
    page.wait_for_timeout(100)
    point = page.evaluate("""rowName => {
        const el = document.querySelector('[data-chart="compliance"]');
        const chart = echarts.getInstanceByDom(el);
        const y = chart.getOption().yAxis[0].data.indexOf(rowName);
        const cell = chart.getOption().series[0].data.find(c => c.value[1] === y);
        const [px, py] = chart.convertToPixel({seriesIndex: 0}, cell.value.slice(0, 2));
        const box = el.getBoundingClientRect();
        const rowUrl = JSON.parse(document.getElementById("dashboard-data").textContent).compliance.rows[y].url;
        return {x: box.left + px, y: box.top + py, url: cell.url || rowUrl};
    }""", row_name)
    page.mouse.move(point["x"], point["y"])
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    return point["url"]


def heatmap_rows(page):
    return page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('[data-chart="compliance"]'))
        .getOption().yAxis[0].data""")


def test_the_district_dashboard_draws_its_charts_and_drills_down_to_a_school_and_a_branch(page, demo):
    login(page, "district_viewer", PASSWORD)
    page.goto(page.base + "/reports/dashboard/")
    wait_for_charts(page)
    for name in CHARTS:
        assert page.locator(f'[data-chart="{name}"] canvas').count() >= 1, name
        assert page.get_attribute(f'[data-chart="{name}"]', "data-ready") == "true", name
        assert all(n > 0 for n in series_lengths(page, name)), name
    assert series_lengths(page, "members") == [12, 12]
    root = Organisation.objects.get(depth=1)
    schools = units_of(root, list(Organisation.objects.filter(dissolved_on__isnull=True).order_by("path")))
    assert page.locator("[data-testid=ranking] tbody tr").count() == len(schools) > 20
    screenshot(page, "dashboard-district-1366")

    # A school with branches (the worst of them comes first): a click on its row opens its dashboard ...
    with_branches = {o.name for o in schools if o.kind in ("party_committee", "general_branch")}
    school = next(name for name in heatmap_rows(page) if name in with_branches)
    url = click_heatmap_row(page, school)
    assert page.url.endswith(url)
    assert page.locator("[data-testid=dashboard-root]").inner_text() == school
    wait_for_charts(page)
    assert "青山区委教育工委" in page.locator("[data-testid=breadcrumbs]").inner_text()
    assert page.locator("[data-testid=ranking] tbody tr").count() >= 2
    screenshot(page, "dashboard-school-1366")

    # The school's year-end report, from its dashboard: last school year's figures, downloaded as Word.
    school_url = page.url
    with page.expect_navigation():
        page.click("[data-testid=dashboard-summary]")
    assert school in page.inner_text("h1")
    with page.expect_navigation():
        page.click("text=2025—2026学年")
    with page.expect_navigation():
        page.click('[data-testid="summary-download"]')
    page.wait_for_selector('[data-testid="job-download"]')
    with page.expect_download() as info:
        page.click('[data-testid="job-download"]')
    assert info.value.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(info.value.path()).paragraphs)
    assert school in text and "基本情况" in text
    page.goto(school_url)
    wait_for_charts(page)

    # ... whose heatmap rows are its branches: a click opens the branch, which has no ranking of its own.
    branch = heatmap_rows(page)[0]
    click_heatmap_row(page, branch)
    assert page.locator("[data-testid=dashboard-root]").inner_text() == branch
    wait_for_charts(page)
    assert page.locator("[data-testid=ranking]").count() == 0
    assert school in page.locator("[data-testid=breadcrumbs]").inner_text()
    screenshot(page, "dashboard-branch-1366")

    # The records: the ranking's numbers open the filtered lists.
    page.goto(page.base + "/reports/dashboard/?sort=members")
    first = page.locator("[data-testid=ranking] tbody tr").first
    with page.expect_navigation():
        first.locator("td a").first.click()
    assert "/members/?org=" in page.url and "status=members" in page.url


def test_the_school_secretary_sees_the_school_and_the_charts_stack_on_a_phone(phone, demo):
    login(phone, "school_admin", PASSWORD)
    phone.goto(phone.base + "/reports/dashboard/")
    wait_for_charts(phone)
    boxes = [phone.locator(f'[data-chart="{name}"]').bounding_box() for name in CHARTS]
    assert len({round(b["x"]) for b in boxes}) == 1                 # one column
    assert all(b["width"] <= 375 for b in boxes)
    tops = [b["y"] for b in boxes]
    assert tops == sorted(tops)                                     # stacked, in page order
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    screenshot(phone, "dashboard-school-375")
    outside = Organisation.objects.get(name="青山区新华小学党支部")
    response = phone.goto(phone.base + f"/reports/dashboard/{outside.pk}/")
    assert response.status == 404
