"""Permission-matrix entries for the transfers app (see tests/test_permission_matrix.py).

"in": person_in (branch_a2, in school_a's scope) transferred out to school_b; "out": person_out (school_b) transferred
to branch_a1 — the roles sit on school_a, so they are the receiver of "out" and see it, but only through the
receiving side; the object pages for "out" below use a transfer between two organisations outside school_a.
POSTs act on a fresh transfer each call and answer 302 (back to the detail page) for writers.
"""

import itertools
from datetime import date

from dangjian.members.models import Status
from dangjian.transfers import services
from dangjian.transfers.models import ContactLoss
from tests.factories import make_org, make_person
from tests.test_permission_matrix import Route, read_list, write_object

_n = itertools.count(1)


def _transfer(ctx, scope):
    tree = ctx["tree"]
    if scope == "in":
        person, to_org = make_person(tree["branch_a2"]), tree["school_b"]
    else:
        person, to_org = make_person(tree["school_b"]), make_org(tree["area"], f"片区新党支部{next(_n)}", "branch")
    return services.transfer_out(actor=None, person=person, to_org=to_org, letter_no=f"M{next(_n)}",
                                 issued_on=date(2026, 6, 1))


def _sender_view(ctx, scope):
    return {"pk": _transfer(ctx, scope).pk}


def _loss(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    return {"pk": ContactLoss.objects.create(person=make_person(org), since=date(2026, 1, 1), note="失联").pk}


def _abroad(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    return {"pk": make_person(org, status=Status.ABROAD, status_since=date(2026, 1, 1)).pk}


def person(ctx, scope):
    return {"pk": ctx["person_in" if scope == "in" else "person_out"].pk}


def _read_object_for_sender():
    """The roles sit on school_a: readers see a transfer their scope sends; outside both sides 404."""
    from tests.test_permission_matrix import read_object

    return read_object()


def _sender_write(ok=302):
    """Cancel/renew belong to the sender (school_a's writers for "in"); the receiver side is outside."""
    return write_object(ok)


def _receiver_write():
    """Accept/return belong to the receiver (school_b, outside school_a): writers of school_a are the sender,
    so they get 403 inside; outside both sides 404."""
    expect = write_object(302)
    for role in ("secretary", "org_admin"):
        expect[role] = (403, 404)
    return expect


ROUTES = {
    "transfers:home": Route(expect=read_list()),
    "transfers:proposals": Route(expect=read_list()),
    "transfers:transfer_in": Route(expect=read_list(writers_only=True)),
    "transfers:transfer_out": Route(person, write_object()),
    "transfers:transfer_within": Route(person, write_object()),
    "transfers:decide": Route(person, write_object()),
    "transfers:contact_loss": Route(person, write_object()),
    "transfers:abroad_return": Route(_abroad, write_object(302), method="post", data={"on": "2026-07-01"}),
    "transfers:contact_found": Route(_loss, write_object(302), method="post", data={"on": "2026-07-01"}),
    "transfers:detail": Route(_sender_view, _read_object_for_sender()),
    "transfers:accept": Route(_sender_view, _receiver_write(), method="post", data={"accepted_on": "2026-07-01"}),
    "transfers:return": Route(_sender_view, _receiver_write(), method="post", data={"note": "材料不全"}),
    "transfers:cancel": Route(_sender_view, _sender_write(), method="post", data={"note": "不调动"}),
    "transfers:renew": Route(_sender_view, _sender_write(), method="post",
                             data={"letter_no": "R1", "issued_on": "2026-07-01"}),
}
