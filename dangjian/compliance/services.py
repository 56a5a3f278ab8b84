"""Writes to the rulebook configuration: per-organisation rule overrides.

Only the 系统管理员 adjusts rules (rules are configuration, not party data). Each write
validates, saves and records its audit row (with before/after) in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core import audit

from .models import RuleOverride
from .rulebook import get_rule, rules_by_id

REASON_MAX_LENGTH = RuleOverride._meta.get_field("reason").max_length


def _require_system_admin(actor):
    if actor is not None and not getattr(actor, "is_system_admin", False):
        raise ValidationError("只有系统管理员可以调整规则。")


def _title(rule_id):
    rule = rules_by_id().get(rule_id)  # an override may outlive a rule removed from the rulebook
    return rule.title if rule is not None else rule_id


def _snapshot(override):
    return {
        "org": override.org.name,
        "rule_id": override.rule_id,
        "rule": _title(override.rule_id),
        "enabled": override.enabled,
        "params": dict(override.params or {}),
        "reason": override.reason,
    }


def _repr(org, rule_id):
    return f"{org.name} · {_title(rule_id)}"[:200]


@transaction.atomic
def rule_override_set(*, actor, org, rule_id, enabled, params, reason):
    """Create or change the override of a rule at an organisation. `params` holds whole numbers
    keyed by the rule's parameter names; names left out keep the rulebook default."""
    _require_system_admin(actor)
    rule = get_rule(rule_id)
    if org is None or org.pk is None:
        raise ValidationError({"org": "请选择组织。"})
    if org.is_dissolved:
        raise ValidationError({"org": "该组织已撤销，不能调整规则。"})
    if not isinstance(enabled, bool):
        raise ValidationError({"enabled": "请选择是否启用该规则。"})
    params = rule.validate_params(params if params is not None else {})
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": "请填写调整依据。"})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"调整依据不能超过{REASON_MAX_LENGTH}字。"})

    override = RuleOverride.objects.select_for_update().filter(org=org, rule_id=rule.id).first()
    updated_by = actor if actor is not None and actor.is_authenticated else None
    if override is None:
        override = RuleOverride(org=org, rule_id=rule.id, enabled=enabled, params=params, reason=reason,
                                updated_by=updated_by)
        override.full_clean()
        override.save(force_insert=True)
        audit.record(actor=actor, event=audit.Event.CREATE, obj=override, object_repr=_repr(org, rule.id),
                     changes={"action": "调整规则", "before": {}, "after": _snapshot(override)})
        return override

    override.org = org
    before = _snapshot(override)
    if (override.enabled, override.params, override.reason) == (enabled, params, reason):
        return override
    override.enabled, override.params, override.reason, override.updated_by = enabled, params, reason, updated_by
    override.full_clean()
    override.save(update_fields=["enabled", "params", "reason", "updated_by", "updated_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=override, object_repr=_repr(org, rule.id),
                 changes={"action": "调整规则", "before": before, "after": _snapshot(override)})
    return override


@transaction.atomic
def rule_override_remove(*, actor, override):
    """Delete an override: the organisation inherits again (from the nearest ancestor, or the default)."""
    _require_system_admin(actor)
    current = RuleOverride.objects.select_for_update().select_related("org").filter(pk=override.pk).first()
    if current is None:
        raise ValidationError("该规则调整已不存在。")
    before = _snapshot(current)
    object_id = current.pk
    current.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=RuleOverride._meta.label_lower,
                 object_id=object_id, object_repr=_repr(current.org, current.rule_id),
                 changes={"action": "恢复继承", "before": before, "after": {}})
    return current


# --- stored findings: the nightly run over every organisation ----------------------------------------------

FINDING_BATCH = 5000
RUNS_KEPT = 2   # the new run and the one before it (a page may still be reading that one while the new one lands)


def findings_store(*, actor=None, on=None):
    """Check every active organisation as of `on` (default today) and store the findings as a new run, dropping
    all but the previous one; returns the run. The check reads from a replica when there is one; the run is written
    on the primary in one transaction with its audit row, so pages see either the old run or the whole new one."""
    from django.utils import timezone

    from dangjian.core.dbrouter import replica
    from dangjian.orgs.models import Organisation

    from .engine import findings_for
    from .models import FindingRun, StoredFinding

    on = on or timezone.localdate()
    started = timezone.now()
    with replica():
        orgs = list(Organisation.objects.active())
        results = findings_for(orgs, on=on)
    with transaction.atomic():
        run = FindingRun.objects.create(on=on, started_at=started, org_count=len(orgs), finding_count=len(results))
        rows = (StoredFinding(run=run, position=i, org_id=f.org_id,
                              org_name=f.org_name[:200], subject=f.subject, rule_id=f.rule_id, severity=f.severity,
                              message=f.message, due_on=f.due_on, basis=f.basis)
                for i, f in enumerate(results))
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == FINDING_BATCH:
                StoredFinding.objects.bulk_create(batch)
                batch = []
        StoredFinding.objects.bulk_create(batch)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        stale = list(FindingRun.objects.exclude(pk=run.pk).order_by("-finished_at", "-pk")
                     .values_list("pk", flat=True)[RUNS_KEPT - 1:])
        if stale:
            StoredFinding.objects.filter(run_id__in=stale).delete()
            FindingRun.objects.filter(pk__in=stale).delete()
        audit.record(actor=actor, event=audit.Event.CREATE, obj=run, changes={
            "on": on.isoformat(), "orgs": len(orgs), "findings": len(results), "replaced_runs": len(stale)})
    return run
