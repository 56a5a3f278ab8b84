"""Writes of the service app. Every function checks the actor's write right on the record's organisation,
validates everything (a Chinese ValidationError changes nothing) and writes its audit row in the same
transaction. People named in a record must belong to the organisation's subtree."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from dangjian.core import audit, scoping, uploads
from dangjian.members.models import ENDED_STATUSES, PARTY_MEMBER_STATUSES, Person

from .models import (MONEY_MAX, Activity, ActivityKind, ActivityPhoto, CareVisit, HardshipFile, HomeVisit,
                     MentorPair, Participant, PartnerKind, Partnership, RecipientKind, VisitCategory)

HOURS_MAX = Decimal("200")          # one person, one activity
EXTRA_HOURS_MAX = Decimal("100000")
COUNT_MAX = 100000
PHOTOS_MAX = 20
ALIAS_MAX = 10
_NUMBER_LIKE = re.compile(r"\d{6,}")
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")

ACTIVITY_FIELDS = ["kind", "title", "date", "place", "partner", "extra_participants", "extra_hours", "account"]
PARTNERSHIP_FIELDS = ["partner_name", "partner_kind", "since", "until", "note"]
PAIR_FIELDS = ["member", "student_alias", "school_year", "category", "note"]
VISIT_FIELDS = ["teacher", "date", "category", "student_alias", "pair", "outcome"]
CARE_FIELDS = ["date", "recipient_kind", "recipients", "matters_solved", "money", "goods", "goods_value", "note"]
HARDSHIP_FIELDS = ["name", "person", "opened_on", "difficulty", "family", "assistance", "closed_on"]


# --- helpers ------------------------------------------------------------------------------------


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _require_write(actor, org):
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有在该组织登记服务工作的权限")


def snapshot(obj, fields):
    """Plain values for the audit trail (choice labels, names, ISO dates, decimals as text)."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = _value(obj, name)
        if field.choices and value:
            value = getattr(obj, f"get_{name}_display")()
        elif isinstance(value, models.Model):
            value = str(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        data[name] = value
    data["org"] = obj.org.name
    return data


def _value(obj, name):
    """A field's value; a foreign key that is not set is None (never RelatedObjectDoesNotExist)."""
    field = obj._meta.get_field(name)
    if field.is_relation and getattr(obj, field.attname) is None:
        return None
    return getattr(obj, name)


def _apply(obj, fields, allowed):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for key, value in fields.items():
        setattr(obj, key, value.strip() if isinstance(value, str) else value)


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def _not_future(errors, obj, name):
    value = getattr(obj, name)
    if value is not None and value > timezone.localdate():
        errors[name] = f"{_label(type(obj), name)}不能晚于今天。"


def _required(errors, obj, *names):
    for name in names:
        value = _value(obj, name)
        if value is None or (isinstance(value, str) and not value):
            errors[name] = f"请填写{_label(type(obj), name)}。"


def _choice(errors, obj, name, choices):
    if getattr(obj, name) not in choices.values:
        errors[name] = f"请选择有效的{_label(type(obj), name)}。"


def _decimal(errors, obj, name, *, maximum, places):
    """A non-negative decimal no larger than `maximum`, rounded half up to `places` decimals."""
    label = _label(type(obj), name)
    value = getattr(obj, name)
    try:
        number = Decimal(str(value if value not in (None, "") else "0").strip())
    except InvalidOperation:
        errors[name] = f"{label}应为数字。"
        return
    if not number.is_finite():
        errors[name] = f"{label}应为数字。"
    elif number < 0:
        errors[name] = f"{label}不能为负数。"
    elif number > maximum:
        errors[name] = f"{label}不能超过 {maximum}。"
    else:
        setattr(obj, name, number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _count(errors, obj, name, *, minimum=0):
    label = _label(type(obj), name)
    value = getattr(obj, name)
    if value in (None, ""):
        value = 0
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            errors[name] = f"{label}应为整数。"
            return
    if value < minimum:
        errors[name] = f"{label}不能小于 {minimum}。" if minimum else f"{label}不能为负数。"
    elif value > COUNT_MAX:
        errors[name] = f"{label}不能超过 {COUNT_MAX}。"
    else:
        setattr(obj, name, value)


def people_of(org, *, party_only=False):
    """People of the organisation's subtree still on the roster (party members only, if so)."""
    qs = Person.objects.filter(org__path__startswith=org.path).exclude(status__in=ENDED_STATUSES)
    return qs.filter(status__in=PARTY_MEMBER_STATUSES) if party_only else qs


def _outside(org, people, *, party_only=False):
    """Names of the given people who are not in the organisation's subtree (or not party members)."""
    ids = {p.pk for p in people}
    allowed = set(people_of(org, party_only=party_only).filter(pk__in=ids).values_list("pk", flat=True))
    return [p.name for p in people if p.pk not in allowed]


def clean_alias(value):
    """A student is named only by an alias or initials (minors' data kept minimal): at most 10 characters,
    and never something that looks like an ID number or a phone number."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({"student_alias": "请填写学生的化名或姓名首字母。"})
    if _NUMBER_LIKE.search(value):
        raise ValidationError({"student_alias": "学生只登记化名或姓名首字母，不能填写身份证号、手机号等号码。"})
    if len(value) > ALIAS_MAX:
        raise ValidationError({"student_alias": f"学生只登记化名或姓名首字母，不超过 {ALIAS_MAX} 个字。"})
    return value


def _alias(errors, obj):
    try:
        obj.student_alias = clean_alias(obj.student_alias)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})


def _fail(errors):
    if errors:
        raise ValidationError(errors)


def _save(obj):
    """Save; a unique constraint broken by a concurrent write becomes a Chinese conflict error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError("与已有记录重复，请检查后再保存。", code="conflict") from None


def _create(actor, model, org, fields, allowed, validate):
    _require_write(actor, org)
    if org.dissolved_on is not None:
        raise ValidationError({"org": "该组织已撤销，不能再登记。"})
    obj = model(org=org, created_by=_user(actor))
    _apply(obj, fields, allowed)
    validate(obj)
    _save(obj)
    return obj


def _audit(actor, event, obj, fields, changes=None):
    audit.record(actor=actor, event=event, obj=obj, changes=changes if changes is not None else snapshot(obj, fields))


def _update(actor, obj, fields, allowed, validate):
    _require_write(actor, obj.org)
    before = snapshot(obj, allowed)
    _apply(obj, fields, allowed)
    validate(obj)
    _save(obj)
    return before


def _delete(actor, obj, fields, extra=None):
    _require_write(actor, obj.org)
    label, pk, data = obj._meta.label_lower, obj.pk, snapshot(obj, fields) | (extra or {})
    text = str(obj)
    obj.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=label, object_id=str(pk), object_repr=text,
                 changes=data)


def crud(model, fields, validate, arg, *, delete_extra=None):
    """The create / update / delete services of a plain record kind: validated, permission-checked, audited.
    `update` and `delete` take the record as keyword `arg` (e.g. partnership=…)."""

    @transaction.atomic
    def create(*, actor, org, **values):
        obj = _create(actor, model, org, values, fields, validate)
        _audit(actor, audit.Event.CREATE, obj, fields)
        return obj

    @transaction.atomic
    def update(*, actor, **values):
        obj = values.pop(arg)
        before = _update(actor, obj, values, fields, validate)
        _audit(actor, audit.Event.UPDATE, obj, fields, audit.diff(before, snapshot(obj, fields)))
        return obj

    @transaction.atomic
    def delete(*, actor, **values):
        obj = values.pop(arg)
        _delete(actor, obj, fields, delete_extra(obj) if delete_extra else None)

    return create, update, delete


# --- activities ---------------------------------------------------------------------------------


def _validate_activity(activity):
    errors = {}
    _choice(errors, activity, "kind", ActivityKind)
    _required(errors, activity, "title", "date")
    _not_future(errors, activity, "date")
    _count(errors, activity, "extra_participants")
    _decimal(errors, activity, "extra_hours", maximum=EXTRA_HOURS_MAX, places=1)
    _fail(errors)


def _participant_rows(activity, participants):
    """[{"person": Person, "hours": value}] → validated [(person, Decimal hours)]; ValidationError otherwise."""
    rows, seen = [], set()
    for entry in participants:
        person, hours = entry["person"], entry.get("hours")
        if person.pk in seen:
            raise ValidationError({"participants": f"参加人员重复：{person.name}。"})
        seen.add(person.pk)
        try:
            value = Decimal(str(hours if hours not in (None, "") else "0").strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or value > HOURS_MAX:
            raise ValidationError({"participants": f"{person.name}的服务时长应在 0 至 {HOURS_MAX} 小时之间。"})
        rows.append((person, value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)))
    outside = _outside(activity.org, [p for p, _ in rows], party_only=True)
    if outside:
        raise ValidationError({"participants": f"参加人员须是{activity.org.name}（含下级组织）的党员："
                                               f"{'、'.join(outside)}。"})
    return rows


def _check_photos(photos, existing=0):
    if existing + len(photos) > PHOTOS_MAX:
        raise ValidationError({"photos": f"每个活动最多上传 {PHOTOS_MAX} 张照片。"})
    checked = []
    for upload in photos:
        _, ext = uploads.check_upload(upload, field="photos", images_only=True)
        checked.append((upload, ext))
    return checked


def _store_photo(actor, activity, upload, ext):
    content_type = "image/png" if ext == "png" else "image/jpeg"
    photo = ActivityPhoto(activity=activity, original_name=uploads.display_name(upload, ext),
                          content_type=content_type, size=upload.size, uploaded_by=_user(actor))
    stored = uploads.stored_file(upload, ext)
    photo.file.save(stored.name, stored, save=False)
    photo.save()
    return photo


def _sync_participants(activity, rows):
    existing = {p.person_id: p for p in activity.participants.all()}
    wanted = {person.pk: hours for person, hours in rows}
    activity.participants.exclude(person_id__in=wanted).delete()
    changed = [p for pid, p in existing.items() if pid in wanted and p.hours != wanted[pid]]
    for p in changed:
        p.hours = wanted[p.person_id]
    Participant.objects.bulk_update(changed, ["hours"])
    Participant.objects.bulk_create([Participant(activity=activity, person=person, hours=hours)
                                     for person, hours in rows if person.pk not in existing])


def participants_text(activity):
    return [f"{p.person.name}：{p.hours}小时" for p in
            activity.participants.select_related("person").order_by("person__name", "person_id")]


@transaction.atomic
def activity_create(*, actor, org, participants=(), photos=(), **fields):
    """`participants`: [{"person": Person, "hours": Decimal}] (party members of the org's subtree);
    `photos`: uploaded images (JPEG/PNG, ≤ 10 MB each)."""
    _require_write(actor, org)
    rows = _participant_rows(Activity(org=org), participants)
    checked = _check_photos(list(photos))
    activity = _create(actor, Activity, org, fields, ACTIVITY_FIELDS, _validate_activity)
    _sync_participants(activity, rows)
    for upload, ext in checked:
        _store_photo(actor, activity, upload, ext)
    _audit(actor, audit.Event.CREATE, activity, ACTIVITY_FIELDS,
           snapshot(activity, ACTIVITY_FIELDS) | {"participants": participants_text(activity),
                                                  "photos": len(checked)})
    return activity


@transaction.atomic
def activity_update(*, actor, activity, participants=None, **fields):
    """Only the fields given change; `participants` (when given) replaces the list, keeping nothing else."""
    activity = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
    _require_write(actor, activity.org)
    rows = _participant_rows(activity, participants) if participants is not None else None
    before_people = participants_text(activity)
    before = _update(actor, activity, fields, ACTIVITY_FIELDS, _validate_activity)
    after = snapshot(activity, ACTIVITY_FIELDS)
    changes = audit.diff(before, after)
    if rows is not None:
        _sync_participants(activity, rows)
        after_people = participants_text(activity)
        if after_people != before_people:
            changes["before"]["participants"] = before_people
            changes["after"]["participants"] = after_people
    _audit(actor, audit.Event.UPDATE, activity, ACTIVITY_FIELDS, changes)
    return activity


@transaction.atomic
def activity_delete(*, actor, activity):
    names = [p.file.name for p in activity.photos.all()]
    storage = ActivityPhoto._meta.get_field("file").storage
    people = participants_text(activity)
    _delete(actor, activity, ACTIVITY_FIELDS, {"participants": people, "photos": len(names)})
    transaction.on_commit(lambda: [storage.delete(n) for n in names])


@transaction.atomic
def photo_add(*, actor, activity, upload):
    _require_write(actor, activity.org)
    (upload, ext), = _check_photos([upload], existing=activity.photos.count())
    photo = _store_photo(actor, activity, upload, ext)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=photo, object_repr=f"活动照片：{photo.original_name}",
                 changes={"activity": activity.pk, "size": photo.size})
    return photo


