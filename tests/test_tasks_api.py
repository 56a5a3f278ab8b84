"""The tasks API goes through the same services and scoping as the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.tasks.models import Receipt, Task
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(tree):
    return {name: token_for(make_user(f"api_{name}", role, tree[org])) for name, role, org in [
        ("district", Role.ORG_ADMIN, "district"), ("a2", Role.SECRETARY, "branch_a2"),
        ("a1", Role.SECRETARY, "branch_a1"), ("b", Role.SECRETARY, "school_b")]}


def test_issue_answer_and_read_the_table(client, tree, tokens):
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    created = call(client, "post", "/tasks", tokens["district"], body={
        "org": tree["district"].pk, "title": "报送材料", "due_on": due, "receivers": "schools"})
    assert created.status_code == 201, created.content
    data = created.json()
    assert sorted(r["org"]["name"] for r in data["receipts"]) == ["城南小学党支部", "实验中学党总支"]
    assert data["figures"]["total"] == 2 and data["figures"]["rate"] == 0
    task = Task.objects.get()
    explicit = call(client, "post", "/tasks", tokens["district"], body={
        "org": tree["district"].pk, "title": "给第二支部", "due_on": due, "receivers": "explicit",
        "explicit": [tree["branch_a2"].pk]}).json()
    receipt_id = explicit["receipts"][0]["id"]
    mine = call(client, "get", "/task-receipts", tokens["a2"]).json()
    assert [r["id"] for r in mine["items"]] == [receipt_id] and mine["items"][0]["state"] == "open"
    assert call(client, "post", f"/task-receipts/{receipt_id}/answer", tokens["a1"],
                body={"answer": "冒名"}).status_code == 404
    empty = call(client, "post", f"/task-receipts/{receipt_id}/answer", tokens["a2"], body={"answer": "  "})
    assert empty.status_code == 422 and "answer" in empty.json()["errors"]
    done = call(client, "post", f"/task-receipts/{receipt_id}/answer", tokens["a2"], body={"answer": "已报送"})
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert Receipt.objects.get(pk=receipt_id).done_on == timezone.localdate()
    issuer = call(client, "get", f"/tasks/{explicit['id']}", tokens["district"]).json()
    assert issuer["figures"]["done"] == 1 and issuer["figures"]["rate"] == 100
    # The receiver sees its own receipt, not the issuer's figures.
    receiver = call(client, "get", f"/tasks/{explicit['id']}", tokens["a2"]).json()
    assert receiver["figures"] is None and len(receiver["receipts"]) == 1
    assert call(client, "get", f"/tasks/{task.pk}", tokens["a1"]).status_code == 404  # school_a got it, not a1


def test_bad_input_through_the_api(client, tree, tokens):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    late = call(client, "post", "/tasks", tokens["district"], body={
        "org": tree["district"].pk, "title": "过期", "due_on": yesterday, "receivers": "branches"})
    assert late.status_code == 422 and "不能早于今天" in late.json()["errors"]["due_on"][0]
    outside = call(client, "post", "/tasks", tokens["b"], body={
        "org": tree["district"].pk, "title": "越权", "due_on": timezone.localdate().isoformat(),
        "receivers": "branches"})
    assert outside.status_code == 422 and "org" in outside.json()["errors"]
    assert not Task.objects.exists()
