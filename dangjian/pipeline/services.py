"""Writes to 发展党员 files. Each validates, writes, changes the person's status through the members service
where a step decides it, and records the audit row in the same transaction.

A step that breaks a time rule (rules.py) raises `RuleBlocked` unless the caller overrides it with a reason;
the override, its reason and the rules it broke are stored on the step and in the audit trail. Some things are
never overridable: the order of the steps, dates before the previous step or in the future, a vote that did
not pass, an approval beyond the maximum (6 months), an extension outside 6–12 months or a second one.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.compliance.engine import Rulebook
from dangjian.core import audit, scoping, uploads
from dangjian.life.models import Meeting
from dangjian.members import services as member_services
from dangjian.members.models import Person, Status

from . import logic
from . import rules as R
from .models import DevelopmentFile, DevelopmentStep, StepAttachment
from .steps import APPROVAL_STEPS, BY_NUMBER, REVIEW, allowed_numbers, next_number

STEP_FIELDS = ["talker", "talker_name", "contact_1", "contact_2", "sponsor_1", "sponsor_2", "meeting", "vote",
               "conclusion", "training_days", "training_hours", "publicity_start", "publicity_end", "approval_no",
               "approval_date", "note"]


class RuleBlocked(ValidationError):
    """The step breaks one or more rules; it may be saved only with an override and a reason."""

    def __init__(self, violations, extra=None):
        self.violations = violations
        messages = [v.text for v in violations] + list(extra or [])
        super().__init__(messages)


def _require_write(actor, org):
    if actor is not None and not scoping.can_write(actor, org):
        raise ValidationError("您无权维护该组织的发展党员工作。")


def _settings(org):
    return logic.Settings(Rulebook([org]), org)


def _apply_override(violations, override, reason):
    """Return (overridden, reason, rule ids) or raise RuleBlocked."""
    reason = (reason or "").strip()
    if not violations:
        return False, "", []
    if not override:
        raise RuleBlocked(violations)
    if not reason:
        raise RuleBlocked(violations, ["勾选“违反规则仍保存”时须填写原因。"])
    return True, reason[:300], [v.rule.id for v in violations]


def _step_changes(step):
    out = {"number": step.number, "name": BY_NUMBER[step.number].name, "date": step.date}
    for name in STEP_FIELDS:
        value = getattr(step, name)
        if value not in (None, ""):
            out[name] = str(value)
    if step.overridden:
        out["override"] = {"reason": step.override_reason, "rules": step.override_rules}
    return out


@transaction.atomic
def file_open(*, actor, person, applied_on, override=False, override_reason="", note=""):
    """Open a person's 发展党员 file with step ① (递交入党申请书). A 群众 becomes 入党申请人."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    if person.status not in (Status.NON_MEMBER, Status.APPLICANT):
        raise ValidationError({"person": f"只能为群众或入党申请人建立发展党员档案（{person.name}目前为"
                                         f"{person.get_status_display()}）。"})
    if DevelopmentFile.objects.filter(person=person, state=DevelopmentFile.State.OPEN).exists():
        raise ValidationError({"person": ValidationError(f"{person.name}已有进行中的发展党员档案。", code="conflict")})
    if applied_on is None:
        raise ValidationError({"applied_on": "请填写递交入党申请书日期。"})
    if applied_on > timezone.localdate():
        raise ValidationError({"applied_on": "递交入党申请书日期不能晚于今天。"})
    file = DevelopmentFile(person=person, org=person.org, applied_on=applied_on, created_by=actor)
    found = logic.violations(file, [], 1, {"date": applied_on}, _settings(person.org))
    overridden, reason, broken = _apply_override(found, override, override_reason)
    file.save()
    step = DevelopmentStep.objects.create(file=file, number=1, date=applied_on, note=(note or "").strip()[:500],
                                          overridden=overridden, override_reason=reason, override_rules=broken,
                                          recorded_by=actor)
    if person.status == Status.NON_MEMBER:
        member_services.person_change_status(actor=actor, person=person, status=Status.APPLICANT,
                                             effective_on=applied_on, note="递交入党申请书")
    audit.record(actor=actor, event=audit.Event.CREATE, obj=file,
                 changes={"person": person.name, "org": person.org.name, "step": _step_changes(step)})
    return file


