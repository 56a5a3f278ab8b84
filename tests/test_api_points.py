"""积分办法 over the API: the rules page's services (rule_set_save / rule_set_remove), its checks and scope."""

import pytest

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.points.models import RuleSet
from tests.test_api_permissions import call

pytestmark = pytest.mark.django_db


def test_set_inherit_and_remove_rules(client, tree, tokens):
    school, branch = tree["school_a"], tree["branch_a2"]
    body = {"base": "80", "basis": "党委会议决定", "rules": [{"key": "life.attendance", "points": "2.5", "cap": 30}]}
    saved = call(client, "put", f"/points/rules/{school.pk}", tokens["writer"], body=body)
    assert saved.status_code == 200, saved.content
    data = saved.json()
    assert data["own"] and data["base"] == "80.0" and data["basis"] == "党委会议决定"
    line = next(r for r in data["rules"] if r["key"] == "life.attendance")
    assert (line["points"], line["cap"], line["default"]) == ("2.5", "30.0", False)
    inherited = call(client, "get", f"/points/rules/{branch.pk}", tokens["viewer"]).json()
    assert not inherited["own"] and inherited["from_org"] == {"id": school.pk, "name": school.name}
    assert AuditLog.objects.filter(event=Event.CREATE, object_type="points.ruleset").count() == 1
    removed = call(client, "delete", f"/points/rules/{school.pk}", tokens["writer"])
    assert removed.status_code == 200 and not RuleSet.objects.exists()
    assert call(client, "delete", f"/points/rules/{school.pk}", tokens["writer"]).status_code == 422


def test_bad_rules_change_nothing(client, tree, tokens):
    school = tree["school_a"]
    good = {"base": "80", "basis": "党委会议决定", "rules": []}
    assert call(client, "put", f"/points/rules/{school.pk}", tokens["writer"], body=good).status_code == 200
    before = RuleSet.objects.get()
    cases = [
        ({**good, "base": "2000"}, "base"),
        ({**good, "basis": "  "}, "basis"),
        ({**good, "rules": [{"key": "life.attendance", "points": "1.25"}]}, "rules.life.attendance.points"),
        ({**good, "rules": [{"key": "life.attendance", "points": 1, "cap": 5000}]}, "rules.life.attendance.cap"),
        ({**good, "rules": [{"key": "no.such", "points": 1}]}, "rules"),
        ({**good, "rules": [{"key": "life.attendance", "points": 1}] * 2}, "rules"),
    ]
    for body, field in cases:
        response = call(client, "put", f"/points/rules/{school.pk}", tokens["writer"], body=body)
        assert response.status_code == 422 and field in response.json()["errors"], (body, response.content)
    after = RuleSet.objects.get()
    assert (after.base, after.basis, after.rules.count()) == (before.base, before.basis, 0)


def test_rules_scope_and_read_only_roles(client, tree, tokens):
    body = {"base": "80", "basis": "党委会议决定"}
    assert call(client, "put", f"/points/rules/{tree['school_a'].pk}", tokens["viewer"], body=body).status_code == 403
    assert call(client, "put", f"/points/rules/{tree['school_a'].pk}", tokens["outsider"], body=body).status_code == 404
    assert call(client, "get", f"/points/rules/{tree['school_a'].pk}", tokens["outsider"]).status_code == 404
    assert not RuleSet.objects.exists()
