"""Writes to people and their party status. Each writes its history and the audit row
in the same transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core import audit, crypto, idnumber, scoping
from dangjian.orgs.models import OrgKind

from .models import ENDED_STATUSES, PARTY_MEMBER_STATUSES, OrgMembership, Person, PersonChange, Status, StatusEvent

PLAIN_FIELDS = [
    "name", "gender", "ethnicity", "birth_date", "education", "occupation", "professional_title",
    "is_class_teacher", "is_research_lead", "is_backbone", "is_administrative", "is_mobile", "lost_contact",
    "group",
]

# Which status may follow which (the 发展党员 path and the exits of DOMAIN §2).
TRANSITIONS = {
    Status.NON_MEMBER: {Status.APPLICANT},
    Status.APPLICANT: {Status.ACTIVIST, Status.NON_MEMBER},
    Status.ACTIVIST: {Status.CANDIDATE, Status.NON_MEMBER},
    Status.CANDIDATE: {Status.PROBATIONARY, Status.ACTIVIST, Status.NON_MEMBER},
    Status.PROBATIONARY: {Status.FULL, Status.CANCELLED, Status.TRANSFERRED_OUT, Status.DECEASED, Status.ABROAD},
    Status.FULL: {Status.SUSPENDED, Status.REMOVED, Status.EXPELLED, Status.TRANSFERRED_OUT, Status.DECEASED,
                  Status.LAPSED, Status.ABROAD},
    Status.SUSPENDED: {Status.FULL, Status.REMOVED, Status.DECEASED, Status.EXPELLED},
    # Back from abroad: `person_return_from_abroad` restores the status held before leaving (never through
    # person_change_status, which would reset the 入党/转正 dates).
    Status.ABROAD: {Status.SUSPENDED, Status.REMOVED, Status.EXPELLED, Status.DECEASED},
    Status.CANCELLED: {Status.NON_MEMBER},
    Status.REMOVED: set(),
    Status.EXPELLED: set(),
    Status.TRANSFERRED_OUT: set(),
    Status.DECEASED: set(),
    Status.LAPSED: set(),
}
EVIDENCE_REQUIRED = {Status.PROBATIONARY, Status.FULL, Status.SUSPENDED, Status.CANCELLED, Status.REMOVED,
                     Status.EXPELLED, Status.LAPSED, Status.ABROAD}


def _require_write(actor, org):
    if actor is not None and not scoping.can_write(actor, org):
        raise ValidationError({"org": "您无权在该组织中维护人员。"})


def _check_org(org):
    if org.is_dissolved:
        raise ValidationError({"org": "该组织已撤销。"})
    if org.kind == OrgKind.GROUP:
        raise ValidationError({"org": "组织关系应在党支部（或党总支、党委），党小组请在“党小组”一栏选择。"})


def _check_group(group, org):
    if group is None:
        return
    if group.kind != OrgKind.GROUP or group.depth != org.depth + 1 or not group.path.startswith(org.path):
        raise ValidationError({"group": "党小组必须是所在党支部下的党小组。"})


def phone_error(phone):
    """The reason a phone number is unacceptable, or None (blank is allowed)."""
    phone = (phone or "").strip()
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        return "手机号应为7至15位数字。"
    return None


def _apply_phone(person, phone):
    error = phone_error(phone)
    if error:
        raise ValidationError({"phone": error})
    person.set_phone((phone or "").strip())


def id_number_error(id_number, birth_date=None):
    """The reason a (normalised) ID number is unacceptable for this birth date, or None."""
    error = idnumber.validate(id_number)
    if error:
        return error
    if birth_date and idnumber.birth_date(id_number) != birth_date:
        return "身份证号中的出生日期与填写的出生日期不一致"
    return None


def _apply_id_number(person, id_number):
    id_number = idnumber.normalise(id_number)
    if not id_number:
        person.set_id_number("")
        return
    error = id_number_error(id_number, person.birth_date)
    if error:
        raise ValidationError({"id_number": error})
    person.set_id_number(id_number)
    # Every known key's index: rows a key rotation has not reached yet still clash.
    clash = (Person.objects.filter(id_number_index__in=crypto.blind_indexes(id_number))
             .exclude(pk=person.pk).exists())
    if clash:
        raise ValidationError({"id_number": ValidationError("该身份证号已登记在其他人员名下。", code="conflict")})


def date_errors(person, today=None):
    """Every date rule a person's record breaks, as {field: message} (empty when all is well)."""
    today = today or date.today()
    errors = {}
    if person.birth_date and person.birth_date > today:
        errors["birth_date"] = "出生日期不能晚于今天。"
    elif person.birth_date and person.birth_date.year < 1900:
        errors["birth_date"] = "出生日期无效。"
    for field in ("applied_on", "joined_on", "full_member_on"):
        value = getattr(person, field)
        if value and person.birth_date and value <= person.birth_date:
            errors[field] = "日期不能早于出生日期。"
        elif value and value > today:
            errors[field] = "日期不能晚于今天。"
    if (person.joined_on and person.full_member_on and person.full_member_on < person.joined_on
            and "full_member_on" not in errors):
        errors["full_member_on"] = "转正日期不能早于入党日期。"
    if person.status == Status.FULL and not person.joined_on:
        errors.setdefault("joined_on", "正式党员须填写入党日期。")
    if person.status == Status.PROBATIONARY and not person.joined_on:
        errors.setdefault("joined_on", "预备党员须填写入党日期（支部大会通过日期）。")
    return errors