@transaction.atomic
def photo_remove(*, actor, photo):
    activity = photo.activity
    _require_write(actor, activity.org)
    pk, name, file_name, storage = photo.pk, photo.original_name, photo.file.name, photo.file.storage
    photo.delete()
    transaction.on_commit(lambda: storage.delete(file_name))
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="service.activityphoto", object_id=str(pk),
                 object_repr=f"活动照片：{name}", changes={"activity": activity.pk})


# --- partnerships -------------------------------------------------------------------------------


def _validate_partnership(p):
    errors = {}
    _required(errors, p, "partner_name", "since")
    _choice(errors, p, "partner_kind", PartnerKind)
    _not_future(errors, p, "since")
    if p.until and p.since and p.until < p.since:
        errors["until"] = "结束日期不能早于结对日期。"
    _fail(errors)
    clash = Partnership.objects.filter(org=p.org, partner_kind=p.partner_kind, partner_name=p.partner_name,
                                       until__isnull=True).exclude(pk=p.pk)
    if p.until is None and clash.exists():
        raise ValidationError(f"{p.org.name}与{p.partner_name}的结对仍在进行中，请勿重复登记。", code="conflict")


partnership_create, partnership_update, partnership_delete = crud(
    Partnership, PARTNERSHIP_FIELDS, _validate_partnership, "partnership")


