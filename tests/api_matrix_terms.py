"""API permission-matrix rows for the terms app (see tests/test_api_permissions.py).

"in": an election of branch_a2 (inside school_a); "out": one of school_b. Creating names the organisation in the
body: a fresh branch of school_a for each call inside (so no two calls clash on the date), school_b outside (422)."""

from tests.factories import make_org
from tests.life_helpers import member
from tests.matrix_terms import make_election
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_scoped_list


def extend_ctx(ctx):
    for scope in ("in", "out"):
        ctx[f"terms_election_{scope}"] = make_election(ctx[f"org_{scope}"])


def create_body(ctx, scope):
    org = make_org(ctx["tree"]["school_a"]) if scope == "in" else ctx["org_out"]
    people = [member(org) for _ in range(5)] if scope == "in" else [ctx["person_out"]]
    return {"org": org.pk, "held_on": "2024-06-15", "seats": 3, "electors_present": 5, "ballots_cast": 5,
            "candidates": [{"person": p.pk, "votes": v} for p, v in zip(people, (5, 4, 3, 1))]}


EXPECT = {
    "terms_elections_list": Case(api_list()),
    "terms_elections_detail": Case(api_read(), lambda c, s: {"election_id": c[f"terms_election_{s}"].pk}),
    "terms_elections_create": Case(api_create(), body=create_body, scoped=True),
    "terms_status": Case(api_scoped_list(), params=lambda c, s: {
        "org": c["tree"]["school_a" if s == "in" else "school_b"].pk}, scoped=True),
}
