"""API of the rule settings (规则设置): the per-organisation overrides of a rule (switched off, other parameters),
for the system administrator only as on the pages (everyone else 403), set and removed through the rules page's
services (rule_override_set, rule_override_remove). The findings themselves are in dangjian/api/routers/findings.py."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from dangjian.api.common import page
from dangjian.api.schemas import MAX_ID, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping
from dangjian.orgs.models import Organisation

from . import services
from .models import RuleOverride
from .rulebook import rules_by_id

router = Router(tags=["规则设置"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RuleOverrideOut(Schema):
    id: int
    org: Ref
    rule_id: str
    rule_title: str
    enabled: bool
    params: dict[str, int | str] = Field(..., description="参数（未调整的取规则默认值）")
    reason: str
    updated_at: dt.datetime


class RuleOverrideFilters(Schema):
    org: Id | None = Field(None, description="该组织的调整")
    rule_id: Text(64) = Field("", description="该规则的调整")


class RuleOverrideIn(In):
    enabled: bool = Field(..., description="是否启用该规则（该组织及其下级）")
    params: dict[Text(64), int | Text(50)] = Field(default_factory=dict, description="参数名 → 取值（整数，或规则给定的选项）；未提交的取规则默认值")
    reason: Text(200) = Field(..., description="调整依据")


def override_dict(o):
    rule = rules_by_id().get(o.rule_id)
    return {"id": o.pk, "org": {"id": o.org_id, "name": o.org.name}, "rule_id": o.rule_id,
            "rule_title": rule.title if rule is not None else o.rule_id, "enabled": o.enabled,
            "params": dict(o.params or {}), "reason": o.reason, "updated_at": o.updated_at}


def _require_system_admin(request, object_id=""):
    if not request.user.is_system_admin:
        scoping.deny(request, RuleOverride._meta.label_lower, object_id, forbidden=True)


@router.get("/rule-overrides", response={200: Page[RuleOverrideOut], **ERRORS}, summary="规则调整")
def compliance_overrides_list(request, filters: Query[RuleOverrideFilters], paging: Query[Paging]):
    """仅系统管理员。"""
    _require_system_admin(request)
    qs = RuleOverride.objects.select_related("org").order_by("org__path", "rule_id")
    if filters.org is not None:
        qs = qs.filter(org_id=filters.org)
    if filters.rule_id:
        qs = qs.filter(rule_id=filters.rule_id)
    return page(qs, paging, lambda rows: [override_dict(o) for o in rows])


@router.put("/rules/{rule_id}/orgs/{org_id}", response={200: RuleOverrideOut, **ERRORS},
            summary="调整规则在某组织的设置")
def compliance_override_set(request, rule_id: str, org_id: int, payload: RuleOverrideIn):
    """与规则设置页面相同的服务：该组织及其下级继承（下级自己的调整除外）。规则或组织（未撤销）不存在 404；参数名
    未知、取值超出范围、未填依据 422。仅系统管理员，记入审计。"""
    _require_system_admin(request, f"{rule_id}@{org_id}")
    rule = rules_by_id().get(rule_id)
    org = Organisation.objects.active().filter(pk=org_id).first() if 1 <= org_id <= MAX_ID else None
    if rule is None or org is None:
        scoping.deny(request, RuleOverride._meta.label_lower, f"{rule_id}@{org_id}"[:100])
    override = services.rule_override_set(actor=request.user, org=org, rule_id=rule.id, enabled=payload.enabled,
                                          params=payload.params, reason=payload.reason)
    return override_dict(RuleOverride.objects.select_related("org").get(pk=override.pk))


@router.delete("/rule-overrides/{override_id}", response={200: DeletedOut, **ERRORS}, summary="取消规则调整")
def compliance_override_remove(request, override_id: int):
    """该组织恢复继承上级或默认设置。仅系统管理员，记入审计。"""
    _require_system_admin(request, override_id)
    override = (RuleOverride.objects.select_related("org").filter(pk=override_id).first()
                if 1 <= override_id <= MAX_ID else None)
    if override is None:
        scoping.deny(request, RuleOverride._meta.label_lower, override_id)
    services.rule_override_remove(actor=request.user, override=override)
    return {"id": override_id, "deleted": True}