def _lock_file(file):
    return (DevelopmentFile.objects.select_for_update(of=("self",))
            .select_related("person", "org").get(pk=file.pk))


def _load_steps(file):
    return list(DevelopmentStep.objects.filter(file=file).select_related("vote", "meeting")
                .order_by("date", "number", "id"))


def _hard_checks(file, steps, number, data, settings):
    errors = {}
    done = {s.number for s in steps}
    if number not in BY_NUMBER:
        raise ValidationError({"number": "请选择要登记的步骤。"})
    spec = BY_NUMBER[number]
    if number not in allowed_numbers(done):
        if number in done and number != REVIEW:
            raise ValidationError({"number": f"第{number}步“{spec.name}”已登记。"})
        nxt = next_number(done)
        raise ValidationError({"number": f"须按顺序登记：下一步是第{nxt}步“{BY_NUMBER[nxt].name}”，"
                                         f"不能登记第{number}步“{spec.name}”。"})
    when = data.get("date")
    if when is None:
        raise ValidationError({"date": "请填写日期。"})
    if when > timezone.localdate():
        errors["date"] = "日期不能晚于今天。"
    last = max(steps, key=lambda s: (s.date, s.number)) if steps else None
    if last is not None and when < last.date:
        errors["date"] = f"日期不能早于上一步骤（第{last.number}步“{BY_NUMBER[last.number].name}”，{last.date:%Y-%m-%d}）。"
    if number in (2, 16) and data.get("talker") is None and not (data.get("talker_name") or "").strip():
        errors["talker"] = "请选择谈话人或填写系统外谈话人姓名。"
    if number == 5 and data.get("contact_1") is None:
        errors["contact_1"] = "请选择培养联系人。"
    if number == 9:
        one, two = data.get("sponsor_1"), data.get("sponsor_2")
        if one is None or two is None:
            errors["sponsor_2" if one else "sponsor_1"] = "须确定两名入党介绍人。"
        elif one.pk == two.pk:
            errors["sponsor_2"] = "两名入党介绍人不能是同一人。"
    people = [data.get(k) for k in ("talker", "contact_1", "contact_2", "sponsor_1", "sponsor_2")]
    if any(p is not None and p.pk == file.person_id for p in people):
        errors["__all__"] = "本人不能作为谈话人、培养联系人或入党介绍人。"
    if data.get("contact_1") and data.get("contact_2") and data["contact_1"].pk == data["contact_2"].pk:
        errors["contact_2"] = "两名培养联系人不能是同一人。"
    if number == 10 and not (data.get("conclusion") or "").strip():
        errors["conclusion"] = "政治审查须有书面结论。"
    if number == 11 and not (data.get("training_days") or data.get("training_hours")):
        errors["training_days"] = "请填写培训天数或学时。"
    start, end = data.get("publicity_start"), data.get("publicity_end")
    if bool(start) != bool(end):
        errors["publicity_end"] = "请同时填写公示开始和结束日期。"
    elif start and end < start:
        errors["publicity_end"] = "公示结束日期不能早于开始日期。"
    if number in APPROVAL_STEPS and not (data.get("approval_no") or "").strip():
        errors["approval_no"] = "请填写备案或批复文号。"
    meeting, vote = data.get("meeting"), data.get("vote")
    if meeting is not None:
        paths = (meeting.org.path, file.org.path)
        if not (paths[0].startswith(paths[1]) or paths[1].startswith(paths[0])):
            errors["meeting"] = "决定会议须为本组织、其下级或上级党组织的会议。"
        elif meeting.status != Meeting.Status.HELD:
            errors["meeting"] = "决定会议须为已召开的会议。"
        elif meeting.date != when:
            errors["meeting"] = f"步骤日期应与会议日期（{meeting.date:%Y-%m-%d}）一致。"
    if vote is not None:
        if meeting is None or vote.meeting_id != meeting.pk:
            errors["vote"] = "表决须属于所选的决定会议。"
        elif spec.vote_kind and vote.kind != spec.vote_kind:
            errors["vote"] = f"须为“{vote.Kind(spec.vote_kind).label}”的表决。"
        elif vote.subject_person_id and vote.subject_person_id != file.person_id:
            errors["vote"] = "该表决涉及的不是本人。"
        elif not vote.passed:
            errors["vote"] = "该表决未通过（" + (vote.rule_note or "未达到规定票数") + "），不能据此登记。"
    if number == 17 and when is not None:
        limit = logic.approval_hard_limit(steps, settings)
        if limit is not None and when > limit:
            errors["date"] = (f"支部大会决议后超过{(settings.get(R.APPROVAL) or R.APPROVAL.params)['max_months']}个月"
                              f"（{limit:%Y-%m-%d} 后）不能审批，须重新履行程序。")
    if errors:
        raise ValidationError(errors)


