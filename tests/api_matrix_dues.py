"""API permission-matrix rows for the dues app (see tests/test_api_permissions.py).

"in": dues of members of branch_a2 (inside school_a); "out": of school_b. The member (branch_a1) sees the lists
(his own dues only) and none of these records.
"""

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from dangjian.dues import billing, importing, services
from dangjian.dues.models import Category, DuesBase, DuesBill
from tests.factories import make_person
from tests.test_dues_import import row as payroll_row
from tests.test_dues_import import workbook as payroll_workbook
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_scoped_list, api_write


def last_month():
    return billing.month_start(timezone.localdate()) - relativedelta(months=1)


def billed_person(org):
    """A fresh member of `org` with a base and last month's bill."""
    person = make_person(org)
    services.base_set(actor=None, person=person, category=Category.EMPLOYED, base="4000",
                      effective_month=last_month())
    services.bills_generate(actor=None, month=last_month(), org=org)
    return person


def extend_ctx(ctx):
    today = timezone.localdate()
    for scope in ("in", "out"):
        person = billed_person(ctx[f"org_{scope}"])
        ctx[f"dues_person_{scope}"] = person
        ctx[f"dues_base_{scope}"] = DuesBase.objects.get(person=person)
        ctx[f"dues_bill_{scope}"] = DuesBill.objects.get(person=person, month=last_month())
        ctx[f"dues_payment_{scope}"] = services.payment_record(actor=None, person=person, months=[last_month()],
                                                               paid_on=today)
        ctx[f"dues_voluntary_{scope}"] = services.voluntary_record(actor=None, person=person, amount="100",
                                                                   paid_on=today)


def key(name, param):
    return lambda c, s: {param: c[f"dues_{name}_{s}"].pk}


def person_key(c, s):
    return {"person_id": c[f"person_{s}"].pk}


def fresh_billed(c, s):
    return {"person_id": billed_person(c[f"org_{s}"]).pk}


def fresh_bill(c, s):
    person = billed_person(c[f"org_{s}"])
    return {"bill_id": DuesBill.objects.get(person=person, month=last_month()).pk}


def member_list():
    return api_list() | {"member": 200}


def today(c=None, s=None):
    return timezone.localdate().isoformat()


def org_param(c, s):
    return {"org": c["tree"]["school_a" if s == "in" else "school_b"].pk}


def payroll_file(c, s):
    return {"file": payroll_workbook([payroll_row(c["person_in"])])}


def payroll_org(c, s):
    return {"org": c[f"org_{s}"].pk}


def fresh_payroll_job(c, s):
    """A payroll upload of the matrix's secretary ("in") or of a secretary of school_b ("out"): private to them."""
    if s == "in":
        owner = c["users"]["secretary"]
    else:
        from dangjian.orgs.models import Role
        from tests.factories import make_user

        owner = c.get("payroll_other") or make_user("a_payroll_other", Role.SECRETARY, c["org_out"])
        c["payroll_other"] = owner
    job = importing.payroll_submit(actor=owner, upload=payroll_workbook([payroll_row(c["person_in"])]))
    return {"job_id": job.pk}


def payroll_writer_only():
    """Writers only (403 otherwise); the job is the secretary's: the org_admin gets 404 like any other user."""
    expect = {role: (403, 403) for role in api_read()} | {"anon": (401, 401)}
    return expect | {"secretary": (200, 404), "org_admin": (404, 404)}


EXPECT = {
    # Upload: the form field org names the organisation; outside the scope it is an unknown reference (422).
    "dues_payroll_upload": Case(api_create(), body=payroll_org, files=payroll_file, scoped=True),
    "dues_payroll_import": Case(payroll_writer_only(), fresh_payroll_job,
                                body=lambda c, s: {"org": c["org_in"].pk, "effective_month": "2026-01"}),
    "dues_account": Case(api_read(), person_key),
    "dues_base_set": Case(api_write(201), person_key, body={"category": "employed", "base": "5000.50",
                                                            "effective_month": "2026-01"}),
    "dues_pay": Case(api_write(201), fresh_billed,
                     body=lambda c, s: {"months": [f"{last_month():%Y-%m}"], "paid_on": today()}),
    "dues_voluntary_add": Case(api_write(201), person_key, body=lambda c, s: {"amount": 20, "paid_on": today()}),
    "dues_bases_list": Case(member_list()),
    "dues_bases_detail": Case(api_read(), key("base", "base_id")),
    "dues_bills_list": Case(member_list()),
    # The body names the organisation: outside the scope it is an unknown reference (422 on "org").
    "dues_bills_generate": Case(api_create(), body=lambda c, s: {"org": c[f"org_{s}"].pk,
                                                                 "month": f"{last_month():%Y-%m}"}, scoped=True),
    "dues_bills_detail": Case(api_read(), key("bill", "bill_id")),
    "dues_bills_adjust": Case(api_write(), fresh_bill, body=lambda c, s: {
        "kind": "waive", "approved_by": "区委教育工委", "approved_on": today(), "approval_no": "教工委〔2026〕1号",
        "reason": "生活困难"}),
    "dues_payments_list": Case(member_list()),
    # The service refuses people outside the writer's scope as a whole (422, nothing recorded).
    "dues_payments_bulk": Case(api_create(), body=lambda c, s: {
        "person_ids": [billed_person(c[f"org_{s}"]).pk], "month": f"{last_month():%Y-%m}", "paid_on": today()},
        scoped=True),
    "dues_payments_detail": Case(api_read(), key("payment", "payment_id")),
    "dues_voluntary_list": Case(member_list()),
    "dues_voluntary_detail": Case(api_read(), key("voluntary", "payment_id")),
    "dues_arrears": Case(api_scoped_list(), params=org_param, scoped=True),
    "dues_publication": Case(api_scoped_list(), params=org_param, scoped=True),
}
