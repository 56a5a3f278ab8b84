"""党费 in the browser: a secretary generates the month's bills and records two payments; the member sees
their own page. Screenshots at 1366 px and 375 px."""

from datetime import date

import pytest
from django.utils import timezone

from dangjian.dues import services
from dangjian.dues.models import Category, DuesBill, DuesPayment
from dangjian.orgs.models import Role
from tests.factories import PASSWORD, make_person, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def branch():
    tree = make_tree()
    people = []
    for name, base in (("陈红", "5100"), ("刘明", "4900"), ("王芳", "3000"), ("赵强", "12000")):
        person = make_person(tree["branch_a1"], name=name)
        services.base_set(actor=None, person=person, category=Category.EMPLOYED, base=base,
                          effective_month=date(2026, 1, 1))
        people.append(person)
    retiree = make_person(tree["branch_a1"], name="孙老师")
    services.base_set(actor=None, person=retiree, category=Category.RETIRED, base="5001",
                      effective_month=date(2026, 1, 1))
    # Earlier months: the member still owes three of them.
    for month in (date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)):
        services.bills_generate(actor=None, month=month, org=tree["branch_a1"])
    make_user("ui_dues_sec", Role.SECRETARY, tree["school_a"])
    make_user("ui_dues_member", Role.MEMBER, tree["branch_a1"], person=people[0])
    return tree, people


def test_secretary_generates_bills_and_records_payments_and_the_member_sees_their_page(page, phone, branch):
    tree, people = branch
    month = timezone.localdate().replace(day=1)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "ui_dues_sec", PASSWORD)
    page.goto(page.base + f"/dues/?org={tree['branch_a1'].pk}")
    page.click("main [data-testid=generate]")
    page.wait_for_selector("text=新生成账单 5 张")
    assert DuesBill.objects.filter(month=month).count() == 5

    page.check(f"#p{people[1].pk}")
    page.check(f"#p{people[2].pk}")
    page.click("main [data-testid=pay-bulk]")
    page.wait_for_selector("text=已登记 2 名党员")
    assert page.locator("[data-testid=paid-count]").inner_text() == "2"
    assert page.locator("[data-testid=collected]").inner_text() == "64.00"  # 49.00 + 15.00
    assert DuesPayment.objects.count() == 2
    shot(page, "dues-month-1366")

    page.goto(page.base + f"/dues/arrears/?org={tree['school_a'].pk}")
    assert page.locator("td", has_text="陈红").is_visible()
    shot(page, "dues-arrears-1366")
    page.goto(page.base + f"/dues/publication/?org={tree['school_a'].pk}&year={month.year}")
    assert page.locator("[data-testid=publication-title]").is_visible()
    shot(page, "dues-publication-1366")
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible() and not page.locator(".nav-tabs").is_visible()
    shot(page, "dues-publication-print")
    page.emulate_media(media="screen")
    page.goto(page.base + f"/dues/person/{people[0].pk}/pay/")
    shot(page, "dues-pay-form-1366")

    login(phone, "ui_dues_member", PASSWORD)
    phone.goto(phone.base + "/dues/")
    phone.wait_for_url(f"**/dues/person/{people[0].pk}/")
    assert phone.locator("h1", has_text="我的党费").is_visible()
    assert phone.locator("[data-testid=owed]").inner_text() == "306.00"  # 4 months × 76.50
    assert phone.locator("td", has_text="基数 5100.00 元 × 1.5%（5000元以上至10000元（含））").first.is_visible()
    assert phone.locator("text=登记缴纳").count() == 0
    shot(phone, "dues-member-375")
    phone.goto(phone.base + "/")
    assert phone.locator("text=交纳2026年6月党费 76.50 元").is_visible()
    shot(phone, "dues-home-todos-375")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(page.base + f"/dues/?org={tree['branch_a1'].pk}")
    shot(page, "dues-month-375")
