"""The terms API after the election: posts, approval, deletion and 延期换届 through the election page's services."""

from datetime import date

import pytest

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import CommitteePost, Role
from dangjian.terms.models import Election, TermExtension
from tests.factories import make_user
from tests.life_helpers import member
from tests.test_api_permissions import call, token_for
from tests.test_terms_elections import record

pytestmark = pytest.mark.django_db

APPROVAL = {"approval_authority": "区委教育工委", "approval_no": "教工委〔2024〕8号", "approved_on": "2024-07-01"}


@pytest.fixture
def setup(tree):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    election = record(None, org, people[:4], held=date(2024, 6, 15))
    token = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    return org, people, election, token


def _posts(people, secretary):
    return {"posts": [{"person": p.pk, "post": "secretary" if p == secretary else "member"} for p in people[:3]]}


def test_posts_then_approval_seat_the_new_committee(client, setup):
    org, people, election, token = setup
    response = call(client, "post", f"/terms/elections/{election.pk}/posts", token, _posts(people, people[1]))
    assert response.status_code == 200
    posts = {c["person"]["id"]: c["post"] for c in response.json()["candidates"] if c["elected"]}
    assert posts == {people[0].pk: "member", people[1].pk: "secretary", people[2].pk: "member"}
    response = call(client, "post", f"/terms/elections/{election.pk}/approve", token, APPROVAL)
    assert response.status_code == 200 and response.json()["status"] == "approved"
    seats = CommitteePost.objects.filter(org=org, ended_on__isnull=True)
    assert {(s.person_id, s.post) for s in seats} == {(people[0].pk, "member"), (people[1].pk, "secretary"),
                                                      (people[2].pk, "member")}
    assert all(s.started_on == date(2024, 7, 1) for s in seats)
    # approved: no more changes, no deletion
    again = call(client, "post", f"/terms/elections/{election.pk}/posts", token, _posts(people, people[0]))
    assert again.status_code == 422
    assert call(client, "delete", f"/terms/elections/{election.pk}", token).status_code == 422
    assert Election.objects.filter(pk=election.pk, status="approved").exists()


def test_bad_input_changes_nothing(client, setup):
    org, people, election, token = setup
    before = list(election.candidates.order_by("pk").values_list("post", flat=True))
    no_secretary = {"posts": [{"person": p.pk, "post": "member"} for p in people[:3]]}
    response = call(client, "post", f"/terms/elections/{election.pk}/posts", token, no_secretary)
    assert response.status_code == 422 and "书记须为1人" in response.json()["errors"]["posts"][0]
    loser = {"posts": [{"person": people[3].pk, "post": "secretary"}]}
    response = call(client, "post", f"/terms/elections/{election.pk}/posts", token, loser)
    assert response.status_code == 422 and "当选人" in response.json()["errors"]["posts"][0]
    bad_post = {"posts": [{"person": people[0].pk, "post": "chairman"}]}
    assert call(client, "post", f"/terms/elections/{election.pk}/posts", token, bad_post).status_code == 422
    assert list(election.candidates.order_by("pk").values_list("post", flat=True)) == before
    early = {**APPROVAL, "approved_on": "2024-06-01"}
    response = call(client, "post", f"/terms/elections/{election.pk}/approve", token, early)
    assert response.status_code == 422 and "approved_on" in response.json()["errors"]
    election.refresh_from_db()
    assert election.status == "pending" and not CommitteePost.objects.filter(org=org).exists()
    response = call(client, "post", f"/terms/elections/{election.pk}/extensions", token,
                    {"extended_to": "2030-01-01", "reason": "学校撤并"})
    assert response.status_code == 422 and "extended_to" in response.json()["errors"]
    assert not TermExtension.objects.exists()


def test_extension_request_and_approval(client, setup):
    org, people, election, token = setup
    body = {"extended_to": "2027-12-01", "reason": "学校撤并，暂缓换届"}
    response = call(client, "post", f"/terms/elections/{election.pk}/extensions", token, body)
    assert response.status_code == 201 and response.json()["status"] == "requested"
    extension_id = response.json()["id"]
    assert call(client, "post", f"/terms/elections/{election.pk}/extensions", token, body).status_code == 409
    response = call(client, "post", f"/terms/extensions/{extension_id}/approve", token, APPROVAL)
    assert response.status_code == 200 and response.json()["approval_no"] == "教工委〔2024〕8号"
    assert TermExtension.objects.get(pk=extension_id).status == "approved"
    assert AuditLog.objects.filter(event=Event.UPDATE, object_type="terms.termextension",
                                   object_id=str(extension_id)).exists()


def test_delete_scope_and_read_only_roles(client, setup, tree):
    org, people, election, token = setup
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "delete", f"/terms/elections/{election.pk}", viewer).status_code == 403
    assert call(client, "delete", f"/terms/elections/{election.pk}", outsider).status_code == 404
    assert call(client, "post", f"/terms/elections/{election.pk}/posts", outsider,
                _posts(people, people[0])).status_code == 404
    assert Election.objects.filter(pk=election.pk).exists()
    assert call(client, "delete", f"/terms/elections/{election.pk}", token).status_code == 200
    assert not Election.objects.filter(pk=election.pk).exists()
    assert AuditLog.objects.filter(event=Event.DELETE, object_type="terms.election",
                                   object_id=str(election.pk)).exists()
