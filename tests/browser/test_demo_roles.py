"""Log in as each demo account in a real browser and see only what that role may see."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from dangjian.members.models import Person
from tests.factories import make_id_number

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Demo@2024"


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    settings.DEBUG = False


def nav(page):
    return [t.strip() for t in page.locator(".navbar-nav .nav-link").all_inner_texts()]


def status_of(page, path):
    response = page.goto(page.base + path)
    return response.status


@pytest.mark.parametrize("username,menu,allowed,refused", [
    ("district_viewer", ["工作台", "组织", "党员", "组织生活", "党费", "服务与先锋", "考评", "合规检查", "统计报告"], ["/orgs/", "/members/"], ["/accounts/users/", "/audit/", "/rules/"]),
    ("district_admin", ["工作台", "组织", "党员", "组织生活", "党费", "服务与先锋", "考评", "合规检查", "统计报告"], ["/orgs/", "/members/", "/members/import/"], ["/audit/"]),
    ("discipline", ["工作台", "组织", "党员", "组织生活", "党费", "服务与先锋", "考评", "合规检查", "统计报告"], ["/members/"], ["/members/import/", "/members/new/"]),
    ("member", ["工作台", "我的档案", "组织生活", "民主评议", "党费", "我的积分"], [], ["/orgs/", "/members/", "/members/import/", "/audit/"]),
    ("sysadmin", ["工作台", "系统设置"], ["/rules/"], ["/orgs/", "/members/", "/accounts/users/", "/audit/"]),
    ("secadmin", ["工作台", "用户与角色"], ["/accounts/users/"], ["/orgs/", "/members/", "/audit/", "/rules/"]),
    ("auditor", ["工作台", "审计日志"], ["/audit/"], ["/orgs/", "/members/", "/accounts/users/", "/rules/"]),
])
def test_each_demo_role_sees_its_menu_and_is_refused_the_rest(page, demo, username, menu, allowed, refused):
    login(page, username, PASSWORD)
    assert nav(page) == menu
    shot(page, f"home-{username}-1366")
    for path in allowed:
        assert status_of(page, path) == 200, path
    for path in refused:
        assert status_of(page, path) == 403, path


@pytest.mark.parametrize("username,extra", [
    ("district_admin", ["廉政建设"]), ("school_admin", []), ("discipline", ["廉政建设"]), ("member", []),
    ("sysadmin", ["规则设置", "工作日历", "文书模板"]),
])
def test_every_menu_entry_opens_for_the_demo_roles(page, demo, username, extra):
    """Every link of the menu (the dropdowns' entries too) answers 200 with the demo data, without a CSP
    violation; 廉政建设 only for 纪检 and the district."""
    login(page, username, PASSWORD)
    entries = page.locator(".navbar-nav a.dropdown-item, .navbar-nav a.nav-link:not(.dropdown-toggle)")
    targets = [(entries.nth(i).inner_text().strip(), entries.nth(i).get_attribute("href"))
               for i in range(entries.count())]
    labels = [label for label, _ in targets]
    assert all(label in labels for label in extra)
    assert ("廉政建设" in labels) == (username in ("discipline", "district_admin"))
    for label, href in targets:
        assert status_of(page, href) == 200, (label, href)
    shot(page, f"menu-last-{username}-1366")


def test_school_admin_sees_only_their_school(page, demo):
    login(page, "school_admin", PASSWORD)
    page.goto(page.base + "/orgs/")
    names = page.locator("tbody a").all_inner_texts()
    assert names[0] == "青山区阳光中学党总支"
    assert all("阳光中学" in n for n in names)
    page.goto(page.base + "/members/?q=" + Person.objects.filter(org__unit_name="青山区新华小学").first().name)
    assert "青山区新华小学" not in page.locator("#roster-table").inner_text()
    shot(page, "tree-school_admin-1366")


def test_branch_secretary_sees_the_seed_001_branch(page, demo):
    login(page, "branch_secretary", PASSWORD)
    page.goto(page.base + "/members/?status=members")
    assert "共 23 人" in page.locator("#roster-table").inner_text()
    page.goto(page.base + "/members/?status=full")
    assert "共 22 人" in page.locator("#roster-table").inner_text()


def test_district_admin_sees_the_deliberate_setup_problems_on_the_home_page(page, demo):
    login(page, "district_admin", PASSWORD)
    groups = page.locator(".list-group-item.finding-overdue").all_inner_texts()
    too_small = next(g for g in groups if "党支部正式党员不少于3人" in g)
    assert "特殊教育学校" in too_small and "支条 第四条" in too_small
    no_committee = next(g for g in groups if "应设支部委员会" in g)
    assert "东关镇中心小学" in no_committee
    page.click("text=党支部正式党员不少于3人")
    page.wait_for_load_state()
    assert "少于3人" in page.locator("main").inner_text()


def test_member_sees_only_their_own_record(page, demo):
    login(page, "member", PASSWORD)
    page.click("text=我的档案")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(Person.objects.get(user__username="member").name)
    assert page.locator("text=修改信息").count() == 0


def roster_file(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名*", "性别*", "民族", "出生日期*", "身份证号", "手机号", "学历", "职业类别", "职称",
               "所在党组织*", "党小组", "政治面貌*", "申请入党日期", "入党日期", "转正日期",
               "班主任", "教研组长", "骨干教师", "行政"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_import_with_a_bad_row_imports_nothing_and_shows_the_error_report(page, demo, tmp_path):
    org = "青山区新华小学党支部"
    good = ["钱学文", "男", "汉族", "1990-05-06", make_id_number(date(1990, 5, 6), 901), "13800000001", "大学本科",
            "专业技术人员", "一级教师", org, "", "正式党员", "", "2015-06-30", "2016-06-30", "否", "否", "是", "否"]
    bad = ["孙悦", "女", "汉族", "1992-02-30", "110101199202300000", "", "", "", "", org, "", "正式党员", "",
           "", "", "", "", "", ""]
    path = tmp_path / "名册.xlsx"
    path.write_bytes(roster_file([good, bad]))
    before = Person.objects.count()
    login(page, "branch_secretary", PASSWORD)
    page.goto(page.base + "/members/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=导入失败", timeout=20000)
    rows = [r.split("\t") for r in page.locator("main table tbody tr").all_inner_texts()]
    assert any(r[0].strip() == "3" and "出生日期" in r[1] for r in rows), rows
    assert Person.objects.count() == before
    with page.expect_download() as download:
        page.click("text=下载错误清单")
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(page, "import-errors-1366")