def _change_status(actor, file, steps, step):
    person = file.person
    status = person.status
    if step.number == 3 and status == Status.APPLICANT:
        member_services.person_change_status(actor=actor, person=person, status=Status.ACTIVIST,
                                             effective_on=step.date, decided_by="支部委员会", decision_date=step.date,
                                             note="确定为入党积极分子")
    elif step.number == 7 and status == Status.ACTIVIST:
        member_services.person_change_status(actor=actor, person=person, status=Status.CANDIDATE,
                                             effective_on=step.date, decided_by="支部委员会", decision_date=step.date,
                                             note="确定为发展对象")
    elif step.number == 17 and status == Status.CANDIDATE:
        assembly = logic.first(steps, 15)
        member_services.person_change_status(actor=actor, person=person, status=Status.PROBATIONARY,
                                             effective_on=assembly.date, decided_by="支部大会",
                                             decision_date=assembly.date, approval_no=step.approval_no,
                                             note=f"上级党委{step.date:%Y-%m-%d}审批")
    elif step.number == 24 and status == Status.PROBATIONARY:
        member_services.person_change_status(actor=actor, person=person, status=Status.FULL,
                                             effective_on=logic.probation_end_of(file, steps), decided_by="上级党委审批",
                                             decision_date=step.date, approval_no=step.approval_no,
                                             note="预备期满转为正式党员")


@transaction.atomic
def step_record(*, actor, file, number, date, override=False, override_reason="", **data):
    """Record the next step of a file (or another 培养教育考察) with its evidence."""
    file = _lock_file(file)
    _require_write(actor, file.org)
    if file.state != DevelopmentFile.State.OPEN:
        raise ValidationError(f"该档案{file.get_state_display()}，不能再登记步骤。")
    unknown = set(data) - set(STEP_FIELDS)
    if unknown:
        raise ValidationError(f"未知字段：{'、'.join(sorted(unknown))}")
    steps = _load_steps(file)
    settings = _settings(file.org)
    data = {**data, "date": date}
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ValidationError({"number": "请选择要登记的步骤。"}) from None
    _hard_checks(file, steps, number, data, settings)
    found = logic.violations(file, steps, number, data, settings)
    overridden, reason, broken = _apply_override(found, override, override_reason)
    values = {k: data.get(k) for k in STEP_FIELDS if k in data}
    for text in ("talker_name", "conclusion", "approval_no", "note"):
        if text in values:
            values[text] = (values[text] or "").strip()
    if number in APPROVAL_STEPS and not values.get("approval_date"):
        values["approval_date"] = date
    step = DevelopmentStep.objects.create(file=file, number=number, date=date, overridden=overridden,
                                          override_reason=reason, override_rules=broken, recorded_by=actor,
                                          **{k: v for k, v in values.items() if v is not None})
    steps.append(step)
    _change_status(actor, file, steps, step)
    if number == 25:
        file.state = DevelopmentFile.State.DONE
        file.save(update_fields=["state"])
    audit.record(actor=actor, event=audit.Event.CREATE, obj=step,
                 object_repr=f"{file.person.name}：第{number}步 {BY_NUMBER[number].name}", changes=_step_changes(step))
    return step


