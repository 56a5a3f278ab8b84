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
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


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


def _fresh_round(c, s, status=Round.Status.PREPARING):
    """A round of a fresh branch of the scope's school, its writer in c["review_writer"], in the given stage."""
    today = timezone.localdate()
    org = make_org(c["tree"]["school_a" if s == "in" else "school_b"], kind=OrgKind.BRANCH)
    c["review_person"] = make_person(org)
    writer = c["review_writer"] = make_user(role=Role.SECRETARY, org=org)
    r = services.round_create(actor=writer, org=org, year=today.year, starts_on=today, ends_on=today)
    if status != Round.Status.PREPARING:
        services.round_open(actor=writer, round=r)
    if status == Round.Status.COMMITTEE:
        services.round_to_committee(actor=writer, round=r)
    return r


def preparing_round(c, s):
    return {"round_id": _fresh_round(c, s).pk}


def evaluating_round(c, s):
    return {"round_id": _fresh_round(c, s, Round.Status.EVALUATING).pk}


def unqualified(c, s, follow_up=False):
    """A round in 支委评定 whose one member is graded 不合格 (and, if asked, has a 处置)."""
    r = _fresh_round(c, s, Round.Status.COMMITTEE)
    subject = r.subjects.get()
    subject.final_grade = "unqualified"
    subject.save(update_fields=["final_grade"])
    if follow_up:
        services.follow_up_set(actor=c["review_writer"], subject=subject, measure="persuade")
    return {"round_id": r.pk, "person_id": subject.person_id}


def round_body(c, s):
    org = make_org(c["tree"]["school_a"], kind=OrgKind.BRANCH) if s == "in" else c["org_out"]
    today = timezone.localdate()
    return {"org": org.pk, "year": today.year, "starts_on": today.isoformat(), "ends_on": today.isoformat()}


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
    "review_rounds_create": Case(api_create(), body=round_body, scoped=True),
    "review_rounds_update": Case(api_write(), ROUND, body={"note": "按时完成"}),
    "review_rounds_delete": Case(api_write(), preparing_round),
    "review_rounds_advance": Case(api_write(), preparing_round),
    "review_subject_exempt": Case(api_write(), evaluating_round,
                                  body=lambda c, s: {"person": c["review_person"].pk, "exempt": True,
                                                     "reason": "长期病假"}),
    "review_follow_up_set": Case(api_write(), unqualified,
                                 body={"measure": "correction", "due_on": "2027-06-30"}),
    "review_follow_up_delete": Case(api_write(), lambda c, s: unqualified(c, s, follow_up=True)),
}
