"""API permission-matrix rows for the review app (see tests/test_api_permissions.py).

"in": rounds of branch_a2 (inside school_a, where the org roles sit); "out": rounds of school_b. For the self-review,
"in" is an open round of branch_a1 whose list holds the member (ctx["own_person"]); org roles read it but are not
on its list (403).
"""

from django.utils import timezone

from dangjian.orgs.models import OrgKind, Role
from dangjian.review import services
from tests.factories import make_org, make_person, make_user
from dangjian.review.models import Round
from tests.test_api_permissions import Case, api_list, api_read, api_write


def extend_ctx(ctx):
    tree = ctx["tree"]
    today = timezone.localdate()
    writers = {"in": make_user("api_review_w_in", Role.SECRETARY, tree["school_a"]),
               "out": make_user("api_review_w_out", Role.SECRETARY, tree["school_b"])}
    for scope, org in (("in", ctx["org_in"]), ("out", ctx["org_out"])):
        make_person(org)
        r = services.round_create(actor=writers[scope], org=org, year=today.year, starts_on=today, ends_on=today)
        ctx[f"review_{scope}"] = services.round_open(actor=writers[scope], round=r)
    own = services.round_create(actor=writers["in"], org=tree["branch_a1"], year=today.year, starts_on=today,
                                ends_on=today)
    ctx["review_own"] = services.round_open(actor=writers["in"], round=own)


def committee_round(c, s):
    """A fresh round of the scope's branch in 支委评定 (the only stage grades may be set in)."""
    today = timezone.localdate()
    org = make_org(c["tree"]["school_a" if s == "in" else "school_b"], kind=OrgKind.BRANCH)
    make_person(org)
    r = services.round_create(actor=make_user(role=Role.SECRETARY, org=org), org=org, year=today.year, starts_on=today, ends_on=today, note="api")
    Round.objects.filter(pk=r.pk).update(status=Round.Status.COMMITTEE, opened_on=today, committee_on=today)
    return {"round_id": r.pk}


ROUND = lambda c, s: {"round_id": c[f"review_{s}"].pk}  # noqa: E731
OWN = lambda c, s: {"round_id": (c["review_own"] if s == "in" else c["review_out"]).pk}  # noqa: E731

EXPECT = {
    "review_rounds_list": Case(api_list()),
    "review_rounds_detail": Case(api_read(), ROUND),
    "review_rounds_results": Case(api_read(), ROUND),
    "review_self_review_submit": Case(
        {r: (404, 404) for r in api_list()} | {"anon": (401, 401), "member": (200, 404), "viewer": (403, 404),
                                                "discipline": (403, 404), "secretary": (403, 404),
                                                "org_admin": (403, 404)},
        OWN, body={"text": "对照党员标准，认真自评"}),
    "review_grades_set": Case(api_write(), committee_round, body={"grades": []}),
    "review_staff_codes_create": Case(api_write(201), ROUND, body={"count": 3}),
}
