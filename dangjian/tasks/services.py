"""Writes of the tasks app. Every function validates (Chinese messages, nothing changed on bad input), checks
the write right on the organisation concerned, and audits in the same transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scoping, uploads
from dangjian.members.services import phone_error

from . import selectors
from .models import Instructor, Pledge, Receipt, ReceiptFile, Task

MAX_FILES = 10
TASK_FIELDS = ["title", "body", "due_on"]


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _require(actor, org, message):
    """`actor=None` is the command line (demo, imports): no role to check."""
    if actor is not None and not scoping.can_write(actor, org):
        raise PermissionDenied(message)


def _check(upload, field, errors):
    """(content_type, ext) of an acceptable upload, else the message goes into `errors`."""
    if upload is None:
        return None
    try:
        return uploads.check_upload(upload, field=field)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _attach(instance, field, upload, checked, *, name_field, type_field):
    """Store a checked upload on `instance` (call only once validation has passed)."""
    content_type, ext = checked
    setattr(instance, name_field, uploads.display_name(upload, ext))
    setattr(instance, type_field, content_type)
    stored = uploads.stored_file(upload, ext)
    getattr(instance, field).save(stored.name, stored, save=False)


# --- tasks ---------------------------------------------------------------------------------------------------

def task_snapshot(task):
    return {"title": task.title, "body": task.body, "due_on": task.due_on.isoformat() if task.due_on else None,
            "status": task.get_status_display()}


def _validate_task(task, today, *, issuing):
    errors = {}
    if not task.title.strip():
        errors["title"] = "请填写任务名称。"
    if task.due_on is None:
        errors["due_on"] = "请填写完成期限。"
    elif issuing and task.due_on < today:
        errors["due_on"] = "完成期限不能早于今天。"
    elif task.due_on < task.issued_on:
        errors["due_on"] = f"完成期限不能早于下达日期（{task.issued_on:%Y-%m-%d}）。"
    return errors


@transaction.atomic
def task_issue(*, actor, org, title, due_on, receivers, body="", explicit=(), upload=None, today=None):
    """Issue a task from `org` to the organisations chosen by `receivers` (a Task.Receivers value; for
    "explicit", the organisation ids in `explicit`): one receipt per receiving organisation, now."""
    _require(actor, org, "您没有以该组织名义下达任务的权限")
    today = today or timezone.localdate()
    task = Task(org=org, title=(title or "").strip(), body=(body or "").strip(), due_on=due_on, issued_on=today,
                receivers=receivers, created_by=_user(actor))
    errors = _validate_task(task, today, issuing=True)
    if org.dissolved_on is not None:
        errors["org"] = "已撤销的组织不能下达任务。"
    if receivers not in Task.Receivers.values:
        errors["receivers"] = "请选择接收范围。"
        chosen = []
    else:
        chosen = selectors.receivers_for(org, receivers, explicit)
        if receivers == Task.Receivers.EXPLICIT and len(chosen) != len(set(explicit)):
            errors["explicit"] = "所选组织须是本组织的下级组织，且未撤销。"
        elif not chosen:
            errors["receivers" if receivers != Task.Receivers.EXPLICIT else "explicit"] = "没有符合条件的接收组织。"
    checked = _check(upload, "attachment", errors)
    if errors:
        raise ValidationError(errors)
    if checked:
        _attach(task, "attachment", upload, checked, name_field="attachment_name", type_field="attachment_type")
    task.save()
    Receipt.objects.bulk_create([Receipt(task=task, org=o) for o in chosen])
    audit.record(actor=actor, event=audit.Event.CREATE, obj=task,
                 changes={"after": task_snapshot(task), "org": org.name, "receivers": [o.name for o in chosen]})
    return task


def _locked(model, obj):
    return model.objects.select_for_update(of=("self",)).select_related("org").get(pk=obj.pk)


@transaction.atomic
def task_update(*, actor, task, **fields):
    """Edit the title, requirements or due date; the receipts' states follow the new due date."""
    task = _locked(Task, task)
    _require(actor, task.org, "您没有修改该任务的权限")
    if task.status == Task.Status.WITHDRAWN:
        raise ValidationError("任务已撤回，不能修改。")
    before = task_snapshot(task)
    for key, value in fields.items():
        if key not in TASK_FIELDS:
            raise TypeError(key)
        setattr(task, key, value.strip() if isinstance(value, str) else value)
    errors = _validate_task(task, timezone.localdate(), issuing=False)
    if errors:
        raise ValidationError(errors)
    task.save()
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=task, changes=audit.diff(before, task_snapshot(task)))
    return task


