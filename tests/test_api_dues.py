"""The dues API (bases, bills, payments, voluntary payments, arrears, publication) uses the pages' scoping and
the dues services: same records, same audit rows, JSON errors in Chinese, nothing changed on bad input."""

from datetime import date
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core.models import AuditLog
from dangjian.dues import billing, services
from dangjian.dues.models import Category, DuesBase, DuesBill, DuesPayment, VoluntaryPayment
from dangjian.orgs.models import OrgKind, Role
from tests.factories import make_org, make_person, make_user
from tests.test_api_fuzz import body_strategy, params_strategy
from tests.test_api_permissions import call, operations, token_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = billing.month_start(TODAY)


def months_ago(n):
    return THIS_MONTH - relativedelta(months=n)


def ym(month):
    return f"{month:%Y-%m}"


@pytest.fixture
def sec_user(tree):
    return make_user("dues_api_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def sec(sec_user):
    return token_for(sec_user)


def billed(org, months=(1,), base="4000", **kw):
    """A member with a base from a year ago and bills for the given months back."""
    person = make_person(org, **kw)
    services.base_set(actor=None, person=person, category=Category.EMPLOYED, base=base,
                      effective_month=months_ago(12))
    for n in months:
        services.bills_generate(actor=None, month=months_ago(n), org=org)
    return person


def audit_count():
    return AuditLog.objects.exclude(event="denied").count()


# --- scope -----------------------------------------------------------------------------------


def test_branch_users_token_cannot_read_another_branchs_dues_by_id(client, tree):
    other = billed(tree["branch_a2"])
    bill = DuesBill.objects.get(person=other)
    payment = services.payment_record(actor=None, person=other, months=[bill.month], paid_on=TODAY)
    voluntary = services.voluntary_record(actor=None, person=other, amount="50", paid_on=TODAY)
    base = DuesBase.objects.get(person=other)
    mine = billed(tree["branch_a1"])
    token = token_for(make_user("b1_sec_dues", Role.SECRETARY, tree["branch_a1"]))

    for path in (f"/dues/bills/{bill.pk}", f"/dues/payments/{payment.pk}", f"/dues/voluntary/{voluntary.pk}",
                 f"/dues/bases/{base.pk}", f"/dues/people/{other.pk}"):
        response = call(client, "get", path, token)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "未找到或无权访问。", "errors": {}}
    waive = {"kind": "waive", "approved_by": "党委", "approved_on": TODAY.isoformat(), "approval_no": "1号",
             "reason": "困难"}
    assert call(client, "post", f"/dues/bills/{bill.pk}/adjust", token, body=waive).status_code == 404
    assert call(client, "post", f"/dues/people/{other.pk}/voluntary", token,
                body={"amount": "10", "paid_on": TODAY.isoformat()}).status_code == 404
    for path in ("/dues/bills", "/dues/payments", "/dues/voluntary", "/dues/bases"):
        items = call(client, "get", path, token, params={"limit": 200}).json()["items"]
        assert {item["person"]["id"] for item in items} <= {mine.pk}, path
    assert call(client, "get", "/dues/bills", token).json()["count"] == 1
    assert AuditLog.objects.filter(event="denied", object_type="dues.duesbill", object_id=str(bill.pk)).exists()
    assert not DuesBill.objects.get(pk=bill.pk).waived


def test_member_reads_his_own_dues_only_and_cannot_write(client, tree):
    me = billed(tree["branch_a1"])
    token = token_for(make_user("dues_member", Role.MEMBER, tree["branch_a1"], person=me))
    billed(tree["branch_a1"])
    bills = call(client, "get", "/dues/bills", token).json()
    assert bills["count"] == 1 and bills["items"][0]["person"]["id"] == me.pk
    account = call(client, "get", f"/dues/people/{me.pk}", token).json()
    assert account["unpaid"] == 1 and account["owed"] == bills["items"][0]["amount"]
    assert account["current_base"]["base"] == "4000.00"
    response = call(client, "post", f"/dues/people/{me.pk}/payments", token,
                    body={"months": [ym(months_ago(1))], "paid_on": TODAY.isoformat()})
    assert response.status_code == 403
    assert call(client, "get", "/dues/arrears", token).status_code == 403
    assert not DuesPayment.objects.exists()


