"""The terms API: recording through the same service (refusals name the rule, nothing saved) and the term status
of a subtree."""

from datetime import date

import pytest

from dangjian.orgs.models import Role
from dangjian.terms.models import Election
from tests.factories import make_user
from tests.life_helpers import member
from tests.test_api_permissions import call, token_for
from tests.test_terms_elections import record

pytestmark = pytest.mark.django_db


def body(org, people, votes, **extra):
    return {"org": org.pk, "held_on": "2024-06-15", "seats": 3, "electors_present": 9, "ballots_cast": 9,
            "candidates": [{"person": p.pk, "votes": v} for p, v in zip(people, votes)], **extra}


def test_record_by_api_computes_the_winners_and_refuses_a_broken_rule(client, tree):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    token = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    response = call(client, "post", "/terms/elections", token, body(org, people[:4], (7, 6, 5, 1), electors_present=7,
                                                                     ballots_cast=7))
    assert response.status_code == 422 and "五分之四" in response.json()["errors"]["electors_present"][0]
    response = call(client, "post", "/terms/elections", token, body(org, people[:3], (9, 8, 7)))
    assert response.status_code == 422 and "等额选举" in str(response.json())
    assert not Election.objects.exists()
    response = call(client, "post", "/terms/elections", token, body(org, people[:4], (9, 8, 7, 1)))
    assert response.status_code == 201
    data = response.json()
    assert data["electors_due"] == 9 and [c["elected"] for c in data["candidates"]] == [True, True, True, False]
    again = call(client, "post", "/terms/elections", token, body(org, people[:4], (9, 8, 7, 1)))
    assert again.status_code == 409


def test_status_lists_the_subtree_terms(client, tree):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    record(None, org, people[:4], held=date(2022, 6, 15))
    token = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    rows = call(client, "get", "/terms/status", token, params={"org": tree["school_a"].pk, "on": "2025-06-16"}).json()
    states = {r["org"]["name"]: (r["state"], r["term_end"], r["days_left"]) for r in rows["items"]}
    assert states["实验中学第二党支部"] == ("overdue", "2025-06-15", -1)
    assert states["实验中学第一党支部"][0] == "none" and rows["count"] == 3
