"""The transfers API for 失联 and 回国（境）: the person page's services and scoping."""

from datetime import date

import pytest

from dangjian.members.models import Status, StatusEvent
from dangjian.transfers.models import ContactLoss
from tests.factories import make_person
from tests.test_api_permissions import call

pytestmark = pytest.mark.django_db


def test_contact_loss_then_found(client, tree, tokens):
    person = make_person(tree["branch_a2"])
    url = f"/people/{person.pk}/contact-losses"
    body = {"since": "2026-03-01", "note": "电话停机，多方查找未果"}
    assert call(client, "post", url, tokens["viewer"], body).status_code == 403
    assert call(client, "post", url, tokens["outsider"], body).status_code == 404
    bad = call(client, "post", url, tokens["writer"], {**body, "note": "  "})
    assert bad.status_code == 422 and "note" in bad.json()["errors"]
    assert not ContactLoss.objects.exists()
    response = call(client, "post", url, tokens["writer"], body)
    assert response.status_code == 201 and response.json()["ended_on"] is None
    loss_id = response.json()["id"]
    person.refresh_from_db()
    assert person.lost_contact
    assert call(client, "post", url, tokens["writer"], body).status_code == 422        # already lost
    listed = call(client, "get", url, tokens["viewer"]).json()
    assert [x["id"] for x in listed["items"]] == [loss_id]
    early = call(client, "post", f"/contact-losses/{loss_id}/found", tokens["writer"], {"ended_on": "2026-02-01"})
    assert early.status_code == 422 and ContactLoss.objects.get().ended_on is None
    assert call(client, "post", f"/contact-losses/{loss_id}/found", tokens["outsider"],
                {"ended_on": "2026-05-01"}).status_code == 404
    found = call(client, "post", f"/contact-losses/{loss_id}/found", tokens["writer"], {"ended_on": "2026-05-01"})
    assert found.status_code == 200 and found.json()["ended_on"] == "2026-05-01"
    person.refresh_from_db()
    assert not person.lost_contact


def test_abroad_return_restores_the_status(client, tree, tokens):
    person = make_person(tree["branch_a2"], status=Status.ABROAD, status_since=date(2025, 1, 1))
    StatusEvent.objects.create(person=person, status=Status.ABROAD, previous_status=Status.FULL,
                               effective_on=date(2025, 1, 1))
    url = f"/people/{person.pk}/abroad-return"
    assert call(client, "post", url, tokens["viewer"], {"effective_on": "2026-07-01"}).status_code == 403
    assert call(client, "post", url, tokens["outsider"], {"effective_on": "2026-07-01"}).status_code == 404
    bad = call(client, "post", url, tokens["writer"], {"effective_on": "2024-12-01"})
    assert bad.status_code == 422 and "effective_on" in bad.json()["errors"]
    person.refresh_from_db()
    assert person.status == Status.ABROAD
    response = call(client, "post", url, tokens["writer"], {"effective_on": "2026-07-01", "decided_by": "党支部"})
    assert response.status_code == 200 and response.json()["status"] == "full"
    assert call(client, "post", url, tokens["writer"], {"effective_on": "2026-07-01"}).status_code == 422