# --- writes through the services -------------------------------------------------------------


def test_base_set_through_the_api_recomputes_unpaid_bills_and_is_audited(client, tree, sec):
    person = billed(tree["branch_a2"], months=(2, 1))
    old = {b.month: b.amount for b in DuesBill.objects.filter(person=person)}
    response = call(client, "post", f"/dues/people/{person.pk}/bases", sec,
                    body={"category": "employed", "base": 9000, "effective_month": ym(months_ago(1))})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["base"], data["category_label"], data["effective_month"]) == (
        "9000.00", "在职", months_ago(1).isoformat())
    bills = {b.month: b.amount for b in DuesBill.objects.filter(person=person)}
    assert bills[months_ago(2)] == old[months_ago(2)] and bills[months_ago(1)] > old[months_ago(1)]
    entry = AuditLog.objects.filter(object_type="members.person", object_id=str(person.pk)).latest("id")
    assert entry.changes["bills_recomputed"] == 1 and entry.user.username == "dues_api_sec"


def test_bad_base_input_is_422_in_chinese_and_changes_nothing(client, tree, sec):
    person = billed(tree["branch_a2"])
    before = (list(DuesBase.objects.values_list("base", flat=True)), list(DuesBill.objects.values_list("amount")),
              audit_count())
    month = ym(months_ago(1))
    for body, field, message in (
            ({"category": "employed", "base": "-5", "effective_month": month}, "base", "计算基数不能为负数。"),
            ({"category": "employed", "base": "1e300", "effective_month": month}, "base", "金额应为数字（元），如 64.00。"),
            ({"category": "employed", "base": "12.345", "effective_month": month}, "base",
             "计算基数最多保留两位小数（元、角、分）。"),
            ({"category": "employed", "effective_month": month}, "base", "请填写计算基数。"),
            ({"category": "employed", "base": "5000", "effective_month": "2026-13"}, "effective_month",
             "“2026-13”不是有效的月份，请按 YYYY-MM 填写，如 2026-11。"),
            ({"category": "employed", "base": "5000", "effective_month": ym(THIS_MONTH + relativedelta(months=13))},
             "effective_month", "月份超出范围（最晚为12个月以后）。"),
            ({"category": "salary", "base": "5000", "effective_month": month}, "category", None),
    ):
        response = call(client, "post", f"/dues/people/{person.pk}/bases", sec, body=body)
        assert response.status_code == 422, (body, response.content)
        errors = response.json()["errors"]
        assert field in errors and (message is None or message in errors[field]), errors
    assert (list(DuesBase.objects.values_list("base", flat=True)), list(DuesBill.objects.values_list("amount")),
            audit_count()) == before


def test_generate_is_idempotent_lists_members_without_a_base_and_refuses_future_months(client, tree, sec):
    billed(tree["branch_a2"], months=())
    billed(tree["branch_a2"], months=())
    nobase = make_person(tree["branch_a2"], name="无基数")
    body = {"org": tree["branch_a2"].pk, "month": ym(months_ago(1))}
    first = call(client, "post", "/dues/bills/generate", sec, body=body)
    assert first.status_code == 201, first.content
    assert (first.json()["created"], first.json()["existing"], first.json()["missing"]) == (2, 0, [nobase.name])
    second = call(client, "post", "/dues/bills/generate", sec, body=body).json()
    assert (second["created"], second["existing"]) == (0, 2)
    assert AuditLog.objects.filter(object_type="dues.duesbill", event="create").count() == 2
    future = call(client, "post", "/dues/bills/generate", sec,
                  body={**body, "month": ym(THIS_MONTH + relativedelta(months=1))})
    assert future.status_code == 422 and future.json()["errors"] == {"month": ["不能为将来的月份生成账单。"]}
    assert DuesBill.objects.count() == 2