def _probationer(file):
    file = _lock_file(file)
    if file.state != DevelopmentFile.State.OPEN:
        raise ValidationError(f"该档案{file.get_state_display()}。")
    steps = _load_steps(file)
    done = {s.number for s in steps}
    if 17 not in done or file.person.status != Status.PROBATIONARY:
        raise ValidationError("只有预备党员才能延长预备期或取消预备党员资格。")
    return file, steps, done


@transaction.atomic
def file_extend(*, actor, file, decided_on, months, approval_no, note=""):
    """延长预备期 once, by 6–12 months (支部大会 resolution with approval)."""
    file, steps, done = _probationer(file)
    _require_write(actor, file.org)
    errors = {}
    if file.extension_months:
        raise ValidationError(f"预备期已延长过一次（{file.extension_months}个月），只能延长一次（{R.EXTENSION.source}）。")
    if 23 in done:
        raise ValidationError("已讨论转正，不能再延长预备期。")
    low, high = R.EXTENSION_MONTHS
    if months is None or not low <= months <= high:
        errors["months"] = f"延长预备期不少于{low}个月、最长不超过{high}个月（{R.EXTENSION.source}）。"
    if decided_on is None:
        errors["decided_on"] = "请填写决定日期。"
    elif decided_on > timezone.localdate():
        errors["decided_on"] = "决定日期不能晚于今天。"
    elif decided_on < logic.first(steps, 17).date:
        errors["decided_on"] = "决定日期不能早于接收预备党员的审批日期。"
    if not (approval_no or "").strip():
        errors["approval_no"] = "请填写上级党委批复文号。"
    if errors:
        raise ValidationError(errors)
    before = logic.probation_end_of(file, steps)
    file.extension_months, file.extension_decided_on = months, decided_on
    file.extension_approval_no = approval_no.strip()
    file.save(update_fields=["extension_months", "extension_decided_on", "extension_approval_no"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=file,
                 changes={"extension": {"months": months, "decided_on": decided_on, "approval_no": approval_no,
                                        "note": note, "probation_end": {"before": before,
                                                                        "after": logic.probation_end_of(file, steps)}}})
    return file


@transaction.atomic
def file_cancel(*, actor, file, decided_on, reason, approval_no):
    """取消预备党员资格 (支部大会 resolution with approval): the person's status and the file close."""
    file, steps, done = _probationer(file)
    _require_write(actor, file.org)
    errors = {}
    if decided_on is None:
        errors["decided_on"] = "请填写决定日期。"
    elif decided_on > timezone.localdate():
        errors["decided_on"] = "决定日期不能晚于今天。"
    if not (reason or "").strip():
        errors["reason"] = "请填写取消原因。"
    if not (approval_no or "").strip():
        errors["approval_no"] = "请填写上级党委批复文号。"
    if errors:
        raise ValidationError(errors)
    member_services.person_change_status(actor=actor, person=file.person, status=Status.CANCELLED,
                                         effective_on=decided_on, decided_by="支部大会", decision_date=decided_on,
                                         approval_no=approval_no.strip(), note=reason.strip()[:300])
    file.state, file.cancelled_on = DevelopmentFile.State.CANCELLED, decided_on
    file.cancel_reason = reason.strip()[:300]
    file.save(update_fields=["state", "cancelled_on", "cancel_reason"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=file,
                 changes={"cancel": {"decided_on": decided_on, "reason": reason, "approval_no": approval_no}})
    return file


WITHDRAW_DECIDED_BY = {DevelopmentFile.Withdrawal.APPLICANT: "申请人本人", DevelopmentFile.Withdrawal.ORG: "党支部"}


@transaction.atomic
def file_withdraw(*, actor, file, kind, decided_on, reason):
    """Close a file before admission: the applicant withdraws (申请人撤回) or the organisation stops the
    cultivation (组织终止培养). The person's status returns to 群众 through the members service."""
    file = _lock_file(file)
    _require_write(actor, file.org)
    if file.state != DevelopmentFile.State.OPEN:
        raise ValidationError(f"该档案{file.get_state_display()}，不能终止。")
    steps = _load_steps(file)
    if 17 in {s.number for s in steps} or file.person.status not in (Status.APPLICANT, Status.ACTIVIST,
                                                                      Status.CANDIDATE):
        raise ValidationError("已接收为预备党员的，不能撤回或终止培养；请使用“取消预备党员资格”。")
    errors = {}
    if kind not in WITHDRAW_DECIDED_BY:
        errors["kind"] = "请选择终止方式。"
    last = max(steps, key=lambda s: (s.date, s.number))
    if decided_on is None:
        errors["decided_on"] = "请填写日期。"
    elif decided_on > timezone.localdate():
        errors["decided_on"] = "日期不能晚于今天。"
    elif decided_on < last.date:
        errors["decided_on"] = f"日期不能早于上一步骤（第{last.number}步“{BY_NUMBER[last.number].name}”，{last.date:%Y-%m-%d}）。"
    if not (reason or "").strip():
        errors["reason"] = "请填写原因。"
    if errors:
        raise ValidationError(errors)
    kind = DevelopmentFile.Withdrawal(kind)
    reason = reason.strip()[:300]
    try:
        member_services.person_change_status(actor=actor, person=file.person, status=Status.NON_MEMBER,
                                             effective_on=decided_on, decided_by=WITHDRAW_DECIDED_BY[kind],
                                             decision_date=decided_on, note=f"{kind.label}：{reason}"[:300])
    except ValidationError as exc:
        messages = exc.message_dict.get("effective_on") if hasattr(exc, "error_dict") else None
        raise ValidationError({"decided_on": messages}) if messages else exc
    file.state, file.withdraw_kind, file.withdrawn_on, file.withdraw_reason = (
        DevelopmentFile.State.WITHDRAWN, kind, decided_on, reason)
    file.save(update_fields=["state", "withdraw_kind", "withdrawn_on", "withdraw_reason"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=file,
                 changes={"withdraw": {"kind": kind.label, "decided_on": decided_on, "reason": reason,
                                       "status": {"before": file.person.get_status_display(), "after": "群众"}}})
    return file


# --- attachments of a step ---------------------------------------------------------------------------

MAX_ATTACHMENTS = 20   # per recorded step


@transaction.atomic
def step_attachment_add(*, actor, step, upload):
    """Keep a scanned paper (JPEG, PNG or PDF, ≤ 10 MB, judged by its bytes) with a recorded step."""
    file = _lock_file(step.file)
    _require_write(actor, file.org)
    content_type, ext = uploads.check_upload(upload)
    if StepAttachment.objects.filter(step=step).count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": f"每个步骤最多保存{MAX_ATTACHMENTS}个附件。"})
    attachment = StepAttachment(step=step, original_name=uploads.display_name(upload, ext), content_type=content_type,
                                size=upload.size, uploaded_by=actor if actor and actor.is_authenticated else None)
    stored = uploads.stored_file(upload, ext)
    attachment.file.save(stored.name, stored, save=False)
    attachment.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=attachment, object_repr=f"附件：{attachment.original_name}",
                 changes={"file": file.pk, "step": step.number, "step_name": BY_NUMBER[step.number].name,
                          "size": attachment.size, "content_type": content_type})
    return attachment


@transaction.atomic
def step_attachment_remove(*, actor, attachment):
    file = _lock_file(attachment.step.file)
    _require_write(actor, file.org)
    pk, name, stored = attachment.pk, attachment.original_name, attachment.file.name
    storage = attachment.file.storage
    number = attachment.step.number
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(stored))
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="pipeline.stepattachment", object_id=str(pk),
                 object_repr=f"附件：{name}", changes={"file": file.pk, "step": number,
                                                    "step_name": BY_NUMBER[number].name})