@transaction.atomic
def task_withdraw(*, actor, task, reason=""):
    task = _locked(Task, task)
    _require(actor, task.org, "您没有撤回该任务的权限")
    if task.status == Task.Status.WITHDRAWN:
        raise ValidationError("任务已撤回。")
    before = task_snapshot(task)
    task.status = Task.Status.WITHDRAWN
    task.withdrawn_on = timezone.localdate()
    task.withdraw_reason = (reason or "").strip()[:200]
    task.save(update_fields=["status", "withdrawn_on", "withdraw_reason", "updated_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=task,
                 changes={**audit.diff(before, task_snapshot(task)), "note": "撤回任务", "reason": task.withdraw_reason,
                          "open_receipts": task.receipts.filter(done_on__isnull=True).count()})
    return task


# --- receipts ------------------------------------------------------------------------------------------------

@transaction.atomic
def receipt_answer(*, actor, receipt, answer, files=(), today=None):
    """A receiver answers (text, optional files) and the receipt is done; answering again updates the text and
    adds files, keeping the first completion date."""
    receipt = Receipt.objects.select_for_update(of=("self",)).select_related("org", "task").get(pk=receipt.pk)
    _require(actor, receipt.org, "您没有代表该组织反馈任务的权限")
    if receipt.task.status == Task.Status.WITHDRAWN:
        raise ValidationError("任务已撤回，无需反馈。")
    answer = (answer or "").strip()
    errors = {}
    if not answer:
        errors["answer"] = "请填写完成情况。"
    files = list(files or [])
    if len(files) + receipt.files.count() > MAX_FILES:
        errors["files"] = f"每个任务最多上传 {MAX_FILES} 个附件。"
    checked = [(upload, _check(upload, "files", errors)) for upload in files]
    if errors:
        raise ValidationError(errors)
    before = {"answer": receipt.answer, "done_on": receipt.done_on.isoformat() if receipt.done_on else None}
    receipt.answer = answer
    receipt.done_on = receipt.done_on or today or timezone.localdate()
    receipt.answered_by = _user(actor)
    receipt.answered_at = timezone.now()
    receipt.save()
    for upload, (content_type, ext) in checked:
        row = ReceiptFile(receipt=receipt, original_name=uploads.display_name(upload, ext),
                          content_type=content_type, size=upload.size, uploaded_by=_user(actor))
        stored = uploads.stored_file(upload, ext)
        row.file.save(stored.name, stored, save=False)
        row.save()
    after = {"answer": receipt.answer, "done_on": receipt.done_on.isoformat()}
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=receipt, object_repr=f"任务反馈：{receipt}",
                 changes={**audit.diff(before, after), "files": [f.name for f, _ in checked]})
    return receipt


# --- pledges (党建目标责任书) -------------------------------------------------------------------------------------

def _pledge_snapshot(p):
    return {"org": p.org.name, "year": p.year, "signed_on": p.signed_on.isoformat() if p.signed_on else None,
            "signers": p.signers, "file": p.file_name}