# --- 帮教对子 and 家访 ----------------------------------------------------------------------------


def _validate_pair(pair):
    errors = {}
    _required(errors, pair, "member", "school_year")
    _choice(errors, pair, "category", VisitCategory)
    _alias(errors, pair)
    match = _SCHOOL_YEAR.match(pair.school_year or "")
    if pair.school_year and (not match or int(match.group(2)) != int(match.group(1)) + 1):
        errors["school_year"] = "学年格式应为“2025-2026”。"
    if pair.member_id and _outside(pair.org, [pair.member], party_only=True):
        errors["member"] = f"帮教党员须是{pair.org.name}（含下级组织）的党员。"
    _fail(errors)
    if MentorPair.objects.filter(member=pair.member, student_alias=pair.student_alias,
                                 school_year=pair.school_year).exclude(pk=pair.pk).exists():
        raise ValidationError("该党员本学年已与该学生结成帮教对子。", code="conflict")


# The pair's visits stay (they are 家访 records in their own right), unlinked from it.
pair_create, pair_update, pair_delete = crud(MentorPair, PAIR_FIELDS, _validate_pair, "pair",
                                             delete_extra=lambda pair: {"visits": pair.visits.count()})


def _validate_visit(visit):
    errors = {}
    if visit.pair is not None:
        # A visit of a 帮教对子: by the pair's member, to the pair's student, inside the same scope.
        if not visit.pair.org.path.startswith(visit.org.path):
            errors["pair"] = "帮教对子不属于该组织。"
        if visit.teacher_id is None:
            visit.teacher = visit.pair.member
        visit.student_alias = visit.student_alias or visit.pair.student_alias
        if visit.teacher_id != visit.pair.member_id:
            errors["teacher"] = "帮教对子的家访教师须是结对党员本人。"
    _required(errors, visit, "teacher", "date")
    _choice(errors, visit, "category", VisitCategory)
    _not_future(errors, visit, "date")
    _alias(errors, visit)
    if visit.teacher_id and "teacher" not in errors and _outside(visit.org, [visit.teacher]):
        errors["teacher"] = f"家访教师须是{visit.org.name}（含下级组织）的人员。"
    _fail(errors)


