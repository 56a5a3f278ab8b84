"""API permission-matrix rows for the transfers app (see tests/test_api_permissions.py).

The roles sit on school_a. "in": a member of branch_a2 (inside) transferred to school_b; "out": a member of school_b
transferred to a new branch of the area (both sides outside). Accept/return belong to the receiver: school_a's writers
are the sender of "in", so they get 403 there. Every write acts on a fresh transfer or person.
"""

import itertools
from datetime import date

from dangjian.transfers import services
from tests.factories import make_org, make_person
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write

_n = itertools.count(1)


def _transfer(ctx, scope):
    tree = ctx["tree"]
    if scope == "in":
        person, to_org = make_person(tree["branch_a2"]), tree["school_b"]
    else:
        person, to_org = make_person(tree["school_b"]), make_org(tree["area"], f"接口新党支部{next(_n)}", "branch")
    return services.transfer_out(actor=None, person=person, to_org=to_org, letter_no=f"A{next(_n)}",
                                 issued_on=date(2026, 6, 1))


def _fresh(ctx, scope):
    return {"transfer_id": _transfer(ctx, scope).pk}


def _receiver_write():
    expect = api_write()
    for role in ("secretary", "org_admin"):
        expect[role] = (403, 404)
    return expect


def _fresh_person(ctx, scope):
    return {"person_id": make_person(ctx["org_in"] if scope == "in" else ctx["org_out"]).pk}


def _out_body(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    return {"person": make_person(org).pk, "to_name": "外区某校党支部", "letter_no": "X1", "issued_on": "2026-06-01"}


def _in_body(ctx, scope):
    return {"to_org": ctx["org_in" if scope == "in" else "org_out"].pk, "from_name": "外省某校党支部",
            "letter_no": "W1", "issued_on": "2026-06-01", "name": "接口转入", "gender": "M",
            "birth_date": "1990-01-01", "party_status": "full", "joined_on": "2015-01-01", "full_member_on": "2016-01-01"}


def _within_body(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    return {"person": make_person(org).pk, "to_org": ctx["tree"]["branch_a1"].pk, "effective_on": "2026-07-01"}


def _fresh_loss(ctx, scope):
    person = make_person(ctx["org_in"] if scope == "in" else ctx["org_out"])
    return {"loss_id": services.contact_loss_record(actor=None, person=person, since=date(2026, 3, 1),
                                                    note="电话停机，多方查找未果").pk}


def _fresh_abroad(ctx, scope):
    from dangjian.members.models import Status

    return {"person_id": make_person(ctx["org_in"] if scope == "in" else ctx["org_out"], status=Status.ABROAD).pk}


EXPECT = {
    "transfers_list": Case(api_list()),
    "transfers_detail": Case(api_read(), _fresh),
    # A body naming a person or organisation outside the scope is an unknown reference (422).
    "transfers_out": Case(api_create(), body=_out_body, scoped=True),
    "transfers_in": Case(api_create(), body=_in_body, scoped=True),
    "transfers_within": Case(api_create(), body=_within_body, scoped=True),
    "transfers_accept": Case(_receiver_write(), _fresh, body={"accepted_on": "2026-07-01"}),
    "transfers_return": Case(_receiver_write(), _fresh, body={"note": "材料不全"}),
    "transfers_cancel": Case(api_write(), _fresh, body={"note": "不调动"}),
    "transfers_renew": Case(api_write(), _fresh, body={"letter_no": "R2", "issued_on": "2026-07-01"}),
    "transfers_proposals": Case(api_list()),
    "transfers_decide": Case(api_write(), _fresh_person,
                             body={"status": "deceased", "effective_on": "2026-07-01", "reason": "病故",
                                   "decided_by": "党支部", "decision_date": "2026-07-01"}),
    "transfers_contact_losses": Case(api_read(), _fresh_person),
    "transfers_contact_loss_record": Case(api_write(201), _fresh_person,
                                          body={"since": "2026-03-01", "note": "电话停机，多方查找未果"}),
    "transfers_contact_found": Case(api_write(), _fresh_loss, body={"ended_on": "2026-05-01"}),
    "transfers_abroad_return": Case(api_write(), _fresh_abroad, body={"effective_on": "2026-07-01"}),
}
