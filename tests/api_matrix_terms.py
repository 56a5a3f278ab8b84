"""API permission-matrix rows for the terms app (see tests/test_api_permissions.py).

"in": an election of branch_a2 (inside school_a); "out": one of school_b. Creating names the organisation in the
body: a fresh branch of school_a for each call inside (so no two calls clash on the date), school_b outside (422)."""

from datetime import date

from tests.factories import make_org
from tests.life_helpers import member
from tests.matrix_terms import make_election
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_scoped_list, api_write


def extend_ctx(ctx):
    for scope in ("in", "out"):
        ctx[f"terms_election_{scope}"] = make_election(ctx[f"org_{scope}"])


def create_body(ctx, scope):
    org = make_org(ctx["tree"]["school_a"]) if scope == "in" else ctx["org_out"]
    people = [member(org) for _ in range(5)] if scope == "in" else [ctx["person_out"]]
    return {"org": org.pk, "held_on": "2024-06-15", "seats": 3, "electors_present": 5, "ballots_cast": 5,
            "candidates": [{"person": p.pk, "votes": v} for p, v in zip(people, (5, 4, 3, 1))]}


def winning_election(org_):
    """Like make_election, with three winners however many electors other apps' rows have added."""
    from dangjian.terms import services

    people = [member(org_) for _ in range(4)]
    held = date(2024, 6, 15)
    present = len(services.electors(org_, held))
    return services.election_record(actor=None, org=org_, held_on=held, method="competitive", seats=3,
                                    electors_present=present, ballots_cast=present,
                                    candidates=list(zip(people, (present, present, present, 0))))


def fresh_election(ctx, scope):
    """A new pending election of org_in / org_out for each call (the earlier ones, approved too, removed)."""
    from dangjian.terms.models import Election

    org_ = ctx[f"org_{scope}"]
    Election.objects.filter(org=org_).delete()
    ctx["terms_fresh"] = winning_election(org_)
    return {"election_id": ctx["terms_fresh"].pk}


def fresh_approvable(ctx, scope):
    """A fresh election whose posts are set (one 书记), ready for the approval."""
    from dangjian.terms import services

    kwargs = fresh_election(ctx, scope)
    winners = ctx["terms_fresh"].candidates.filter(elected=True).order_by("rank")
    services.election_posts_set(actor=None, election=ctx["terms_fresh"],
                                posts={c.pk: "secretary" if i == 0 else "member" for i, c in enumerate(winners)})
    return kwargs


def fresh_extension(ctx, scope):
    from dangjian.terms import services

    fresh_election(ctx, scope)
    extension = services.extension_request(actor=None, election=ctx["terms_fresh"], extended_to=date(2027, 12, 1),
                                           reason="学校撤并")
    return {"extension_id": extension.pk}


def posts_body(ctx, scope):
    winners = ctx["terms_fresh"].candidates.filter(elected=True).order_by("rank")
    return {"posts": [{"person": c.person_id, "post": "secretary" if i == 0 else "member"}
                      for i, c in enumerate(winners)]}


APPROVAL = {"approval_authority": "区委教育工委", "approval_no": "教工委〔2024〕8号", "approved_on": "2024-07-01"}

EXPECT = {
    "terms_elections_list": Case(api_list()),
    "terms_elections_detail": Case(api_read(), lambda c, s: {"election_id": c[f"terms_election_{s}"].pk}),
    "terms_elections_create": Case(api_create(), body=create_body, scoped=True),
    "terms_status": Case(api_scoped_list(), params=lambda c, s: {
        "org": c["tree"]["school_a" if s == "in" else "school_b"].pk}, scoped=True),
    "terms_election_posts_set": Case(api_write(), fresh_election, body=posts_body),
    "terms_election_approve": Case(api_write(), fresh_approvable, body=APPROVAL),
    "terms_election_delete": Case(api_write(), fresh_election),
    "terms_extension_request": Case(api_write(201), fresh_election,
                                    body={"extended_to": "2027-12-01", "reason": "学校撤并，暂缓换届"}),
    "terms_extension_approve": Case(api_write(), fresh_extension, body=APPROVAL),
}
