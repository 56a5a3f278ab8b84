"""The dues screens: month at a glance, a member's own account, arrears, publication, and the forms."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from dangjian.dues import services
from dangjian.dues.models import Category, DuesBase, DuesBill, DuesPayment, VoluntaryPayment
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


@pytest.fixture
def secretary(tree):
    return make_user("v_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def sec_client(client, secretary):
    client.force_login(secretary)
    return client


def members(org, n, actor, months=(3,), base="4000"):
    people = []
    for _ in range(n):
        person = make_person(org)
        services.base_set(actor=actor, person=person, category=Category.EMPLOYED, base=base,
                          effective_month=date(2026, 1, 1))
        people.append(person)
    for m in months:
        services.bills_generate(actor=actor, month=date(2026, m, 1), org=org)
    return people


def month_url(org, month="2026-03"):
    return reverse("dues:home") + f"?org={org.pk}&month={month}"


def test_the_month_page_shows_who_paid_who_owes_and_the_totals(sec_client, tree, secretary):
    a, b = members(tree["branch_a1"], 2, secretary)
    services.payment_record(actor=secretary, person=a, months=[MARCH], paid_on=date(2026, 3, 9), payer_name="王五")
    response = sec_client.get(month_url(tree["school_a"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert a.name in html and b.name in html and "代缴：王五" in html
    assert response.context["totals"]["paid"] == 1 and response.context["totals"]["unpaid"] == 1
    assert response.context["totals"]["collected"] == Decimal("40.00")
    assert response.context["totals"]["owed"] == Decimal("40.00")


@pytest.mark.parametrize("n", [2, 15])
def test_the_month_page_issues_a_fixed_number_of_queries(sec_client, tree, secretary, n, django_assert_num_queries):
    members(tree["branch_a1"], n, secretary)
    members(tree["branch_a2"], n, secretary)
    sec_client.get(month_url(tree["school_a"]))  # warm the session
    # session, user, roles, orgs, totals, branches, unbilled, page count, page rows, session save (3)
    with django_assert_num_queries(12):
        sec_client.get(month_url(tree["school_a"]))


def test_the_member_sees_only_their_own_account_with_the_reason(client, tree, secretary):
    mine, other = members(tree["branch_a1"], 2, secretary, base="5100")
    user = make_user("v_member", Role.MEMBER, tree["branch_a1"], person=mine)
    client.force_login(user)
    response = client.get(reverse("dues:home"))
    assert response.status_code == 302 and response.url == reverse("dues:person", args=[mine.pk])
    html = client.get(response.url).content.decode()
    assert "我的党费" in html and "76.50" in html and "基数 5100.00 元 × 1.5%（5000元以上至10000元（含））" in html
    assert "费规 第一条、第二条" in html and "登记缴纳" not in html
    assert client.get(reverse("dues:person", args=[other.pk])).status_code == 404
    assert client.get(reverse("dues:pay", args=[mine.pk])).status_code == 403  # own account: read only


def test_generating_from_the_page_creates_the_bills_once(sec_client, tree, secretary):
    members(tree["branch_a1"], 2, secretary, months=())
    data = {"org": tree["school_a"].pk, "month": "2026-04"}
    response = sec_client.post(reverse("dues:generate"), data, follow=True)
    assert "新生成账单 2 张" in response.content.decode()
    response = sec_client.post(reverse("dues:generate"), data, follow=True)
    assert "新生成账单 0 张，已有 2 张未重复生成" in response.content.decode()
    assert DuesBill.objects.count() == 2


def test_generating_for_an_organisation_outside_the_scope_is_refused(sec_client, tree):
    make_person(tree["school_b"])
    response = sec_client.post(reverse("dues:generate"), {"org": tree["school_b"].pk, "month": "2026-03"})
    assert response.status_code == 404 and not DuesBill.objects.exists()
    viewer = make_user("v_viewer", Role.VIEWER, tree["school_a"])
    sec_client.force_login(viewer)
    response = sec_client.post(reverse("dues:generate"), {"org": tree["school_a"].pk, "month": "2026-03"})
    assert response.status_code == 403 and not DuesBill.objects.exists()


def test_ticking_members_records_their_payments(sec_client, tree, secretary):
    a, b, c = members(tree["branch_a1"], 3, secretary)
    response = sec_client.post(reverse("dues:pay_bulk"), {"org": tree["branch_a1"].pk, "month": "2026-03",
                                                          "paid_on": "2026-03-20", "person": [a.pk, c.pk]},
                               follow=True)
    assert "已登记 2 名党员2026年3月的党费" in response.content.decode()
    assert set(DuesBill.objects.unpaid().values_list("person_id", flat=True)) == {b.pk}


def test_bulk_payment_with_someone_outside_the_scope_changes_nothing(sec_client, tree, secretary):
    a, = members(tree["branch_a1"], 1, secretary)
    outsider, = members(tree["school_b"], 1, make_user("b_sec", Role.SECRETARY, tree["school_b"]))
    response = sec_client.post(reverse("dues:pay_bulk"), {"org": tree["branch_a1"].pk, "month": "2026-03",
                                                          "paid_on": "2026-03-20", "person": [a.pk, outsider.pk]},
                               follow=True)
    assert "未做任何登记" in response.content.decode()
    assert not DuesPayment.objects.exists()


def test_the_payment_form_records_several_months_by_proxy(sec_client, tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary, months=(2, 3))
    url = reverse("dues:pay", args=[person.pk])
    assert "2026年2月" in sec_client.get(url).content.decode()
    response = sec_client.post(url, {"months": ["2026-02-01", "2026-03-01"], "paid_on": "2026-03-10",
                                     "payer_name": "张父"})
    assert response.status_code == 302
    payment = DuesPayment.objects.get()
    assert (payment.amount, payment.months, payment.payer_name) == (Decimal("80.00"), 2, "张父")


def test_the_payment_form_shows_the_services_error_and_changes_nothing(sec_client, tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary)
    response = sec_client.post(reverse("dues:pay", args=[person.pk]),
                               {"months": ["2026-03-01"], "paid_on": "2026-03-10", "payer_name": "学校财务室"})
    assert response.status_code == 400 and "组织不得代党员交纳党费" in response.content.decode()
    assert not DuesPayment.objects.exists()


def test_the_base_form_refuses_absurd_bases(sec_client, tree):
    person = make_person(tree["branch_a1"])
    url = reverse("dues:base_set", args=[person.pk])
    response = sec_client.post(url, {"category": "employed", "base": "2000000", "effective_month": "2026-01"})
    assert response.status_code == 400 and "超过每月100万元" in response.content.decode()
    response = sec_client.post(url, {"category": "employed", "base": "-3", "effective_month": "2026-01"})
    assert "不能为负数" in response.content.decode()
    response = sec_client.post(url, {"category": "employed", "base": "3000", "effective_month": "2026-13"})
    assert response.status_code == 400 and "不是有效的月份" in response.content.decode()
    assert not DuesBase.objects.exists()
    response = sec_client.post(url, {"category": "employed", "base": "4900", "effective_month": "2026-01"})
    assert response.status_code == 302 and DuesBase.objects.get().base == Decimal("4900.00")


def test_the_adjust_form_records_a_waiver_with_its_approval(sec_client, tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary)
    bill = DuesBill.objects.get()
    url = reverse("dues:adjust", args=[bill.pk])
    response = sec_client.post(url, {"kind": "waive"})
    assert response.status_code == 400 and "请填写批准机关" in response.content.decode()
    response = sec_client.post(url, {"kind": "waive", "approved_by": "区委教育工委", "approved_on": "2026-03-05",
                                     "approval_no": "免〔2026〕2号", "reason": "因病"})
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.waived and bill.approval_no == "免〔2026〕2号"


def test_the_voluntary_form_marks_large_payments_for_the_centre(sec_client, tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary)
    response = sec_client.post(reverse("dues:voluntary", args=[person.pk]),
                               {"amount": "1000", "paid_on": "2026-03-05"}, follow=True)
    assert "全额上缴中央" in response.content.decode()
    assert VoluntaryPayment.objects.get().remit_to_centre


def test_the_arrears_list_shows_months_owed_and_the_longest_run(sec_client, tree, secretary):
    a, b = members(tree["branch_a1"], 2, secretary, months=(1, 2, 3, 4))
    services.payment_record(actor=secretary, person=b, months=[date(2026, 2, 1)], paid_on=date(2026, 2, 5))
    response = sec_client.get(reverse("dues:arrears") + f"?org={tree['school_a'].pk}")
    rows = {r["name"]: r for r in response.context["rows"]}
    assert (rows[a.name]["count"], rows[a.name]["run"]) == (4, 4)
    assert (rows[b.name]["count"], rows[b.name]["run"]) == (3, 2)
    assert response.context["rows"][0]["name"] == a.name


@pytest.mark.parametrize("n", [2, 12])
def test_the_arrears_list_issues_a_fixed_number_of_queries(sec_client, tree, secretary, n, django_assert_num_queries):
    members(tree["branch_a1"], n, secretary, months=(1, 2))
    sec_client.get(reverse("dues:arrears"))
    with django_assert_num_queries(8):  # session, user, roles, orgs, arrears, session save (3)
        sec_client.get(reverse("dues:arrears"))


def test_the_publication_totals_each_branch_and_exports_excel(sec_client, tree, secretary):
    a, b = members(tree["branch_a1"], 2, secretary, months=(1, 2))
    c, = members(tree["branch_a2"], 1, secretary, months=(1,), base="5100")
    services.payment_record(actor=secretary, person=a, months=[date(2026, 1, 1), date(2026, 2, 1)],
                            paid_on=date(2026, 2, 5))
    services.voluntary_record(actor=secretary, person=c, amount="1200", paid_on=date(2026, 2, 5))
    url = reverse("dues:publication") + f"?org={tree['school_a'].pk}&year=2026"
    response = sec_client.get(url)
    rows = {r["org__name"]: r for r in response.context["rows"]}
    first = rows["实验中学第一党支部"]
    assert (first["members"], first["bills"], first["paid_bills"], first["collected"], first["owed"]) == (
        2, 4, 2, Decimal("80.00"), Decimal("80.00"))
    assert rows["实验中学第二党支部"]["centre"] == Decimal("1200.00")
    assert response.context["totals"]["due"] == Decimal("236.50")
    assert "2026年度党费收缴情况公示" in response.content.decode()
    export = sec_client.get(reverse("dues:publication_xlsx") + f"?org={tree['school_a'].pk}&year=2026")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "实验中学党总支 2026年度党费收缴情况公示"
    assert ["实验中学第一党支部", 2, 4, 2, "50.0%", 160, 80, 80, 0, 0] == values[2]
    assert values[4][0] == "合计"


def test_the_home_page_lists_the_dues_todos(client, tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary, months=(1,))
    user = make_user("todo_m", Role.MEMBER, tree["branch_a1"], person=person)
    client.force_login(user)
    assert "交纳2026年1月党费 40.00 元" in client.get(reverse("core:home")).content.decode()


def test_the_vendor_of_the_database_does_not_change_amounts(tree, secretary):
    person, = members(tree["branch_a1"], 1, secretary, months=(1,), base="2997")
    assert DuesBill.objects.get(person=person).amount == Decimal("14.99"), connection.vendor
