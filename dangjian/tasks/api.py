"""API of the 任务清单: tasks (list, issue, read with the issuer's table, edit, withdraw), receipts (list, read,
answer), 党建目标责任书 (list, record with its file, read, correct, delete) and 党建指导员 (list, assign, read,
edit, delete).

Reads are scoped like the pages (Task.objects.visible_to, Receipt.objects.visible_to, …); writes call
dangjian.tasks.services exactly as the pages do. A task's own attachment and answer files stay in the UI.
"""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text, file_download
from dangjian.core import scoping, uploads
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import Instructor, Pledge, Receipt, Task

router = Router(tags=["任务清单"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TEXT_MAX = 5000


class TaskOut(Schema):
    id: int
    org: Ref
    title: str
    body: str
    issued_on: dt.date
    due_on: dt.date
    receivers: Task.Receivers
    status: Choice(Task.Status)
    status_label: str
    has_attachment: bool


class ReceiptOut(Schema):
    id: int
    task: Ref
    org: Ref
    state: Choice(Receipt.State) = Field(..., description="未完成 open / 已完成 done / 逾期 overdue / 逾期完成 done_late")
    state_label: str
    due_on: dt.date
    done_on: dt.date | None
    answer: str
    files: int = Field(..., description="反馈附件个数")


class Figures(Schema):
    total: int
    done: int
    done_late: int
    open: int
    overdue: int
    rate: int = Field(..., description="完成率（%，含逾期完成）")


class TaskDetailOut(TaskOut):
    figures: Figures | None = Field(None, description="下达组织在您范围内时：各接收组织的完成情况汇总")
    receipts: list[ReceiptOut] = Field(..., description="下达组织在您范围内时为全部接收组织，否则为您范围内的接收组织")


class TaskIn(In):
    org: Id = Field(..., description="下达组织")
    title: Text(200)
    body: Text(TEXT_MAX) = ""
    due_on: dt.date = Field(..., description="完成期限（不早于今天）")
    receivers: Task.Receivers = Field(..., description="branches 下级全部党支部 / children 直接下级 / schools 下级全部学校 / "
                                                       "explicit 指定组织")
    explicit: list[Id] = Field(default_factory=list, max_length=500, description="指定组织的 id（receivers=explicit）")


class AnswerIn(In):
    answer: Text(TEXT_MAX) = Field(..., description="完成情况（不能为空）")


def task_dict(t):
    return {"id": t.pk, "org": ref_dict(t.org), "title": t.title, "body": t.body, "issued_on": t.issued_on,
            "due_on": t.due_on, "receivers": t.receivers, "status": t.status, "status_label": t.get_status_display(),
            "has_attachment": bool(t.attachment)}


def receipt_dict(r, files=None):
    return {"id": r.pk, "task": {"id": r.task.pk, "name": r.task.title}, "org": ref_dict(r.org),
            "state": r.current_state, "state_label": Receipt.State(r.current_state).label, "due_on": r.task.due_on,
            "done_on": r.done_on, "answer": r.answer, "files": r.file_count if files is None else files}


def _receipts(user):
    return selectors.received_for(user).annotate_files()


def _detail(request, task):
    today = timezone.localdate()
    if scoping.can_read(request.user, task.org):
        rows, figures = selectors.issuer_table(task, today)
    else:
        rows, figures = _receipts(request.user).filter(task=task), None
    rows = selectors.with_states(rows, today, task)
    return {**task_dict(task), "figures": figures, "receipts": [receipt_dict(r) for r in rows]}


@router.get("/tasks", response={200: Page[TaskOut], **ERRORS}, summary="任务列表")
def tasks_list(request, paging: Query[Paging]):
    """您范围内下达的任务，以及下达给您范围内组织的任务，按下达日期倒序。"""
    require_party_scope(request)
    qs = Task.objects.visible_to(request.user).select_related("org").order_by("-issued_on", "-id")
    return page(qs, paging, lambda rows: [task_dict(t) for t in rows])


@router.post("/tasks", response={201: TaskDetailOut, **ERRORS}, summary="下达任务")
def tasks_create(request, payload: TaskIn):
    """为每个接收组织生成一条接收记录；完成期限不能早于今天。附件请在页面上传。"""
    require_write_scope(request)
    data = payload.model_dump()
    org = ref(request, Organisation.objects.active(), data.pop("org"), "org", write=True)
    task = services.task_issue(actor=request.user, org=org, **data)
    return Status(201, _detail(request, Task.objects.select_related("org").get(pk=task.pk)))


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, summary="任务详情与完成情况")
def tasks_detail(request, task_id: int):
    return _detail(request, get_object(request, Task.objects.select_related("org"), task_id))


@router.get("/task-receipts", response={200: Page[ReceiptOut], **ERRORS}, summary="收到的任务")
def tasks_receipts_list(request, paging: Query[Paging], state: Choice(Receipt.State) | None = None):
    """您范围内各组织收到的任务（未撤回），未完成的在前。"""
    require_party_scope(request)
    today = timezone.localdate()
    qs = _receipts(request.user).filter(task__status=Task.Status.OPEN).order_by("done_on", "task__due_on", "pk")
    if state is not None:
        qs = qs.filter(selectors.state_filter(state, today))
    return page(qs, paging, lambda rows: [receipt_dict(r) for r in selectors.with_states(rows, today)])


def _receipt(request, receipt_id, *, write=False):
    return get_object(request, _receipts(request.user), receipt_id, write=write)


@router.get("/task-receipts/{receipt_id}", response={200: ReceiptOut, **ERRORS}, summary="接收记录详情")
def tasks_receipt_detail(request, receipt_id: int):
    receipt = _receipt(request, receipt_id)
    return receipt_dict(selectors.with_states([receipt], timezone.localdate())[0])


@router.post("/task-receipts/{receipt_id}/answer", response={200: ReceiptOut, **ERRORS}, summary="反馈完成情况")
def tasks_receipt_answer(request, receipt_id: int, payload: AnswerIn):
    """由接收组织的组织管理员或书记反馈，任务随即标记为已完成（再次反馈会更新文字，保留首次完成日期）。"""
    receipt = _receipt(request, receipt_id, write=True)
    services.receipt_answer(actor=request.user, receipt=receipt, answer=payload.answer)
    return tasks_receipt_detail(request, receipt_id)


# --- editing and withdrawing a task ------------------------------------------------------------------------------


class TaskPatch(In):
    """Only the fields sent change; the receipts' states follow a new due date."""

    title: Text(200) = None
    body: Text(TEXT_MAX) = None
    due_on: dt.date = None


class TaskWithdrawIn(In):
    reason: Text(200) = ""


def _task(request, task_id, *, write=False):
    return get_object(request, Task.objects.select_related("org"), task_id, write=write)


@router.patch("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, summary="修改任务")
def tasks_update(request, task_id: int, payload: TaskPatch):
    """与修改任务页面相同的服务：标题、要求、完成期限；已撤回的任务 422。仅下达组织的管理员、书记；记入审计。"""
    task = _task(request, task_id, write=True)
    services.task_update(actor=request.user, task=task, **payload.model_dump(exclude_unset=True))
    return _detail(request, _task(request, task_id))


@router.post("/tasks/{task_id}/withdraw", response={200: TaskDetailOut, **ERRORS}, summary="撤回任务")
def tasks_withdraw(request, task_id: int, payload: TaskWithdrawIn):
    """撤回后接收组织无需再反馈；已撤回 422。"""
    task = _task(request, task_id, write=True)
    services.task_withdraw(actor=request.user, task=task, reason=payload.reason)
    return _detail(request, _task(request, task_id))


# --- 党建目标责任书 -------------------------------------------------------------------------------------------------


class PledgeOut(Schema):
    id: int
    org: Ref
    year: int
    signed_on: dt.date
    signers: str
    file_name: str
    download: str = Field(..., description="责任书文件下载地址（GET，带令牌）")


class PledgeFilters(Schema):
    org: Id | None = Field(None, description="该组织及其下级")
    year: int | None = Field(None, ge=2000, le=2100)


Year = Annotated[int, Field(ge=1, le=32767, description="年度")]


class PledgePatch(In):
    """Only the fields sent change; the file stays (a new file is uploaded on the page)."""

    org: Id = None
    year: int = Field(None, ge=1, le=32767)
    signed_on: dt.date = None
    signers: Text(200) = None


def pledge_dict(p):
    from django.urls import reverse

    return {"id": p.pk, "org": ref_dict(p.org), "year": p.year, "signed_on": p.signed_on, "signers": p.signers,
            "file_name": p.file_name, "download": reverse("api:tasks_pledges_file", kwargs={"pledge_id": p.pk})}


def _pledge(request, pledge_id, *, write=False):
    return get_object(request, Pledge.objects.select_related("org"), pledge_id, write=write)


@router.get("/task-pledges", response={200: Page[PledgeOut], **ERRORS}, summary="党建目标责任书")
def tasks_pledges_list(request, filters: Query[PledgeFilters], paging: Query[Paging]):
    require_party_scope(request)
    qs = Pledge.objects.visible_to(request.user).select_related("org")
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs = qs.filter(org__path__startswith=org.path)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    return page(qs.order_by("-year", "org__path", "pk"), paging, lambda rows: [pledge_dict(p) for p in rows])


@router.post("/task-pledges", response={201: PledgeOut, **ERRORS}, summary="登记党建目标责任书")
def tasks_pledges_create(request, org: Form[Id], year: Form[Year], signed_on: Form[dt.date],  # type: ignore[valid-type]
                         signers: Form[Text(200)], file: File[UploadedFile]):  # type: ignore[valid-type]
    """multipart/form-data：org、year、signed_on、signers 和 file（责任书文件，PDF 或图片，按内容判断）。与登记页面相同的
    检查；同一组织同一年度已有责任书 409。"""
    require_write_scope(request)
    target = ref(request, Organisation.objects.active(), org, "org", write=True)
    pledge = services.pledge_save(actor=request.user, org=target, year=year, signed_on=signed_on, signers=signers,
                                  upload=file)
    return Status(201, pledge_dict(pledge))


@router.get("/task-pledges/{pledge_id}", response={200: PledgeOut, **ERRORS}, summary="目标责任书详情")
def tasks_pledges_detail(request, pledge_id: int):
    return pledge_dict(_pledge(request, pledge_id))


@router.get("/task-pledges/{pledge_id}/file", summary="下载目标责任书文件", **file_download(ERRORS, "责任书文件"))
def tasks_pledges_file(request, pledge_id: int):
    pledge = _pledge(request, pledge_id)
    return uploads.download_response(pledge.file, pledge.file_name, pledge.content_type)


@router.patch("/task-pledges/{pledge_id}", response={200: PledgeOut, **ERRORS}, summary="修改目标责任书")
def tasks_pledges_update(request, pledge_id: int, payload: PledgePatch):
    pledge = _pledge(request, pledge_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    org = ref(request, Organisation.objects.active(), data["org"], "org", write=True) if "org" in data else pledge.org
    pledge = services.pledge_save(actor=request.user, org=org, year=data.get("year", pledge.year),
                                  signed_on=data.get("signed_on", pledge.signed_on),
                                  signers=data.get("signers", pledge.signers), pledge=pledge)
    return pledge_dict(_pledge(request, pledge.pk))


@router.delete("/task-pledges/{pledge_id}", response={200: DeletedOut, **ERRORS}, summary="删除目标责任书")
def tasks_pledges_delete(request, pledge_id: int):
    services.pledge_delete(actor=request.user, pledge=_pledge(request, pledge_id, write=True))
    return {"id": pledge_id, "deleted": True}


# --- 党建指导员 -----------------------------------------------------------------------------------------------------


class InstructorOut(Schema):
    id: int
    org: Ref
    person: Ref | None
    name: str
    unit: str
    started_on: dt.date
    ended_on: dt.date | None
    phone: str = Field(..., description="联系电话（遮蔽）")


class InstructorIn(In):
    org: Id = Field(..., description="指导的学校党组织")
    person: Id | None = Field(None, description="党员档案（可选，选后姓名取自档案）")
    name: Text(50) = ""
    unit: Text(100)
    started_on: dt.date
    ended_on: dt.date | None = None
    phone: Text(20) = ""


class InstructorPatch(In):
    """Only the fields sent change; `phone` left out keeps the stored number."""

    org: Id = None
    person: Id | None = None
    name: Text(50) = None
    unit: Text(100) = None
    started_on: dt.date = None
    ended_on: dt.date | None = None
    phone: Text(20) = None


def instructor_dict(i):
    return {"id": i.pk, "org": ref_dict(i.org), "person": ref_dict(i.person), "name": i.name, "unit": i.unit,
            "started_on": i.started_on, "ended_on": i.ended_on, "phone": i.phone_masked}


def _instructor(request, instructor_id, *, write=False):
    return get_object(request, selectors.instructors_for(request.user), instructor_id, write=write)


def _instructor_refs(request, data):
    if data.get("org") is not None:
        data["org"] = ref(request, Organisation.objects.active(), data["org"], "org", write=True)
    if data.get("person") is not None:
        data["person"] = ref(request, Person.objects, data["person"], "person")
    return data


@router.get("/task-instructors", response={200: Page[InstructorOut], **ERRORS}, summary="党建指导员")
def tasks_instructors_list(request, paging: Query[Paging]):
    require_party_scope(request)
    return page(selectors.instructors_for(request.user), paging, lambda rows: [instructor_dict(i) for i in rows])


@router.post("/task-instructors", response={201: InstructorOut, **ERRORS}, summary="登记党建指导员")
def tasks_instructors_create(request, payload: InstructorIn):
    """与登记页面相同的服务：学校党组织须在您的维护范围内（否则 422）；电话只保存加密值、显示遮蔽值。"""
    require_write_scope(request)
    data = _instructor_refs(request, payload.model_dump())
    phone = data.pop("phone")
    instructor = services.instructor_save(actor=request.user, phone=phone, **data)
    return Status(201, instructor_dict(_instructor(request, instructor.pk)))


@router.get("/task-instructors/{instructor_id}", response={200: InstructorOut, **ERRORS}, summary="党建指导员详情")
def tasks_instructors_detail(request, instructor_id: int):
    return instructor_dict(_instructor(request, instructor_id))


@router.patch("/task-instructors/{instructor_id}", response={200: InstructorOut, **ERRORS}, summary="修改党建指导员")
def tasks_instructors_update(request, instructor_id: int, payload: InstructorPatch):
    instructor = _instructor(request, instructor_id, write=True)
    data = _instructor_refs(request, payload.model_dump(exclude_unset=True))
    phone = data.pop("phone", None)
    services.instructor_save(actor=request.user, instructor=instructor, phone=phone, **data)
    return instructor_dict(_instructor(request, instructor_id))


@router.delete("/task-instructors/{instructor_id}", response={200: DeletedOut, **ERRORS}, summary="删除党建指导员")
def tasks_instructors_delete(request, instructor_id: int):
    services.instructor_delete(actor=request.user, instructor=_instructor(request, instructor_id, write=True))
    return {"id": instructor_id, "deleted": True}
