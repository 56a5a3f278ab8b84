"""Permission-matrix entries for the review app (see tests/test_permission_matrix.py).

"in": rounds of branch_a2 (inside school_a, where the org roles sit); "out": rounds of school_b. The member user
(branch_a1, ctx["own_person"]) is on the list of ctx["review_own"] (open) and of no other round.
"""

from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.review import services
from dangjian.review.models import Grade, Round
from tests.factories import make_person, make_user
from tests.test_permission_matrix import ALL, Route, read_list, read_object, write_object


def extend_ctx(ctx):
    tree = ctx["tree"]
    today = timezone.localdate()
    writers = {"in": make_user("review_w_in", Role.SECRETARY, tree["school_a"]),
               "out": make_user("review_w_out", Role.SECRETARY, tree["school_b"])}
    for scope, org in (("in", ctx["org_in"]), ("out", ctx["org_out"])):
        w = writers[scope]
        make_person(org)
        # An open round (evaluating), a round in 支委评定 (last year) with a 不合格 member, a fresh one to delete.
        r = services.round_create(actor=w, org=org, year=today.year, starts_on=today, ends_on=today)
        ctx[f"review_{scope}"] = services.round_open(actor=w, round=r)
        old = services.round_create(actor=w, org=org, year=today.year - 1, starts_on=today, ends_on=today)
        services.round_open(actor=w, round=old)
        services.round_to_committee(actor=w, round=old)
        subject = old.subjects.order_by("pk").first()
        services.grades_set(actor=w, round=old, proposed={}, final={subject.pk: Grade.UNQUALIFIED})
        ctx[f"review_committee_{scope}"] = old
        ctx[f"review_subject_{scope}"] = subject
        ctx[f"review_fresh_{scope}"] = services.round_create(actor=w, org=org, year=today.year - 2, starts_on=today,
                                                              ends_on=today)
        ctx[f"review_exempt_{scope}"] = ctx[f"review_{scope}"].subjects.order_by("pk").first()
    own = services.round_create(actor=writers["in"], org=tree["branch_a1"], year=today.year, starts_on=today,
                                ends_on=today)
    ctx["review_own"] = services.round_open(actor=writers["in"], round=own)


def key(name, attr="pk"):
    return lambda c, s: {"pk": getattr(c[f"{name}_{s}"], attr)}


def own_or(name):
    """The member's own round for "in"; the out-of-scope round for "out"."""
    return lambda c, s: {"pk": (c["review_own"] if s == "in" else c[f"{name}_out"]).pk}


def writers(ok, none=403):
    return {r: ok if r in ("secretary", "org_admin") else none for r in ALL} | {"anon": 302}


def member_page():
    """The member's phone pages: only people on the round's list (the member, in); everyone else 404."""
    return {r: (404, 404) for r in ALL} | {"anon": (302, 302), "member": (200, 404)}


def member_post(ok):
    return {r: (404, 404) for r in ALL} | {"anon": (302, 302), "member": (ok, 404)}


ROUTES = {
    # Org roles see their scope's rounds; a member sees his own reviews on the same page.
    "review:home": Route(expect=read_list() | {"member": 200}),
    "review:round_create": Route(expect=writers(200)),
    "review:staff": Route(expect={r: 200 for r in ALL}),
    "review:round_detail": Route(key("review"), read_object()),
    "review:round_edit": Route(key("review"), write_object()),
    # The first writer deletes the fresh round, so the second one answers 404.
    "review:round_delete": Route(key("review_fresh"), {**write_object(302), "org_admin": (404, 404)}, method="post"),
    # Advancing a round in 支委评定 with an unrecorded follow-up is refused with a message (redirect).
    "review:round_advance": Route(key("review_committee"), write_object(302), method="post"),
    "review:tally": Route(key("review_committee"), read_object()),
    "review:results": Route(key("review_committee"), read_object()),
    "review:results_export": Route(key("review_committee"), read_object()),
    "review:staff_codes": Route(key("review"), write_object()),
    "review:mine": Route(own_or("review"), member_page()),
    "review:self_review": Route(own_or("review"), member_post(302), method="post",
                                data={"text": "对照党员标准的自我评价"}),
    # An empty ballot is refused (400, nothing recorded).
    "review:ballot": Route(own_or("review"), member_post(400), method="post"),
    "review:subject_exempt": Route(key("review_exempt"), write_object(302), method="post",
                                   data={"exempt": "1", "reason": "长期病假"}),
    "review:follow_up": Route(key("review_subject"), write_object()),
    "review:follow_up_delete": Route(key("review_subject"), write_object(302), method="post"),
}
