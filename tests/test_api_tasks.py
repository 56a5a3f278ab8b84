"""The tasks API beyond issuing and answering: editing and withdrawing a task, 党建目标责任书 and 党建指导员 —
the pages' services and scoping (success, bad input changes nothing, 404 outside, 403 for read-only roles)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.tasks import services
from dangjian.tasks.models import Instructor, Pledge, Task
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n" + b"0" * 32


@pytest.fixture
def tokens(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return {name: token_for(make_user(f"api_{name}", role, tree[org])) for name, role, org in [
        ("writer", Role.SECRETARY, "school_a"), ("viewer", Role.VIEWER, "school_a"),
        ("outsider", Role.SECRETARY, "school_b")]}


def _task(tree):
    return services.task_issue(actor=None, org=tree["school_a"], title="报送材料", receivers="explicit",
                               explicit=[tree["branch_a2"].pk], due_on=timezone.localdate() + timedelta(days=5))


def test_edit_and_withdraw_a_task(client, tree, tokens):
    task = _task(tree)
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    response = call(client, "patch", f"/tasks/{task.pk}", tokens["writer"], body={"title": "报送总结", "due_on": due})
    assert response.status_code == 200 and response.json()["title"] == "报送总结"
    assert response.json()["due_on"] == due
    early = (task.issued_on - timedelta(days=1)).isoformat()
    response = call(client, "patch", f"/tasks/{task.pk}", tokens["writer"], body={"title": "改了", "due_on": early})
    assert response.status_code == 422 and "due_on" in response.json()["errors"]
    task.refresh_from_db()
    assert (task.title, task.due_on.isoformat()) == ("报送总结", due)
    assert call(client, "patch", f"/tasks/{task.pk}", tokens["viewer"], body={"title": "x"}).status_code == 403
    assert call(client, "post", f"/tasks/{task.pk}/withdraw", tokens["outsider"], body={}).status_code == 404
    response = call(client, "post", f"/tasks/{task.pk}/withdraw", tokens["writer"], body={"reason": "重复下达"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert call(client, "post", f"/tasks/{task.pk}/withdraw", tokens["writer"], body={}).status_code == 422
    assert call(client, "patch", f"/tasks/{task.pk}", tokens["writer"], body={"title": "x"}).status_code == 422
    task.refresh_from_db()
    assert task.status == Task.Status.WITHDRAWN and task.withdraw_reason == "重复下达" and task.title == "报送总结"


def _pledge(client, token, org, year, content=PDF):
    return call(client, "post", "/task-pledges", token, body={
        "org": org.pk, "year": year, "signed_on": f"{year}-03-01", "signers": "区委教育工委书记 王某"},
        files={"file": SimpleUploadedFile("责任书.pdf", content)})


def test_pledges_record_download_correct_delete(client, tree, tokens):
    org = tree["branch_a2"]
    response = _pledge(client, tokens["writer"], org, 2025)
    assert response.status_code == 201, response.content
    pledge_id = response.json()["id"]
    download = client.get(response.json()["download"], HTTP_AUTHORIZATION=f"Bearer {tokens['writer']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert _pledge(client, tokens["writer"], org, 2025).status_code == 409
    bad = _pledge(client, tokens["writer"], org, 2024, content=b"not a pdf")
    assert bad.status_code == 422 and "file" in bad.json()["errors"]
    assert _pledge(client, tokens["writer"], tree["school_b"], 2024).status_code == 422   # out of scope: on "org"
    assert list(Pledge.objects.values_list("year", flat=True)) == [2025]
    listed = call(client, "get", "/task-pledges", tokens["viewer"], params={"year": 2025}).json()
    assert [p["id"] for p in listed["items"]] == [pledge_id]
    assert call(client, "get", f"/task-pledges/{pledge_id}", tokens["outsider"]).status_code == 404
    response = call(client, "patch", f"/task-pledges/{pledge_id}", tokens["writer"], body={"signers": "书记 李某"})
    assert response.status_code == 200 and response.json()["signers"] == "书记 李某"
    response = call(client, "patch", f"/task-pledges/{pledge_id}", tokens["writer"], body={"year": 1999})
    assert response.status_code == 422 and Pledge.objects.get().year == 2025
    assert call(client, "delete", f"/task-pledges/{pledge_id}", tokens["viewer"]).status_code == 403
    assert call(client, "delete", f"/task-pledges/{pledge_id}", tokens["writer"]).status_code == 200
    assert not Pledge.objects.exists()
    assert AuditLog.objects.filter(event=Event.DELETE, object_type="tasks.pledge", object_id=str(pledge_id)).exists()


def test_instructors_assign_edit_delete(client, tree, tokens):
    body = {"org": tree["school_a"].pk, "name": "王指导", "unit": "区教育局", "started_on": "2026-01-01",
            "phone": "13912345678"}
    response = call(client, "post", "/task-instructors", tokens["writer"], body=body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["phone"] != "13912345678" and data["phone"].startswith("139")
    instructor_id = data["id"]
    bad = call(client, "post", "/task-instructors", tokens["writer"], body={**body, "ended_on": "2025-01-01"})
    assert bad.status_code == 422 and "ended_on" in bad.json()["errors"]
    outside = call(client, "post", "/task-instructors", tokens["writer"], body={**body, "org": tree["school_b"].pk})
    assert outside.status_code == 422 and "org" in outside.json()["errors"]
    assert call(client, "post", "/task-instructors", tokens["viewer"], body=body).status_code == 403
    assert Instructor.objects.count() == 1
    response = call(client, "patch", f"/task-instructors/{instructor_id}", tokens["writer"], body={"unit": "区教研室"})
    assert response.status_code == 200 and response.json()["unit"] == "区教研室"
    assert response.json()["phone"] == data["phone"]          # phone left out: kept
    response = call(client, "patch", f"/task-instructors/{instructor_id}", tokens["writer"], body={"phone": "123"})
    assert response.status_code == 422 and Instructor.objects.get().phone_masked == data["phone"]
    assert call(client, "get", f"/task-instructors/{instructor_id}", tokens["outsider"]).status_code == 404
    assert call(client, "delete", f"/task-instructors/{instructor_id}", tokens["viewer"]).status_code == 403
    assert call(client, "delete", f"/task-instructors/{instructor_id}", tokens["writer"]).status_code == 200
    assert not Instructor.objects.exists()