def _validate_dates(person):
    errors = date_errors(person)
    if errors:
        raise ValidationError(errors)


def default_status_since(status, applied_on, joined_on, full_member_on, today=None):
    """When the current status began, if not given: 转正 for 正式党员, 入党 for 预备党员, 申请 for 申请人."""
    if status == Status.FULL and (full_member_on or joined_on):
        return full_member_on or joined_on
    if status == Status.PROBATIONARY and joined_on:
        return joined_on
    if status == Status.APPLICANT and applied_on:
        return applied_on
    return today or date.today()


@transaction.atomic
def person_create(*, actor, org, name, gender, birth_date, status, id_number="", phone="", group=None,
                  status_since=None, applied_on=None, joined_on=None, full_member_on=None, **fields):
    _require_write(actor, org)
    _check_org(org)
    _check_group(group, org)
    person = Person(org=org, group=group, name=(name or "").strip(), gender=gender, birth_date=birth_date,
                    status=status, status_since=status_since or default_status_since(
                        status, applied_on, joined_on, full_member_on), applied_on=applied_on,
                    joined_on=joined_on, full_member_on=full_member_on,
                    **{k: v for k, v in fields.items() if k in PLAIN_FIELDS})
    _apply_id_number(person, id_number)
    _apply_phone(person, phone)
    _validate_dates(person)
    person.full_clean(exclude=["id_number_index", "user"])
    person.save()
    OrgMembership.objects.create(person=person, org=org, started_on=person.status_since)
    StatusEvent.objects.create(person=person, status=status, effective_on=person.status_since,
                               note="建档", actor=actor)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=person, changes={"after": person.snapshot()})
    return person


@transaction.atomic
def person_update(*, actor, person, id_number=None, phone=None, **fields):
    """Edit a person's record (not status nor organisation: those have their own actions)."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org", "group").get(pk=person.pk)
    _require_write(actor, person.org)
    before = person.snapshot()
    changed = []
    for key, value in fields.items():
        if key not in PLAIN_FIELDS and key not in ("applied_on", "joined_on", "full_member_on"):
            raise ValidationError(f"字段 {key} 不能在此修改。")
        if key == "name":
            value = (value or "").strip()
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    if "group" in changed:
        _check_group(person.group, person.org)
    if id_number is not None and (not person.id_number_cipher or idnumber.normalise(id_number) != person.get_id_number()):
        _apply_id_number(person, id_number)
        changed += ["id_number_cipher", "id_number_index", "id_number_masked"]
    elif "birth_date" in changed and person.id_number_cipher:
        _apply_id_number(person, person.get_id_number())
    if phone is not None and phone.strip() != (person.get_phone() if person.phone_cipher else ""):
        _apply_phone(person, phone)
        changed += ["phone_cipher", "phone_masked"]
    if not changed:
        return person
    _validate_dates(person)
    person.full_clean(exclude=["id_number_index", "user"])
    person.save(update_fields=[*changed, "updated_at"])
    change = audit.diff(before, person.snapshot())
    PersonChange.objects.create(person=person, actor=actor if actor and actor.is_authenticated else None, **change)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=person, changes=change)
    return person


@transaction.atomic
def person_change_status(*, actor, person, status, effective_on, decided_by="", decision_date=None,
                         approval_no="", note=""):
    """Record a change of party status with its evidence."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    current = Status(person.status)
    status = Status(status)
    if status not in TRANSITIONS[current]:
        raise ValidationError({"status": f"不能从“{current.label}”直接变更为“{status.label}”。"})
    if effective_on > date.today():
        raise ValidationError({"effective_on": "生效日期不能晚于今天。"})
    if person.status_since and effective_on < person.status_since:
        raise ValidationError({"effective_on": f"生效日期不能早于当前状态的生效日期（{person.status_since}）。"})
    if status in EVIDENCE_REQUIRED and not (decided_by.strip() and decision_date):
        raise ValidationError({"decided_by": "该变更须填写决定机关或会议及决定日期。"})
    if decision_date and decision_date > effective_on and status != Status.FULL:
        raise ValidationError({"decision_date": "决定日期不能晚于生效日期。"})
    before = person.snapshot()
    fields = ["status", "status_since", "updated_at"]
    if status == Status.APPLICANT and not person.applied_on:
        person.applied_on = effective_on
        fields.append("applied_on")
    if status == Status.PROBATIONARY:
        person.joined_on = effective_on
        fields.append("joined_on")
    if status == Status.FULL and current == Status.PROBATIONARY:
        person.full_member_on = effective_on
        fields.append("full_member_on")
    person.status = status
    person.status_since = effective_on
    person.save(update_fields=fields)
    if status in ENDED_STATUSES:
        OrgMembership.objects.filter(person=person, ended_on__isnull=True).update(ended_on=effective_on)
    StatusEvent.objects.create(person=person, status=status, previous_status=current, effective_on=effective_on,
                               decided_by=decided_by.strip(), decision_date=decision_date,
                               approval_no=approval_no.strip(), note=note.strip(), actor=actor)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=person,
                 changes={**audit.diff(before, person.snapshot()), "evidence": {
                     "decided_by": decided_by, "decision_date": decision_date, "approval_no": approval_no}})
    return person