home_visit_create, home_visit_update, home_visit_delete = crud(HomeVisit, VISIT_FIELDS, _validate_visit, "visit")


# --- 慰问 -----------------------------------------------------------------------------------------


def _validate_care(care):
    errors = {}
    _required(errors, care, "date")
    _choice(errors, care, "recipient_kind", RecipientKind)
    _not_future(errors, care, "date")
    _count(errors, care, "recipients", minimum=1)
    _count(errors, care, "matters_solved")
    _decimal(errors, care, "money", maximum=MONEY_MAX, places=2)
    _decimal(errors, care, "goods_value", maximum=MONEY_MAX, places=2)
    if not errors and care.goods_value and not care.goods:
        errors["goods"] = "填写了物品折合金额，请注明慰问物品。"
    _fail(errors)


def _visitors(care, visitors):
    outside = _outside(care.org, visitors)
    if outside:
        raise ValidationError({"visitors": f"走访人员须是{care.org.name}（含下级组织）的人员：{'、'.join(outside)}。"})


def _names(people):
    return sorted(p.name for p in people)


@transaction.atomic
def care_visit_create(*, actor, org, visitors=(), **fields):
    visitors = list(visitors)
    _visitors(CareVisit(org=org), visitors)
    care = _create(actor, CareVisit, org, fields, CARE_FIELDS, _validate_care)
    care.visitors.set(visitors)
    _audit(actor, audit.Event.CREATE, care, CARE_FIELDS,
           snapshot(care, CARE_FIELDS) | {"visitors": _names(visitors)})
    return care