def test_payment_marks_the_bills_paid_and_bad_payments_change_nothing(client, tree, sec):
    person = billed(tree["branch_a2"], months=(9, 2, 1))
    url = f"/dues/people/{person.pk}/payments"
    before = audit_count()
    for body, check in (
            ({"months": [ym(months_ago(1))], "paid_on": TODAY.isoformat(), "payer_name": "第二党支部"},
             lambda r: r["errors"] == {"payer_name": ["组织不得代党员交纳党费：代缴人须为具体的人（填写姓名）。"]}),
            ({"months": [ym(months_ago(1)), ym(months_ago(9))], "paid_on": TODAY.isoformat()},
             lambda r: "须填写批准机关、批准日期和批准文号（费规 第十二条）" in r["detail"]),
            ({"months": [ym(months_ago(3))], "paid_on": TODAY.isoformat()},
             lambda r: "没有党费账单，请先生成账单" in r["detail"]),
            ({"months": [ym(months_ago(1))], "paid_on": (TODAY + relativedelta(days=1)).isoformat()},
             lambda r: r["errors"] == {"paid_on": ["缴纳日期不能晚于今天。"]}),
            ({"months": [], "paid_on": TODAY.isoformat()}, lambda r: list(r["errors"]) == ["months"]),
    ):
        response = call(client, "post", url, sec, body=body)
        assert response.status_code == 422 and check(response.json()), response.json()
    assert not DuesPayment.objects.exists() and audit_count() == before

    response = call(client, "post", url, sec, body={"months": [ym(months_ago(2)), ym(months_ago(1))],
                                                    "paid_on": TODAY.isoformat(), "payer_name": "王芳"})
    assert response.status_code == 201, response.content
    data = response.json()
    bills = DuesBill.objects.filter(person=person, month__in=[months_ago(2), months_ago(1)])
    assert data["months"] == [months_ago(2).isoformat(), months_ago(1).isoformat()]
    assert Decimal(data["amount"]) == sum(b.amount for b in bills) and data["payer_name"] == "王芳"
    assert {b.payment_id for b in bills} == {data["id"]}
    assert AuditLog.objects.filter(object_type="dues.duespayment", object_id=str(data["id"])).exists()
    assert call(client, "get", f"/dues/payments/{data['id']}", sec).json() == data
    again = call(client, "post", url, sec, body={"months": [ym(months_ago(1))], "paid_on": TODAY.isoformat()})
    assert again.status_code == 422 and "不能重复缴纳" in again.json()["detail"]
    states = {b["month"]: b["state"] for b in call(client, "get", "/dues/bills", sec,
                                                   params={"person": person.pk}).json()["items"]}
    assert states == {months_ago(9).isoformat(): "unpaid", months_ago(2).isoformat(): "paid",
                      months_ago(1).isoformat(): "paid"}


def test_adjust_needs_the_approval_and_waives_or_reduces(client, tree, sec):
    person = billed(tree["branch_a2"], months=(2, 1))
    reduce_bill, waive_bill = DuesBill.objects.filter(person=person).order_by("month")
    approval = {"approved_by": "区委教育工委", "approved_on": TODAY.isoformat(), "approval_no": "教工委〔2026〕3号",
                "reason": "家庭困难"}
    missing = call(client, "post", f"/dues/bills/{waive_bill.pk}/adjust", sec, body={"kind": "waive"})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {f: ["此项为必填项。"] for f in ("approved_by", "approved_on", "approval_no",
                                                                   "reason")}
    too_much = call(client, "post", f"/dues/bills/{reduce_bill.pk}/adjust", sec,
                    body={"kind": "reduce", "amount": str(reduce_bill.standard_amount), **approval})
    assert too_much.status_code == 422 and "amount" in too_much.json()["errors"]
    huge = call(client, "post", f"/dues/bills/{reduce_bill.pk}/adjust", sec,
                body={"kind": "reduce", "amount": "1e300", **approval})
    assert huge.status_code == 422 and huge.json()["errors"] == {"amount": ["金额应为数字（元），如 64.00。"]}
    assert not DuesBill.objects.filter(adjusted=True).exists()

    reduced = call(client, "post", f"/dues/bills/{reduce_bill.pk}/adjust", sec,
                   body={"kind": "reduce", "amount": "1.50", **approval})
    assert reduced.status_code == 200 and (reduced.json()["amount"], reduced.json()["adjusted"]) == ("1.50", True)
    waived = call(client, "post", f"/dues/bills/{waive_bill.pk}/adjust", sec, body={"kind": "waive", **approval})
    assert waived.status_code == 200 and (waived.json()["state"], waived.json()["amount"]) == ("waived", "0.00")
    assert AuditLog.objects.filter(object_type="dues.duesbill", object_id=str(waive_bill.pk), event="update").exists()
    twice = call(client, "post", f"/dues/bills/{waive_bill.pk}/adjust", sec, body={"kind": "waive", **approval})
    assert twice.status_code == 422 and twice.json()["detail"].endswith("党费已免交。")


