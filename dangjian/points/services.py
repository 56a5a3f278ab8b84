"""Writes of the points app: an organisation's 积分办法 (rule set). Scores are never written: they are computed.

Writers (组织管理员, 书记) of an organisation set its rule set for its subtree; every change is audited with
what it was before and after.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core import audit, scoping

from .models import Rule, RuleSet
from .sources import all_sources

BASIS_MAX_LENGTH = RuleSet._meta.get_field("basis").max_length


def _require_write(actor, org):
    if actor is not None and not scoping.can_write(actor, org):
        raise PermissionDenied("您无权为该组织制定积分办法。")


def decimal_in_range(value, field, label, low, high, *, blank_ok=False):
    """A Decimal with at most one decimal place within low..high, or a Chinese ValidationError on `field`
    (also used by the appraisal app for marks)."""
    text = str(value if value is not None else "").strip()
    if not text:
        if blank_ok:
            return None
        raise ValidationError({field: f"请填写{label}。"})
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: f"“{label}”须为数字。"}) from None
    if not number.is_finite() or not low <= number <= high:
        raise ValidationError({field: f"“{label}”须在{low}至{high}之间。"})
    if number != number.quantize(Decimal("0.1")):
        raise ValidationError({field: f"“{label}”最多保留一位小数。"})
    return number.quantize(Decimal("0.1"))


def snapshot(rule_set):
    labels = {key: source.label for key, source in all_sources().items()}
    return {"org": rule_set.org.name, "base": str(rule_set.base), "basis": rule_set.basis,
            "rules": {labels.get(r.source_key, r.source_key): {"points": str(r.points),
                                                                "cap": str(r.cap) if r.cap is not None else ""}
                      for r in rule_set.rules.order_by("id")}}


def clean_rules(rules):
    """{source key: (points, cap)} → {source key: (Decimal, Decimal | None)}; every source must be known."""
    sources = all_sources()
    if not isinstance(rules, dict):
        raise ValidationError({"rules": "积分规则格式不正确。"})
    clean, errors = {}, {}
    for key, value in rules.items():
        source = sources.get(key)
        if source is None:
            errors.setdefault("rules", []).append(f"未知的积分项目：{str(key)[:64]}。")
            continue
        try:
            points, cap = value
            clean[key] = (decimal_in_range(points, f"p__{key}", f"{source.label}每{source.unit}分值", -100, 100),
                          decimal_in_range(cap, f"c__{key}", f"{source.label}年度上限", Decimal("0.1"), 1000,
                                           blank_ok=True))
        except (TypeError, ValueError):
            errors.setdefault("rules", []).append(f"“{source.label}”的规则格式不正确。")
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def rule_set_save(*, actor, org, base, basis, rules):
    """Create or replace the organisation's rule set. `rules` = {source key: (points per unit, yearly cap or
    None)}; sources left out follow the platform default. Bad input changes nothing."""
    if org is None or org.pk is None:
        raise ValidationError({"org": "请选择组织。"})
    _require_write(actor, org)
    if org.is_dissolved:
        raise ValidationError({"org": "该组织已撤销，不能制定积分办法。"})
    base = decimal_in_range(base, "base", "基础分", 0, 1000)
    basis = (basis or "").strip() if isinstance(basis, str) else ""
    if not basis:
        raise ValidationError({"basis": "请填写制定依据（如会议决定或文件名称）。"})
    if len(basis) > BASIS_MAX_LENGTH:
        raise ValidationError({"basis": f"制定依据不能超过{BASIS_MAX_LENGTH}字。"})
    rules = clean_rules(rules)
    updated_by = actor if actor is not None and actor.is_authenticated else None
    rule_set = RuleSet.objects.select_for_update().filter(org=org).first()
    before = snapshot(rule_set) if rule_set is not None else {}
    if rule_set is None:
        rule_set = RuleSet(org=org)
    rule_set.base, rule_set.basis, rule_set.updated_by = base, basis, updated_by
    rule_set.full_clean()
    rule_set.save()
    rule_set.rules.all().delete()
    Rule.objects.bulk_create([Rule(rule_set=rule_set, source_key=key, points=points, cap=cap)
                              for key, (points, cap) in rules.items()])
    after = snapshot(rule_set)
    if before != after:
        audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=rule_set,
                     changes={"before": before, "after": after})
    return rule_set


@transaction.atomic
def rule_set_remove(*, actor, org):
    """Delete the organisation's own rule set: it follows the nearest ancestor's (or the default) again."""
    _require_write(actor, org)
    rule_set = RuleSet.objects.select_for_update().select_related("org").filter(org=org).first()
    if rule_set is None:
        raise ValidationError("该组织没有自己的积分办法。")
    before, pk = snapshot(rule_set), rule_set.pk
    rule_set.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=RuleSet._meta.label_lower, object_id=pk,
                 object_repr=f"{org.name}积分办法", changes={"before": before, "after": {}})
