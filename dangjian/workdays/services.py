"""Writes to the holiday calendar: the system administrator only, audited, all-or-nothing."""

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core import audit

from .models import Holiday

MAX_LINES = 400
KINDS = {"休": Holiday.Kind.REST, "班": Holiday.Kind.WORK}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def _require_admin(actor):
    if actor is None or not getattr(actor, "is_system_admin", False):
        raise PermissionDenied("只有系统管理员可以维护节假日安排。")


def parse_lines(text):
    """[(line number, date, kind, name)] from lines like "2026-10-01 休 国庆节" / "2026-10-11 班".
    Raises ValidationError listing every bad line."""
    rows, errors, seen = [], [], {}
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise ValidationError({"text": f"一次最多导入{MAX_LINES}行。"})
    for number, raw in enumerate(lines, start=1):
        line = raw.replace("\u3000", " ").strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            errors.append(f"第{number}行“{line[:40]}”：格式应为“日期 休/班 名称”，如“2026-10-01 休 国庆节”。")
            continue
        match = _DATE.match(parts[0])
        try:
            day = date(*map(int, match.groups())) if match else None
        except ValueError:
            day = None
        if day is None:
            errors.append(f"第{number}行：“{parts[0][:20]}”不是有效日期（应为 YYYY-MM-DD）。")
            continue
        kind = KINDS.get(parts[1])
        if kind is None:
            errors.append(f"第{number}行：类型“{parts[1][:10]}”无效，只能是“休”或“班”。")
            continue
        name = parts[2].strip() if len(parts) > 2 else ""
        if len(name) > 50:
            errors.append(f"第{number}行：名称不能超过50个字。")
            continue
        if kind == Holiday.Kind.WORK and day.weekday() < 5:
            errors.append(f"第{number}行：{day:%Y-%m-%d}是工作日（周{'一二三四五'[day.weekday()]}），"
                          f"调休上班只能安排在周六或周日。")
            continue
        if day in seen:
            errors.append(f"第{number}行：{day:%Y-%m-%d}与第{seen[day]}行重复。")
            continue
        seen[day] = number
        rows.append((number, day, kind, name))
    if errors:
        raise ValidationError({"text": errors})
    if not rows:
        raise ValidationError({"text": "没有可导入的行。"})
    return rows


@transaction.atomic
def holiday_import(*, actor, text):
    """Add or update the listed dates (a date already in the calendar takes the new type and name).
    Every bad line is reported and nothing is written. Returns (created, updated, the first year listed)."""
    _require_admin(actor)
    rows = parse_lines(text)
    existing = {h.date: h for h in Holiday.objects.select_for_update().filter(date__in=[r[1] for r in rows])}
    created, updated, changes = [], [], []
    for _, day, kind, name in rows:
        old = existing.get(day)
        if old is None:
            created.append(Holiday(date=day, kind=kind, name=name, created_by=actor))
            changes.append({"date": day, "kind": kind, "name": name})
        elif (old.kind, old.name) != (kind, name):
            changes.append({"date": day, "kind": {"before": old.kind, "after": kind},
                            "name": {"before": old.name, "after": name}})
            old.kind, old.name = kind, name
            updated.append(old)
    Holiday.objects.bulk_create(created)
    Holiday.objects.bulk_update(updated, ["kind", "name"])
    years = sorted({r[1].year for r in rows})
    audit.record(actor=actor, event=audit.Event.IMPORT, object_type=Holiday._meta.label_lower,
                 object_repr=f"节假日安排（{'、'.join(map(str, years))}年）",
                 changes={"created": len(created), "updated": len(updated), "entries": changes})
    return len(created), len(updated), years[0]


@transaction.atomic
def holiday_delete(*, actor, holiday):
    _require_admin(actor)
    holiday = Holiday.objects.select_for_update().get(pk=holiday.pk)
    audit.record(actor=actor, event=audit.Event.DELETE, obj=holiday,
                 changes={"date": holiday.date, "kind": holiday.kind, "name": holiday.name})
    holiday.delete()