def test_bulk_payment_is_all_or_nothing_and_only_within_the_scope(client, tree, sec):
    inside = [billed(tree["branch_a2"]) for _ in range(2)]
    outside = billed(tree["school_b"])
    body = {"person_ids": [p.pk for p in inside] + [outside.pk], "month": ym(months_ago(1)),
            "paid_on": TODAY.isoformat()}
    refused = call(client, "post", "/dues/payments/bulk", sec, body=body)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "所选党员中有不属于您管理范围的人员，未做任何登记。"
    assert not DuesPayment.objects.exists()
    done = call(client, "post", "/dues/payments/bulk", sec, body={**body, "person_ids": [p.pk for p in inside]})
    assert done.status_code == 201 and done.json()["count"] == 2
    assert DuesBill.objects.filter(person__in=inside, payment__isnull=False).count() == 2
    assert AuditLog.objects.filter(object_type="dues.duespayment").count() == 2


def test_voluntary_payment_of_1000_or_more_goes_to_the_centre(client, tree, sec):
    person = billed(tree["branch_a2"], months=())
    url = f"/dues/people/{person.pk}/voluntary"
    small = call(client, "post", url, sec, body={"amount": 200, "paid_on": TODAY.isoformat()})
    large = call(client, "post", url, sec, body={"amount": "1000.00", "paid_on": TODAY.isoformat(), "note": "自愿"})
    assert (small.status_code, large.status_code) == (201, 201)
    assert (small.json()["remit_to_centre"], large.json()["remit_to_centre"]) == (False, True)
    zero = call(client, "post", url, sec, body={"amount": "0", "paid_on": TODAY.isoformat()})
    assert zero.status_code == 422 and zero.json()["errors"] == {"amount": ["金额须大于0。"]}
    assert VoluntaryPayment.objects.count() == 2
    assert AuditLog.objects.filter(object_type="dues.voluntarypayment").count() == 2
    listed = call(client, "get", "/dues/voluntary", sec, params={"person": person.pk}).json()
    assert [v["amount"] for v in listed["items"]] == ["1000.00", "200.00"]


