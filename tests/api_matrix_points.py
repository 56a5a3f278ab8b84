"""API permission-matrix rows for the points app (see tests/test_api_permissions.py)."""

from dangjian.points import services
from tests.test_api_permissions import Case, api_read, api_scoped_list, api_write


def org_param(c, s):
    return {"org": c["tree"]["school_a" if s == "in" else "school_b"].pk, "year": 2025}


def org(c, s):
    return {"org_id": c[f"org_{s}"].pk}


def org_with_rules(c, s):
    """The scope's organisation with its own rule set (made again for each call: removing deletes it)."""
    services.rule_set_save(actor=None, org=c[f"org_{s}"], base="60", basis="支部委员会决定", rules={})
    return org(c, s)


RULES = {"base": "80", "basis": "党委会议决定（2026年第3次）", "rules": [{"key": "life.attendance", "points": 2}]}

EXPECT = {
    "points_scores": Case(api_scoped_list(), params=org_param, scoped=True),
    "points_person": Case(api_read(), lambda c, s: {"person_id": c[f"person_{s}"].pk}),
    "points_rules": Case(api_read(), org),
    "points_rules_save": Case(api_write(), org, body=RULES),
    "points_rules_remove": Case(api_write(), org_with_rules),
}