@transaction.atomic
def care_visit_update(*, actor, care, visitors=None, **fields):
    _require_write(actor, care.org)
    if visitors is not None:
        visitors = list(visitors)
        _visitors(care, visitors)
    before_visitors = _names(care.visitors.all())
    before = _update(actor, care, fields, CARE_FIELDS, _validate_care)
    changes = audit.diff(before, snapshot(care, CARE_FIELDS))
    if visitors is not None:
        care.visitors.set(visitors)
        if _names(visitors) != before_visitors:
            changes["before"]["visitors"], changes["after"]["visitors"] = before_visitors, _names(visitors)
    _audit(actor, audit.Event.UPDATE, care, CARE_FIELDS, changes)
    return care


@transaction.atomic
def care_visit_delete(*, actor, care):
    _delete(actor, care, CARE_FIELDS, {"visitors": _names(care.visitors.all())})


# --- 困难职工档案 (restricted) ---------------------------------------------------------------------


def _validate_hardship(f):
    errors = {}
    _required(errors, f, "name", "opened_on", "difficulty")
    _not_future(errors, f, "opened_on")
    _not_future(errors, f, "closed_on")
    if f.closed_on and f.opened_on and f.closed_on < f.opened_on:
        errors["closed_on"] = "销档日期不能早于建档日期。"
    if f.person_id and _outside(f.org, [f.person]):
        errors["person"] = f"关联人员须是{f.org.name}（含下级组织）的人员。"
    _fail(errors)


hardship_create, hardship_update, hardship_delete = crud(HardshipFile, HARDSHIP_FIELDS, _validate_hardship, "file")


def hardship_read(*, actor, files, listing=False):
    """Record that `actor` read these files (a list page: one row naming the ids shown; a file: its own row)."""
    files = list(files)
    if listing:
        audit.record(actor=actor, event=audit.Event.READ, object_type="service.hardshipfile",
                     object_repr=f"困难职工档案列表（{len(files)} 份）", changes={"ids": [f.pk for f in files]})
    else:
        for f in files:
            audit.record(actor=actor, event=audit.Event.READ, obj=f, changes={"org": f.org.name})