@transaction.atomic
def pledge_save(*, actor, org, year, signed_on, signers, upload=None, pledge=None):
    """Record (or, with `pledge`, correct) an organisation's 目标责任书 for a year. The file (PDF or image) is
    required the first time."""
    if pledge is not None:
        pledge = _locked(Pledge, pledge)
        _require(actor, pledge.org, "您没有修改该目标责任书的权限")
    _require(actor, org, "您没有为该组织登记目标责任书的权限")
    today = timezone.localdate()
    errors = {}
    if year is None or not 2000 <= year <= today.year + 1:
        errors["year"] = f"年度应在2000年至{today.year + 1}年之间。"
    if signed_on is None or signed_on > today:
        errors["signed_on"] = "签订日期不能晚于今天。"
    elif year and abs(signed_on.year - year) > 1:
        errors["signed_on"] = "签订日期应在该年度或前后一年内。"
    if not (signers or "").strip():
        errors["signers"] = "请填写签订人。"
    if upload is None and pledge is None:
        errors["file"] = "请上传责任书文件（PDF 或图片）。"
    if year and Pledge.objects.filter(org=org, year=year).exclude(pk=pledge.pk if pledge else None).exists():
        errors["year"] = ValidationError(f"{org.name}{year}年度已有目标责任书。", code="conflict")
    target = pledge or Pledge(org=org, created_by=_user(actor))
    checked = _check(upload, "file", errors)
    if errors:
        raise ValidationError(errors)
    if checked:
        _attach(target, "file", upload, checked, name_field="file_name", type_field="content_type")
    before = _pledge_snapshot(pledge) if pledge else None
    target.org, target.year, target.signed_on, target.signers = org, year, signed_on, signers.strip()
    target.save()
    after = _pledge_snapshot(target)
    audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=target,
                 changes=audit.diff(before, after) if before else {"after": after})
    return target


def _delete(actor, obj, snapshot, message):
    _require(actor, obj.org, message)
    label, pk, text = obj._meta.label_lower, obj.pk, str(obj)
    obj.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=label, object_id=str(pk), object_repr=text,
                 changes={"before": snapshot})


@transaction.atomic
def pledge_delete(*, actor, pledge):
    pledge = _locked(Pledge, pledge)
    name, storage = pledge.file.name, pledge.file.storage
    _delete(actor, pledge, _pledge_snapshot(pledge), "您没有删除该目标责任书的权限")
    if not Pledge.objects.filter(file=name).exists():  # the demo's pledges share one sample file
        transaction.on_commit(lambda: storage.delete(name))


# --- instructors (党建指导员) ------------------------------------------------------------------------------------

INSTRUCTOR_FIELDS = ["org", "person", "name", "unit", "started_on", "ended_on"]


def _instructor_snapshot(i):
    return {"org": i.org.name, "person": i.person.name if i.person else None, "name": i.name, "unit": i.unit,
            "started_on": i.started_on.isoformat() if i.started_on else None,
            "ended_on": i.ended_on.isoformat() if i.ended_on else None, "phone": i.phone_masked}


def _validate_instructor(actor, i, phone):
    errors = {}
    if actor is not None and not selectors.school_orgs(actor, write=True).filter(pk=i.org_id).exists():
        errors["org"] = "请选择您管理范围内的学校党组织。"
    if i.person is not None:
        i.name = i.person.name
    if not i.name.strip():
        errors["name"] = "请填写姓名或选择党员档案。"
    if not i.unit.strip():
        errors["unit"] = "请填写工作单位。"
    if i.started_on is None:
        errors["started_on"] = "请填写起始日期。"
    elif i.ended_on is not None and i.ended_on < i.started_on:
        errors["ended_on"] = "结束日期不能早于起始日期。"
    if phone_error(phone):
        errors["phone"] = phone_error(phone)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def instructor_save(*, actor, instructor=None, phone=None, **fields):
    """Assign (or, with `instructor`, edit) a 党建指导员. `phone=None` keeps the stored number."""
    if instructor is not None:
        instructor = _locked(Instructor, instructor)
        _require(actor, instructor.org, "您没有修改该党建指导员的权限")
    target = instructor or Instructor()
    before = _instructor_snapshot(instructor) if instructor else None
    for key, value in fields.items():
        if key not in INSTRUCTOR_FIELDS:
            raise TypeError(key)
        setattr(target, key, value.strip() if isinstance(value, str) else value)
    if target.org_id is None:
        raise ValidationError({"org": "请选择学校党组织。"})
    _require(actor, target.org, "您没有为该组织登记党建指导员的权限")
    _validate_instructor(actor, target, phone)
    if phone is not None:
        target.set_phone(phone)
    target.save()
    after = _instructor_snapshot(target)
    audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=target,
                 changes=audit.diff(before, after) if before else {"after": after})
    return target


@transaction.atomic
def instructor_delete(*, actor, instructor):
    instructor = _locked(Instructor, instructor)
    _delete(actor, instructor, _instructor_snapshot(instructor), "您没有删除该党建指导员的权限")