def test_arrears_and_publication_follow_the_pages(client, tree, sec):
    late = billed(tree["branch_a2"], months=(3, 2, 1), name="欠费者")
    paid = billed(tree["branch_a2"], months=(1,))
    services.payment_record(actor=None, person=paid, months=[months_ago(1)], paid_on=TODAY)
    response = call(client, "get", "/dues/arrears", sec, params={"org": tree["branch_a2"].pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 1 and data["org"]["id"] == tree["branch_a2"].pk
    row = data["items"][0]
    assert (row["person"]["id"], row["count"], row["run"]) == (late.pk, 3, 3)
    assert Decimal(row["amount"]) == sum(b.amount for b in DuesBill.objects.filter(person=late))
    assert call(client, "get", "/dues/arrears", sec).json()["org"]["id"] == tree["school_a"].pk
    assert call(client, "get", "/dues/arrears", sec, params={"org": tree["school_b"].pk}).status_code == 404

    year = months_ago(1).year
    pub = call(client, "get", "/dues/publication", sec, params={"org": tree["school_a"].pk, "year": year}).json()
    assert pub["year"] == year and pub["count"] == 1 and pub["items"][0]["org"]["id"] == tree["branch_a2"].pk
    assert pub["totals"]["paid_bills"] == 1
    assert call(client, "get", "/dues/publication", sec, params={"year": 1900}).status_code == 400


# --- query counts ----------------------------------------------------------------------------


def grow(tree, n):
    for _ in range(n):
        org = make_org(tree["school_a"], kind=OrgKind.BRANCH)
        for _ in range(2):
            person = billed(org, months=(2, 1))
            services.payment_record(actor=None, person=person, months=[months_ago(2)], paid_on=TODAY)
            services.voluntary_record(actor=None, person=person, amount="10", paid_on=TODAY)


def _queries(client, token, path, **params):
    call(client, "get", path, token)  # the first call refreshes last_used_at
    with CaptureQueriesContext(connection) as ctx:
        response = call(client, "get", path, token, params={"limit": 200, **params})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json().get("count")


# token + scopes + count + page (payments: + the months they cover; arrears, publication: the widest org + rows)
EXPECTED = {"/dues/bills": 4, "/dues/bases": 4, "/dues/payments": 5, "/dues/voluntary": 4, "/dues/arrears": 4,
            "/dues/publication": 5}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_list_query_counts_do_not_grow_with_the_data(client, tree, path):
    token = token_for(make_user("dues_q_viewer", Role.VIEWER, tree["school_a"]))
    grow(tree, 2)
    small, small_count = _queries(client, token, path)
    grow(tree, 8)
    large, large_count = _queries(client, token, path)
    assert small == large == EXPECTED[path] and large_count > small_count


def test_a_members_account_is_a_fixed_number_of_queries(client, tree):
    token = token_for(make_user("dues_q_viewer2", Role.VIEWER, tree["school_a"]))
    person = billed(tree["branch_a2"], months=(1,))
    small = _queries(client, token, f"/dues/people/{person.pk}")[0]
    for n in range(2, 12):
        services.bills_generate(actor=None, month=months_ago(n), org=tree["branch_a2"])
    services.payment_record(actor=None, person=person, months=[months_ago(n) for n in range(2, 6)], paid_on=TODAY)
    # token, scopes, the person, then bases, bills, payments and voluntary payments
    assert _queries(client, token, f"/dues/people/{person.pk}")[0] == small == 7


# --- random input on existing records --------------------------------------------------------

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WRITES = ["dues_base_set", "dues_pay", "dues_voluntary_add", "dues_bills_generate", "dues_bills_adjust",
          "dues_payments_bulk", "dues_bills_list", "dues_payments_list", "dues_arrears", "dues_publication"]


@pytest.mark.parametrize("operation_id", WRITES)
def test_random_input_on_existing_dues_records_never_causes_a_server_error(client, tree, operation_id):
    """tests/test_api_fuzz.py has no dues records to aim at; here the ids name real people and bills."""
    from dangjian.api.main import api

    token = token_for(make_user("dues_fuzz", Role.SECRETARY, tree["school_a"]))
    people = [billed(tree["branch_a2"], months=(8, 2, 1)), billed(tree["branch_a1"], months=(1,)),
              billed(tree["school_b"], months=(1,))]
    bills = list(DuesBill.objects.values_list("pk", flat=True))
    ids = sorted({*bills, *(p.pk for p in people), *(o.pk for o in tree.values())})
    doc = api.get_openapi_schema()
    method, template = operations()[operation_id]
    op = doc["paths"][template][method]
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    months = st.sampled_from([ym(months_ago(n)) for n in range(0, 10)] + ["2026-13", "1900-01", "x"])

    def bodies():
        base = body_strategy(op, doc, ids)
        if operation_id in ("dues_pay", "dues_payments_bulk", "dues_bills_generate"):
            # Most random months name no bill; these aim at the months that do.
            fitted = st.fixed_dictionaries({"paid_on": st.dates(date(2020, 1, 1), TODAY).map(date.isoformat)},
                                           optional={"months": st.lists(months, max_size=4), "month": months,
                                                     "org": st.sampled_from(ids),
                                                     "person_ids": st.lists(st.sampled_from(ids), max_size=3),
                                                     "approved_by": st.text(max_size=5),
                                                     "approved_on": st.dates(date(2020, 1, 1), TODAY).map(
                                                         date.isoformat),
                                                     "approval_no": st.text(max_size=5)})
            return st.one_of(base, fitted.map(__import__("json").dumps))
        return base

    @FUZZ
    @given(st.fixed_dictionaries({n: st.sampled_from(ids) for n in names}), params_strategy(op, doc, ids),
           bodies() if method != "get" else st.just(None))
    def run(kwargs, params, body):
        raw = body.encode() if isinstance(body, str) else body
        response = call(client, method, template.format(**kwargs), token, params=params or None,
                        raw=raw if method != "get" else None)
        assert response.status_code < 500, (kwargs, params, body, response.content[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "errors"}

    run()


# --- payroll import (工资表导入党费基数): upload, then the column mapping and confirm ------------------------

def payroll_upload(client, token, org, upload):
    return call(client, "post", "/dues/payroll", token, body={"org": org.pk}, files={"file": upload})


def test_payroll_upload_then_import_sets_the_bases_like_the_page(client, tree, sec, sec_user):
    from dangjian.dues.models import PayrollMapping
    from dangjian.imports.models import ImportJob
    from tests.test_dues_import import row, workbook

    a, b = make_person(tree["branch_a1"]), make_person(tree["branch_a2"])
    response = payroll_upload(client, sec, tree["school_a"], workbook([row(a), row(b, pay=(3000, 0, 0, 0), tax=0)]))
    assert response.status_code == 201, response.content
    body = response.json()
    roles = {c["header"]: c["role"] for c in body["columns"]}
    assert roles["身份证号"] == "id_number" and roles["岗位工资"] == "pay" and roles["个人所得税"] == "tax"
    assert roles["备注"] == "ignore" and body["job"]["status"] == "pending" and body["org"]["id"] == tree["school_a"].pk
    assert not DuesBase.objects.exists()

    done = call(client, "post", f"/dues/payroll/{body['job']['id']}/import", sec,
                body={"org": tree["school_a"].pk, "effective_month": "2026-01", "columns": {"津贴补贴": "ignore"}})
    assert done.status_code == 200, done.content
    job = done.json()
    assert job["status"] == "done" and job["created_count"] == 2 and job["errors"] == []
    # 2000+1000+1500 (津贴补贴 ignored) − 100 tax; the jurisdiction deducts neither social insurance nor annuity.
    assert DuesBase.objects.get(person=a).base == Decimal("4400.00")
    assert DuesBase.objects.get(person=b).base == Decimal("3000.00")
    assert DuesBase.objects.get(person=a).effective_month == date(2026, 1, 1)
    mapping = PayrollMapping.objects.get(org=tree["school_a"]).columns
    assert mapping["津贴补贴"] == "ignore" and mapping["身份证号"] == "id_number"
    assert AuditLog.objects.filter(event="import", object_id=str(job["id"]), outcome="success").count() == 1
    assert ImportJob.objects.get(pk=job["id"]).content is None
    # The job is done: sending it again is a conflict and changes nothing.
    again = call(client, "post", f"/dues/payroll/{job['id']}/import", sec,
                 body={"org": tree["school_a"].pk, "effective_month": "2026-02"})
    assert again.status_code == 409 and "已导入完毕" in again.json()["errors"]["__all__"][0]
    assert not DuesBase.objects.filter(effective_month=date(2026, 2, 1)).exists()


def test_payroll_one_bad_row_imports_nothing_and_every_bad_row_is_reported(client, tree, sec):
    from dangjian.imports.models import ImportJob
    from tests.test_dues_import import row, workbook

    a = make_person(tree["branch_a1"])
    outsider = make_person(tree["school_b"])
    rows = [row(a), row(outsider), ["无名", "", 1, 1, 1, 1, 0, 0, 0, 0, ""], row(a, pay=("很多", 0, 0, 0))]
    job_id = payroll_upload(client, sec, tree["school_a"], workbook(rows)).json()["job"]["id"]
    before = audit_count()
    response = call(client, "post", f"/dues/payroll/{job_id}/import", sec,
                    body={"org": tree["school_a"].pk, "effective_month": "2026-01"})
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and "未导入任何数据" in body["detail"]
    assert body["errors"] == {"第3行 身份证号": ["本组织（含下级）党员中没有此身份证号"],
                              "第4行 身份证号": ["未填写，无法识别党员"],
                              "第5行 岗位工资": ["不是有效的金额"], "第5行 身份证号": ["与第2行是同一名党员"]}
    assert not DuesBase.objects.exists()
    job = call(client, "get", f"/imports/{job_id}", sec).json()
    assert job["status"] == "failed" and job["error_count"] == 4
    assert {(e["row"], e["column"]) for e in job["errors"]} == {(3, "身份证号"), (4, "身份证号"), (5, "岗位工资"),
                                                                 (5, "身份证号")}
    assert ImportJob.objects.get(pk=job_id).content is not None  # may be mapped again
    assert audit_count() == before + 2  # the remembered mapping and the failed import


def test_payroll_mapping_errors_are_field_errors_and_change_nothing(client, tree, sec):
    from dangjian.dues.models import PayrollMapping
    from tests.test_dues_import import row, workbook

    a = make_person(tree["branch_a1"])
    job_id = payroll_upload(client, sec, tree["school_a"], workbook([row(a)])).json()["job"]["id"]
    url = f"/dues/payroll/{job_id}/import"
    month = {"org": tree["school_a"].pk, "effective_month": "2026-01"}
    unknown = call(client, "post", url, sec, body={**month, "columns": {"奖金": "pay"}})
    assert unknown.status_code == 422 and "奖金" in unknown.json()["errors"]["columns"][0]
    bad_role = call(client, "post", url, sec, body={**month, "columns": {"岗位工资": "salary"}})
    assert bad_role.status_code == 422 and "取值无效" in bad_role.json()["errors"]["columns.岗位工资"][0]
    no_key = call(client, "post", url, sec, body={**month, "columns": {"身份证号": "ignore", "姓名": "ignore"}})
    assert no_key.status_code == 422 and "识别党员" in no_key.json()["detail"]
    outside = call(client, "post", url, sec, body={**month, "org": tree["school_b"].pk})
    assert outside.status_code == 422 and outside.json()["errors"] == {"org": ["不存在或无权访问。"]}
    group = call(client, "post", url, sec, body={**month, "org": tree["group_a1"].pk})
    assert group.status_code == 422 and "org" in group.json()["errors"]
    assert not DuesBase.objects.exists() and not PayrollMapping.objects.exists()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("工资表.csv", b"a,b\n1,2\n", "只支持 .xlsx 文件"),
    ("工资表.xlsx", b"not a zip", "文件不是有效的 Excel 工作簿"),
])
def test_payroll_wrong_file_is_422_in_chinese_and_keeps_nothing(client, tree, sec, name, data, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.imports.models import ImportJob

    response = payroll_upload(client, sec, tree["school_a"], SimpleUploadedFile(name, data))
    assert response.status_code == 422 and any(message in m for m in response.json()["errors"]["file"])
    assert not ImportJob.objects.exists()


def test_payroll_file_over_the_limit_is_refused(client, tree, sec, settings):
    from dangjian.imports.models import ImportJob
    from tests.test_dues_import import row, workbook

    upload = workbook([row(make_person(tree["branch_a1"]))])
    settings.IMPORT_MAX_BYTES = upload.size - 1
    response = payroll_upload(client, sec, tree["school_a"], upload)
    assert response.status_code == 422 and "文件过大" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()


def test_payroll_job_of_another_user_is_404_and_read_only_roles_are_403(client, tree, sec):
    from dangjian.imports.models import ImportJob
    from tests.test_dues_import import row, workbook

    a = make_person(tree["branch_a1"])
    job_id = payroll_upload(client, sec, tree["school_a"], workbook([row(a)])).json()["job"]["id"]
    body = {"org": tree["school_a"].pk, "effective_month": "2026-01"}
    other = token_for(make_user("payroll_other_sec", Role.SECRETARY, tree["school_a"]))
    assert call(client, "post", f"/dues/payroll/{job_id}/import", other, body=body).status_code == 404
    assert call(client, "get", f"/imports/{job_id}", other).status_code == 404
    viewer = token_for(make_user("payroll_viewer", Role.VIEWER, tree["school_a"]))
    assert call(client, "post", f"/dues/payroll/{job_id}/import", viewer, body=body).status_code == 403
    refused = payroll_upload(client, viewer, tree["school_a"], workbook([row(a)]))
    assert refused.status_code == 403 and set(refused.json()) == {"detail", "errors"}
    assert ImportJob.objects.count() == 1 and not DuesBase.objects.exists()
