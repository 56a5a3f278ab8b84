"""Permission-matrix entries for the dues app (see tests/test_permission_matrix.py)."""

from datetime import date

from tests.test_permission_matrix import ALL, ORG_ROLES, Route, job, owner_only, person, read_list, write_object


def bill(ctx, scope):
    return {"pk": ctx["dues_bill_in" if scope == "in" else "dues_bill_out"].pk}


def extend_ctx(ctx):
    from dangjian.dues import services
    from dangjian.dues.models import Category, DuesBill

    month = date(2026, 3, 1)
    for key, org in (("person_in", "branch_a2"), ("person_out", "school_b"), ("own_person", "branch_a1")):
        services.base_set(actor=None, person=ctx[key], category=Category.EMPLOYED, base="4000",
                          effective_month=date(2026, 1, 1))
        services.bills_generate(actor=None, month=month, org=ctx["tree"][org])
    ctx["dues_bill_in"] = DuesBill.objects.get(person=ctx["person_in"], month=month)
    ctx["dues_bill_out"] = DuesBill.objects.get(person=ctx["person_out"], month=month)


def writers_post():
    """A POST to a list-level action without an organisation: users without any party scope 403; org roles 404
    (the organisation must be named and in scope). tests/test_dues_views.py covers success, 403 for read-only
    roles inside the scope and 404 outside it."""
    return {role: 404 if role in ORG_ROLES else 403 for role in ALL} | {"anon": 302}


def payroll_job():
    """The uploader's own job only, and only for writers (read-only roles are refused before the lookup)."""
    expect = owner_only("secretary")
    for role in ALL:
        if role not in ("secretary", "org_admin", "anon"):
            expect[role] = (403, 403)
    return expect


ROUTES = {
    # Org roles see the month at a glance; a member is sent to their own account; administrators have none.
    "dues:home": Route(expect=read_list() | {"member": 302}),
    "dues:generate": Route(expect=writers_post(), method="post"),
    "dues:pay_bulk": Route(expect=writers_post(), method="post"),
    "dues:arrears": Route(expect=read_list()),
    "dues:publication": Route(expect=read_list()),
    "dues:publication_xlsx": Route(expect=read_list()),
    "dues:person": Route(person, {role: (200, 404) if role in ORG_ROLES else (404, 404) for role in ALL}
                         | {"anon": (302, 302)}),
    "dues:base_set": Route(person, write_object()),
    "dues:pay": Route(person, write_object()),
    "dues:voluntary": Route(person, write_object()),
    "dues:adjust": Route(bill, write_object()),
    "dues:payroll": Route(expect=read_list(writers_only=True)),
    "dues:payroll_map": Route(job, payroll_job()),
    "dues:payroll_errors": Route(job, owner_only("secretary")),
}
