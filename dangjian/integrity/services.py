"""Writes of the 廉政 records. One set of functions for the four kinds (see KINDS): validate everything
(Chinese messages, nothing changed on bad input), check the 廉政 write right (selectors.can_write), and
audit in the same transaction."""

from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit

from . import selectors
from .models import IntegrityFile, Sanction, Talk, WarningEducation

MAX_COUNT = 100_000
PROBATION_MAX_YEARS = 2  # 章 第四十一条：留党察看最长不超过二年


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type
    label: str
    fields: tuple
    date_field: str
    search: tuple  # fields the list's search box matches

    @property
    def has_person(self):
        return "person" in self.fields


KINDS = {k.slug: k for k in [
    Kind("files", IntegrityFile, "廉政档案",
         ("person", "post", "relatives_count", "declarations", "notes", "updated_on"), "updated_on",
         ("person__name", "post")),
    Kind("talks", Talk, "约谈记录", ("person", "talked_on", "kind", "talked_by", "summary"), "talked_on",
         ("person__name", "talked_by", "summary")),
    Kind("education", WarningEducation, "警示教育",
         ("org", "held_on", "title", "form", "participants", "person_times"), "held_on", ("title", "form")),
    Kind("sanctions", Sanction, "纪律处分",
         ("person", "kind", "decided_on", "decided_by", "document_no", "probation_until"), "decided_on",
         ("person__name", "document_no", "decided_by")),
]}
KIND_OF_MODEL = {k.model: k for k in KINDS.values()}
REQUIRED_TEXT = {"post": "请填写职务。", "talked_by": "请填写约谈人。", "title": "请填写主题。", "form": "请填写形式。",
                 "decided_by": "请填写决定机关。", "document_no": "请填写处分决定文号。"}


def kind_of(record):
    return KIND_OF_MODEL[type(record)]


def snapshot(record):
    data = {}
    for name in kind_of(record).fields:
        value = getattr(record, name)
        if name in ("person", "org"):
            value = value.name if value is not None else None
        elif name == "kind":
            value = record.get_kind_display()
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    return data


def _validate(record, actor, today):
    kind = kind_of(record)
    errors = {}
    for name in kind.fields:
        value = getattr(record, name, None) if name not in ("person", "org") else None
        if name in REQUIRED_TEXT and not (value or "").strip():
            errors[name] = REQUIRED_TEXT[name]
        elif name in ("relatives_count", "participants", "person_times"):
            if value is None or not 0 <= value <= MAX_COUNT:
                errors[name] = f"{record._meta.get_field(name).verbose_name}应为0至{MAX_COUNT}之间的整数。"
    the_date = getattr(record, kind.date_field)
    if the_date is None:
        errors[kind.date_field] = "请填写日期。"
    elif the_date > today:
        errors[kind.date_field] = "日期不能晚于今天。"
    if kind.has_person:
        if record.person_id is None:
            errors["person"] = "请选择人员。"
        elif not selectors.can_write(actor, record.person.org):
            errors["person"] = "该人员不在您的管理范围内。"
    elif record.org_id is None or not selectors.can_write(actor, record.org):
        errors["org"] = "请选择您有权登记的组织。"
    if isinstance(record, WarningEducation) and "participants" not in errors and "person_times" not in errors:
        if record.participants < 1:
            errors["participants"] = "参加人数须大于0。"
        elif record.person_times < record.participants:
            errors["person_times"] = "参加人次不能少于参加人数。"
    if isinstance(record, Talk) and record.kind not in Talk.Kind.values:
        errors["kind"] = "请选择约谈类型。"
    if isinstance(record, Sanction):
        _validate_sanction(record, errors)
    if isinstance(record, IntegrityFile) and record.person_id and "person" not in errors:
        if IntegrityFile.objects.filter(person_id=record.person_id).exclude(pk=record.pk).exists():
            raise ValidationError({"person": ValidationError("该干部已有廉政档案，请修改原档案。", code="conflict")})
    if errors:
        raise ValidationError(errors)


def _validate_sanction(record, errors):
    if record.kind not in Sanction.Kind.values:
        errors["kind"] = "请选择处分种类。"
    elif record.kind == Sanction.Kind.PROBATION:
        until, start = record.probation_until, record.decided_on
        if until is None:
            errors["probation_until"] = "留党察看须填写期满日期。"
        elif start and until <= start:
            errors["probation_until"] = "期满日期须晚于决定日期。"
        elif start and until > start + relativedelta(years=PROBATION_MAX_YEARS):
            errors["probation_until"] = "留党察看最长不超过二年（章程第四十一条）。"
    elif record.probation_until is not None:
        errors["probation_until"] = "只有留党察看填写期满日期。"


def _apply(record, fields):
    kind = kind_of(record)
    for name, value in fields.items():
        if name not in kind.fields:
            raise TypeError(name)
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    if kind.has_person and record.person_id:
        record.org = record.person.org


def _require(actor, org):
    if not selectors.can_write(actor, org):
        raise PermissionDenied("您没有登记廉政记录的权限")


@transaction.atomic
def record_create(*, actor, what, today=None, **fields):
    """Create a record of kind `what` (a KINDS slug: files, talks, education, sanctions)."""
    if not selectors.can_write_any(actor):
        raise PermissionDenied("您没有登记廉政记录的权限")
    record = KINDS[what].model(created_by=actor)
    _apply(record, fields)
    _validate(record, actor, today or timezone.localdate())
    record.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=record, changes={"after": snapshot(record)})
    return record


def _locked(record):
    return type(record).objects.select_for_update(of=("self",)).select_related("org").get(pk=record.pk)


@transaction.atomic
def record_update(*, actor, record, today=None, **fields):
    record = _locked(record)
    _require(actor, record.org)
    before = snapshot(record)
    _apply(record, fields)
    _validate(record, actor, today or timezone.localdate())
    record.save()
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=record, changes=audit.diff(before, snapshot(record)))
    return record


@transaction.atomic
def record_delete(*, actor, record):
    record = _locked(record)
    _require(actor, record.org)
    label, pk, text, before = record._meta.label_lower, record.pk, str(record), snapshot(record)
    record.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=label, object_id=str(pk), object_repr=text,
                 changes={"before": before})


def record_read(*, actor, records, what, filters=None):
    """Every read of these restricted records is logged: the detail page (one record) and each list page
    (the ids shown, and the filters used)."""
    records = list(records)
    if len(records) == 1 and filters is None:
        audit.record(actor=actor, event=audit.Event.READ, obj=records[0])
        return
    audit.record(actor=actor, event=audit.Event.READ, object_type=what, object_repr=f"列表：{what}",
                 changes={"ids": [r.pk for r in records], "filters": filters or {}})
