"""Permission-matrix entries for the terms app (see tests/test_permission_matrix.py).

"in": an election of branch_a2 (inside school_a); "out": one of school_b. POST actions with an empty form
redirect back to the election with the reasons (302); deleting uses a fresh election for every call."""

from datetime import date

from tests.life_helpers import member
from tests.test_permission_matrix import Route, org, read_list, read_object, write_object


def make_election(org_):
    from dangjian.terms import services

    people = [member(org_) for _ in range(5)]
    held = date(2024, 6, 15)
    present = len(services.electors(org_, held))   # other apps' matrix rows add members too
    return services.election_record(actor=None, org=org_, held_on=held, method="competitive", seats=3,
                                    electors_present=present, ballots_cast=5,
                                    candidates=list(zip(people, (5, 4, 3, 2))))


def extend_ctx(ctx):
    from dangjian.terms import services

    for scope in ("in", "out"):
        election = make_election(ctx[f"org_{scope}"])
        ctx[f"terms_election_{scope}"] = election
        ctx[f"terms_extension_{scope}"] = services.extension_request(actor=None, election=election,
                                                                     extended_to=date(2027, 12, 1), reason="学校撤并")


def election(ctx, scope):
    return {"pk": ctx[f"terms_election_{scope}"].pk}


def extension(ctx, scope):
    return {"pk": ctx[f"terms_extension_{scope}"].pk}


def fresh_election(ctx, scope):
    from dangjian.terms.models import Election

    org_ = ctx[f"org_{scope}"]
    Election.objects.filter(org=org_, status="pending").delete()
    return {"pk": make_election(org_).pk}


ROUTES = {
    "terms:home": Route(expect=read_list()),
    "terms:org": Route(org, read_object()),
    "terms:election_new": Route(org, write_object()),
    "terms:detail": Route(election, read_object()),
    "terms:posts": Route(election, write_object(302), method="post"),
    "terms:approve": Route(election, write_object(302), method="post"),
    "terms:delete": Route(fresh_election, write_object(302), method="post"),
    "terms:extension_request": Route(election, write_object(302), method="post"),
    "terms:extension_approve": Route(extension, write_object(302), method="post"),
}