@transaction.atomic
def person_move(*, actor, person, new_org, effective_on, note=""):
    """Move a person's 组织关系 to another organisation inside the actor's scope (one action, nothing lost)."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    return _relocate(actor, person, new_org, effective_on, note)


@transaction.atomic
def person_transfer_move(*, actor, person, new_org, effective_on, note=""):
    """The receiving side of an accepted 组织关系转接 (dangjian.transfers): the actor writes the receiving
    organisation; the sending organisation's consent is the transfer record itself (its introduction letter).
    Same effect as person_move: the open OrgMembership row closes and a new one opens on `effective_on`."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    if person.status in ENDED_STATUSES:
        raise ValidationError({"status": f"该人员状态为“{person.get_status_display()}”，不能转接组织关系。"})
    return _relocate(actor, person, new_org, effective_on, note)


def last_status_date(person):
    """The latest date the person's status history knows (the current status's date or the latest event)."""
    latest = person.status_events.order_by("-effective_on").values_list("effective_on", flat=True).first()
    dates = [d for d in (latest, person.status_since) if d]
    return max(dates) if dates else None


def _relocate(actor, person, new_org, effective_on, note):
    _require_write(actor, new_org)
    _check_org(new_org)
    if new_org.pk == person.org_id:
        raise ValidationError({"org": "新组织与原组织相同。"})
    open_row = OrgMembership.objects.filter(person=person, ended_on__isnull=True).first()
    if open_row and effective_on < open_row.started_on:
        raise ValidationError({"effective_on": "转接日期不能早于进入原组织的日期。"})
    before = person.snapshot()
    if open_row:
        open_row.ended_on = effective_on
        open_row.save(update_fields=["ended_on"])
    OrgMembership.objects.create(person=person, org=new_org, started_on=effective_on)
    person.org = new_org
    person.group = None
    person.save(update_fields=["org", "group", "updated_at"])
    change = audit.diff(before, person.snapshot())
    PersonChange.objects.create(person=person, actor=actor if actor and actor.is_authenticated else None, **change)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=person, changes={**change, "note": note})
    return person


@transaction.atomic
def person_return_from_abroad(*, actor, person, effective_on, decided_by="", decision_date=None, approval_no="",
                              note=""):
    """出国（境）保留党籍 ends: the person takes up 组织生活 again with the status held before leaving
    (预备党员 or 正式党员; the 入党 and 转正 dates are kept)."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    if person.status != Status.ABROAD:
        raise ValidationError({"status": "该党员不是出国（境）保留党籍状态。"})
    if effective_on > date.today():
        raise ValidationError({"effective_on": "生效日期不能晚于今天。"})
    if person.status_since and effective_on < person.status_since:
        raise ValidationError({"effective_on": f"生效日期不能早于当前状态的生效日期（{person.status_since}）。"})
    left = person.status_events.filter(status=Status.ABROAD).order_by("-effective_on", "-id").first()
    restored = Status(left.previous_status) if left and left.previous_status in PARTY_MEMBER_STATUSES else (
        Status.FULL if person.full_member_on else Status.PROBATIONARY)
    before = person.snapshot()
    person.status, person.status_since = restored, effective_on
    person.save(update_fields=["status", "status_since", "updated_at"])
    StatusEvent.objects.create(person=person, status=restored, previous_status=Status.ABROAD, effective_on=effective_on,
                               decided_by=decided_by.strip(), decision_date=decision_date,
                               approval_no=approval_no.strip(), note=(note.strip() or "回国（境）恢复组织生活")[:300],
                               actor=actor)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=person,
                 changes={**audit.diff(before, person.snapshot()), "note": "回国（境）恢复组织生活"})
    return person


def person_unmask(*, actor, person):
    """Return the full ID number and phone, recording who looked (the audit row never holds them)."""
    if not scoping.can_unmask(actor, person.org):
        raise ValidationError("您无权查看完整证件号。")
    audit.record(actor=actor, event=audit.Event.UNMASK, obj=person,
                 changes={"fields": ["id_number", "phone"]})
    return {"id_number": person.get_id_number() if person.id_number_cipher else "",
            "phone": person.get_phone() if person.phone_cipher else ""}
