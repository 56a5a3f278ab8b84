"""API permission-matrix rows for the rule settings (see tests/test_api_permissions.py): the system administrator
only, as on the pages; everyone else 403. Overrides belong to no role's scope: "in" and "out" name an organisation
inside and outside school_a, with the same answers. Removing takes a fresh override each call."""

from dangjian.compliance import services
from tests.test_api_permissions import Case
from tests.test_permission_matrix import ALL

RULE = "org.branch_min_full"


def system_only(pair=False):
    if pair:
        return {role: (403, 403) for role in ALL} | {"anon": (401, 401), "system": (200, 200)}
    return {role: 403 for role in ALL} | {"anon": 401, "system": 200}


def org(ctx, scope):
    return {"rule_id": RULE, "org_id": ctx[f"org_{scope}"].pk}


def fresh_override(ctx, scope):
    override = services.rule_override_set(actor=ctx["users"]["system"], org=ctx[f"org_{scope}"], rule_id=RULE,
                                          enabled=True, params={"min_full": 2}, reason="试点")
    return {"override_id": override.pk}


EXPECT = {
    "compliance_overrides_list": Case(system_only()),
    "compliance_override_set": Case(system_only(pair=True), org,
                                    body={"enabled": True, "params": {"min_full": 2}, "reason": "小规模学校试点"}),
    "compliance_override_remove": Case(system_only(pair=True), fresh_override),
}
