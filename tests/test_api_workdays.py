"""The holiday calendar over the API: everyone reads; the system administrator imports (all lines or none) and
deletes through the import page's services."""

from datetime import date

import pytest

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.workdays.models import Holiday
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(tree):
    return {"system": token_for(make_user("api_sys", admin_role="system")),
            "secretary": token_for(make_user("api_sec", Role.SECRETARY, tree["school_a"]))}


def test_import_read_and_delete(client, tokens):
    text = "2030-10-01 休 国庆节\n2030-10-02 休 国庆节\n2030-10-12 班"
    refused = call(client, "post", "/workdays/holidays/import", tokens["secretary"], body={"text": text})
    assert refused.status_code == 403
    response = call(client, "post", "/workdays/holidays/import", tokens["system"], body={"text": text})
    assert response.status_code == 200 and response.json() == {"created": 3, "updated": 0, "year": 2030}
    again = call(client, "post", "/workdays/holidays/import", tokens["system"], body={"text": "2030-10-12 班 调休"})
    assert again.json() == {"created": 0, "updated": 1, "year": 2030}
    listed = call(client, "get", "/workdays/holidays", tokens["secretary"], params={"year": 2030}).json()
    assert [(h["date"], h["kind"], h["name"]) for h in listed["items"]] == [
        ("2030-10-01", "rest", "国庆节"), ("2030-10-02", "rest", "国庆节"), ("2030-10-12", "work", "调休")]
    assert AuditLog.objects.filter(event=Event.IMPORT, object_type="workdays.holiday").count() == 2
    first = listed["items"][0]["id"]
    assert call(client, "delete", f"/workdays/holidays/{first}", tokens["secretary"]).status_code == 403
    assert call(client, "delete", f"/workdays/holidays/{first}", tokens["system"]).status_code == 200
    assert call(client, "delete", f"/workdays/holidays/{first}", tokens["system"]).status_code == 404
    assert not Holiday.objects.filter(date=date(2030, 10, 1)).exists()


def test_a_bad_line_imports_nothing(client, tokens):
    text = "2030-05-01 休 劳动节\n2030-05-06 班\n2030-13-01 休"
    response = call(client, "post", "/workdays/holidays/import", tokens["system"], body={"text": text})
    assert response.status_code == 422
    errors = response.json()["errors"]["text"]
    assert any("第2行" in e and "周六或周日" in e for e in errors) and any("第3行" in e for e in errors)
    assert not Holiday.objects.exists()
