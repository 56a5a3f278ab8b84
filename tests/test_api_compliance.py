"""Rule overrides over the API: the system administrator only, through the rules page's services."""

import pytest

from dangjian.compliance.models import RuleOverride
from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db
RULE = "org.branch_min_full"


def test_set_change_and_remove_an_override(client, tree):
    system = token_for(make_user("api_sys", admin_role="system"))
    secretary = token_for(make_user("api_sec", Role.SECRETARY, tree["school_a"]))
    org = tree["school_a"]
    url = f"/rules/{RULE}/orgs/{org.pk}"
    body = {"enabled": True, "params": {"min_full": 2}, "reason": "小规模学校试点"}
    assert call(client, "put", url, secretary, body=body).status_code == 403
    for bad, field in (({**body, "params": {"min_full": 99}}, "params"), ({**body, "params": {"nope": 1}}, "params"),
                       ({**body, "reason": " "}, "reason")):
        response = call(client, "put", url, system, body=bad)
        assert response.status_code == 422, response.content
    assert call(client, "put", f"/rules/no.such/orgs/{org.pk}", system, body=body).status_code == 404
    assert not RuleOverride.objects.exists()
    saved = call(client, "put", url, system, body=body)
    assert saved.status_code == 200 and saved.json()["params"] == {"min_full": 2}
    changed = call(client, "put", url, system, body={**body, "enabled": False})
    assert changed.status_code == 200 and changed.json()["id"] == saved.json()["id"] and not changed.json()["enabled"]
    listed = call(client, "get", "/rule-overrides", system, params={"org": org.pk}).json()
    assert [o["rule_id"] for o in listed["items"]] == [RULE]
    assert call(client, "delete", f"/rule-overrides/{saved.json()['id']}", secretary).status_code == 403
    assert call(client, "delete", f"/rule-overrides/{saved.json()['id']}", system).status_code == 200
    assert not RuleOverride.objects.exists()
    assert AuditLog.objects.filter(event=Event.DELETE, object_type="compliance.ruleoverride").count() == 1
