"""API of the 任务清单: tasks (list, issue, read with the issuer's table) and receipts (list, read, answer).

Reads are scoped like the pages (Task.objects.visible_to, Receipt.objects.visible_to); writes call
dangjian.tasks.services exactly as the pages do. Attachments (files) stay in the UI.
"""

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import Choice, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import Receipt, Task

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
