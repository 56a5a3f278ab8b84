"""API of the life app: meetings (with attendance and votes), study tasks and study logs.

Reads use the pages' scoping (dangjian.life.selectors: meetings_for, tasks_for); writes call the services in
dangjian.life.services, exactly as the pages do — including a meeting's attachments (签到表, photos, other files:
multipart upload with the page's checks, download, delete) and QR sign-in.
"""

import datetime as dt
from datetime import time
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BeforeValidator, WithJsonSchema

from dangjian.api.common import get_object, page, ref, ref_dict, require_write_scope
from dangjian.api.schemas import MAX_ID, Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text, file_download
from dangjian.core import scoping, uploads
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import Attachment, Attendance, Meeting, MeetingType, StudyLog, Vote

router = Router(tags=["组织生活"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# Long texts (agenda, minutes, decisions, notes): the models have no limit; 5 000 characters keeps a request
# bounded (and within what the property tests can generate).
TEXT_MAX = 5000


# --- input types -----------------------------------------------------------------------------


def _time(value):
    if value is None or isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("时间格式应为 HH:MM。")
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("时间格式应为 HH:MM。") from None
    return parsed.replace(tzinfo=None)


Time = Annotated[time, BeforeValidator(_time), WithJsonSchema({"type": "string", "example": "14:30",
                                                               "description": "HH:MM"})]


def _hours(value):
    message = "学时应为小于1000的数字，最多一位小数。"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(message)
    text = str(value).strip()
    if len(text) > 12:
        raise ValueError(message)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(message) from None
    if not number.is_finite() or abs(number) >= 1000 or number != number.quantize(Decimal("0.1")):
        raise ValueError(message)
    return number


Hours = Annotated[Decimal, BeforeValidator(_hours),
                  WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 8}],
                                  "example": "2.5", "description": "学时，最多一位小数"})]
LongText = Text(TEXT_MAX)


# --- schemas ---------------------------------------------------------------------------------


class MeetingOut(Schema):
    id: int
    org: Ref
    type: MeetingType
    type_label: str
    other_type: str
    status: Choice(Meeting.Status)
    status_label: str
    theme: str
    date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    place: str
    host: Ref | None
    recorder: Ref | None
    lecturer: Ref | None
    lecturer_name: str
    by_secretary: bool
    observers: str
    agenda: str
    minutes: str
    decisions: str
    major_decision: bool
    cadre_appointment: bool
    major_project: bool
    large_funds: bool
    expected: int = Field(..., description="应到人数")
    present: int = Field(..., description="实到人数")
    created_at: dt.datetime
    updated_at: dt.datetime


class MeetingFilters(Schema):
    org: Id | None = Field(None, description="只列出该组织及其下级的会议")
    type: MeetingType | None = None
    status: Choice(Meeting.Status) | None = None
    start: dt.date | None = Field(None, description="日期不早于")
    end: dt.date | None = Field(None, description="日期不晚于")
    q: Text(selectors.Q_MAX_LENGTH) = Field("", description="主题包含")


class MeetingFieldsIn(In):
    """The meeting record's fields (as on the meeting form). People are ids of persons in the organisation."""

    other_type: Text(40) = Field("", description="类型为“其他”时填写")
    start_time: Time | None = None
    end_time: Time | None = None
    place: Text(100) = ""
    host: Id | None = None
    recorder: Id | None = None
    lecturer: Id | None = Field(None, description="授课人（党课）")
    lecturer_name: Text(50) = Field("", description="外请授课人（党课）")
    by_secretary: bool = Field(False, description="书记讲党课（授课人担任本组织书记时自动设置）")
    observers: Text(300) = ""
    agenda: LongText = ""
    minutes: LongText = Field("", description="会议记录（登记已召开的会议时填写）")
    decisions: LongText = Field("", description="决定事项（登记已召开的会议时填写）")
    major_decision: bool = False
    cadre_appointment: bool = False
    major_project: bool = False
    large_funds: bool = False
    participants: list[Id] | None = Field(None, max_length=10, description="谈心谈话的两名谈话人员")


class MeetingCreateIn(MeetingFieldsIn):
    org: Id = Field(..., description="召开会议的党组织 id")
    status: Literal["planned", "held"] = Field("planned", description="planned：计划会议；held：登记已召开的会议")
    type: MeetingType
    theme: Text(200)
    date: dt.date


class MeetingChangesIn(In):
    """Only the fields sent are changed."""

    type: MeetingType = None
    other_type: Text(40) = None
    theme: Text(200) = None
    date: dt.date = None
    start_time: Time | None = None
    end_time: Time | None = None
    place: Text(100) = None
    host: Id | None = None
    recorder: Id | None = None
    lecturer: Id | None = None
    lecturer_name: Text(50) = None
    by_secretary: bool = None
    observers: Text(300) = None
    agenda: LongText = None
    minutes: LongText = None
    decisions: LongText = None
    major_decision: bool = None
    cadre_appointment: bool = None
    major_project: bool = None
    large_funds: bool = None
    participants: list[Id] = Field(None, max_length=10)


class MeetingPatchIn(MeetingChangesIn):
    """Only the fields sent are changed. Editing a held meeting needs `note` (kept in its change history)."""

    note: Text(200) = Field("", description="修改说明（修改已召开会议的记录时必填）")


class MeetingRecordIn(MeetingChangesIn):
    """Record a planned meeting as held; the fields sent replace the planned ones."""


class MeetingCancelIn(In):
    reason: Text(200) = ""


class AttendanceOut(Schema):
    id: int
    person: Ref
    status: Choice(Attendance.Status)
    status_label: str
    leave_reason: str
    leave_approved: bool
    briefed_on: dt.date | None
    signed_in_at: dt.datetime | None


class AttendanceEntryIn(In):
    person: Id
    status: Choice(Attendance.Status)
    leave_reason: Text(200) = ""
    leave_approved: bool = False
    briefed_on: dt.date | None = None


class AttendanceSetIn(In):
    entries: list[AttendanceEntryIn] = Field(..., min_length=1, max_length=1000,
                                             description="应到人员的出席情况（只列出要登记的人）")


class AttendanceSetOut(Schema):
    changed: int = Field(..., description="有变化的人数")
    items: list[AttendanceOut]


class VoteOut(Schema):
    id: int
    meeting_id: int
    kind: Choice(Vote.Kind)
    kind_label: str
    subject: str
    subject_person: Ref | None
    voters_due: int
    voters_present: int
    yes: int
    no: int
    abstain: int
    written_yes: int
    written_no: int
    quorum_met: bool
    passed: bool
    rule_note: str


Count = Annotated[int, Field(ge=0, le=100000)]


class VoteIn(In):
    kind: Choice(Vote.Kind)
    subject: Text(200)
    subject_person: Id | None = None
    yes: Count
    no: Count
    abstain: Count
    written_yes: Count = Field(0, description="未到会者书面意见赞成（接收预备党员、转正）")
    written_no: Count = 0


class StudyTaskOut(Schema):
    id: int
    org: Ref
    title: str
    description: str
    starts_on: dt.date
    due_on: dt.date
    expected_hours: str | None
    created_at: dt.datetime


class CompletionRow(Schema):
    org: Ref
    total: int
    done: int
    rate: int = Field(..., description="完成率（%）")


class StudyTaskDetailOut(StudyTaskOut):
    total: int = Field(..., description="应完成的党员人数（您可见的范围）")
    done: int
    completion: list[CompletionRow]


class StudyTaskCreateIn(In):
    org: Id = Field(..., description="下达任务的党组织 id（任务下达到其全部下级）")
    title: Text(200)
    description: LongText = ""
    starts_on: dt.date
    due_on: dt.date
    expected_hours: Hours | None = None


class StudyTaskPatchIn(In):
    title: Text(200) = None
    description: LongText = None
    starts_on: dt.date = None
    due_on: dt.date = None
    expected_hours: Hours | None = None


class TaskRef(Schema):
    id: int
    title: str


class StudyLogOut(Schema):
    id: int
    person: Ref
    task: TaskRef | None
    date: dt.date
    hours: str
    notes: str
    has_attachment: bool
    recorded_at: dt.datetime


class StudyLogFilters(Schema):
    task: Id | None = None
    person: Id | None = None
    org: Id | None = Field(None, description="只列出该组织及其下级人员的学习记录")


class StudyLogIn(In):
    """您本人的学习记录（账号须关联党员档案）：完成某项学习任务，或自主学习（task 留空）。"""

    task: Id | None = None
    date: dt.date
    hours: Hours
    notes: LongText = ""


# --- helpers ---------------------------------------------------------------------------------


def fetch(request, queryset, pk, label, *, write=False, org_of=attrgetter("org")):
    """The pages' detail fetch over a selector's queryset: 404 outside (audited), 403 without the write right."""
    obj = queryset.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if obj is None:
        scoping.deny(request, label, pk)
    if write and not scoping.can_write(request.user, org_of(obj)):
        scoping.deny(request, label, pk, forbidden=True)
    return obj


def require_meeting_reader(request):
    if not selectors.can_list_meetings(request.user):
        raise PermissionDenied("您没有查看组织生活的权限")


def _opt(obj):
    return ref_dict(obj) if obj is not None else None


def meeting_dict(m):
    return {
        "id": m.pk, "org": ref_dict(m.org), "type": m.type, "type_label": m.type_label, "other_type": m.other_type,
        "status": m.status, "status_label": m.get_status_display(), "theme": m.theme, "date": m.date,
        "start_time": m.start_time, "end_time": m.end_time, "place": m.place, "host": _opt(m.host),
        "recorder": _opt(m.recorder), "lecturer": _opt(m.lecturer), "lecturer_name": m.lecturer_name,
        "by_secretary": m.by_secretary, "observers": m.observers, "agenda": m.agenda, "minutes": m.minutes,
        "decisions": m.decisions, "major_decision": m.major_decision, "cadre_appointment": m.cadre_appointment,
        "major_project": m.major_project, "large_funds": m.large_funds, "expected": m.expected,
        "present": m.present, "created_at": m.created_at, "updated_at": m.updated_at,
    }


def _meetings(user, params=None):
    qs, _ = selectors.meeting_list(user, params or {})
    return qs.select_related("host", "recorder", "lecturer")


def _meeting_out(request, meeting):
    return meeting_dict(_meetings(request.user).get(pk=meeting.pk))


def _meeting(request, meeting_id, *, write=False):
    qs = selectors.meetings_for(request.user).select_related("org", "host", "recorder", "lecturer")
    return fetch(request, qs, meeting_id, "life.meeting", write=write)


def _people(request, data):
    """Person ids in a meeting body → Person objects (unknown or outside the scope: 422 on the field)."""
    for field in ("host", "recorder", "lecturer"):
        if field in data:
            data[field] = ref(request, Person.objects, data[field], field)
    if data.get("participants") is not None:
        data["participants"] = [ref(request, Person.objects, pk, "participants") for pk in data["participants"]]
    return data


def attendance_dict(rows):
    return [{"id": a.pk, "person": ref_dict(a.person), "status": a.status, "status_label": a.get_status_display(),
             "leave_reason": a.leave_reason, "leave_approved": a.leave_approved, "briefed_on": a.briefed_on,
             "signed_in_at": a.signed_in_at} for a in rows]


def vote_dict(v):
    return {"id": v.pk, "meeting_id": v.meeting_id, "kind": v.kind, "kind_label": v.get_kind_display(),
            "subject": v.subject, "subject_person": _opt(v.subject_person), "voters_due": v.voters_due,
            "voters_present": v.voters_present, "yes": v.yes, "no": v.no, "abstain": v.abstain,
            "written_yes": v.written_yes, "written_no": v.written_no, "quorum_met": v.quorum_met,
            "passed": v.passed, "rule_note": v.rule_note}


# --- meetings --------------------------------------------------------------------------------


@router.get("/meetings", response={200: Page[MeetingOut], **ERRORS}, summary="会议列表")
def meetings_list(request, filters: Query[MeetingFilters], paging: Query[Paging]):
    """您范围内各组织的会议（党员：本人应到会的会议），按日期倒序，含应到、实到人数。"""
    require_meeting_reader(request)
    if filters.org is not None:
        get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
    params = {"org": str(filters.org or ""), "type": filters.type or "", "status": filters.status or "",
              "start": filters.start.isoformat() if filters.start else "",
              "end": filters.end.isoformat() if filters.end else "", "q": filters.q}
    return page(_meetings(request.user, params), paging, lambda rows: [meeting_dict(m) for m in rows])


@router.post("/meetings", response={201: MeetingOut, **ERRORS}, summary="计划会议或登记已召开的会议")
def meetings_create(request, payload: MeetingCreateIn):
    """status=planned：计划会议（应到人员在待办中看到）；status=held：登记已召开的会议。应到人员按会议日期的
    组织关系和政治面貌自动确定。"""
    require_write_scope(request)
    data = payload.model_dump()
    org = ref(request, Organisation.objects, data.pop("org"), "org", write=True)
    status = data.pop("status")
    if status == "planned":
        unexpected = {f: "计划中的会议不填写此项，登记召开时再填写。" for f in ("minutes", "decisions") if data[f]}
        if unexpected:
            raise ValidationError(unexpected)
    data = _people(request, data)
    participants = data.pop("participants") or []
    fn = services.meeting_record if status == "held" else services.meeting_plan
    meeting = fn(actor=request.user, org=org, participants=participants, **data)
    return Status(201, _meeting_out(request, meeting))


@router.get("/meetings/{meeting_id}", response={200: MeetingOut, **ERRORS}, summary="会议详情")
def meetings_detail(request, meeting_id: int):
    return _meeting_out(request, _meeting(request, meeting_id))


@router.patch("/meetings/{meeting_id}", response={200: MeetingOut, **ERRORS}, summary="修改会议")
def meetings_update(request, meeting_id: int, payload: MeetingPatchIn):
    """只修改提交的字段。修改已召开会议的记录须填写 note（修改说明），前后内容保留在修改记录中。"""
    meeting = _meeting(request, meeting_id, write=True)
    data = _people(request, payload.model_dump(exclude_unset=True))
    note = data.pop("note", "")
    participants = data.pop("participants", None)
    meeting = services.meeting_update(actor=request.user, meeting=meeting, participants=participants, note=note,
                                      **data)
    return _meeting_out(request, meeting)


@router.post("/meetings/{meeting_id}/record", response={200: MeetingOut, **ERRORS}, summary="登记计划会议已召开")
def meetings_record(request, meeting_id: int, payload: MeetingRecordIn):
    """把计划中的会议登记为已召开（可同时填写会议记录、决定事项等），然后登记出席情况。"""
    meeting = _meeting(request, meeting_id, write=True)
    data = _people(request, payload.model_dump(exclude_unset=True))
    participants = data.pop("participants", None)
    meeting = services.meeting_record(actor=request.user, meeting=meeting, participants=participants, **data)
    return _meeting_out(request, meeting)


@router.post("/meetings/{meeting_id}/cancel", response={200: MeetingOut, **ERRORS}, summary="取消计划中的会议")
def meetings_cancel(request, meeting_id: int, payload: MeetingCancelIn):
    meeting = _meeting(request, meeting_id, write=True)
    meeting = services.meeting_cancel(actor=request.user, meeting=meeting, reason=payload.reason)
    return _meeting_out(request, meeting)


@router.get("/meetings/{meeting_id}/attendance", response={200: Page[AttendanceOut], **ERRORS},
            summary="出席情况")
def meetings_attendance(request, meeting_id: int, paging: Query[Paging]):
    meeting = _meeting(request, meeting_id)
    qs = meeting.attendance.select_related("person").order_by("person__name", "person_id")
    return page(qs, paging, attendance_dict)


@router.post("/meetings/{meeting_id}/attendance", response={200: AttendanceSetOut, **ERRORS},
             summary="登记出席情况")
def meetings_attendance_set(request, meeting_id: int, payload: AttendanceSetIn):
    """只能登记应到名单中的人员；请假须填写事由；全部通过校验才保存。返回所提交人员的出席记录。"""
    meeting = _meeting(request, meeting_id, write=True)
    entries = [entry.model_dump() for entry in payload.entries]
    changes = services.attendance_set(actor=request.user, meeting=meeting, entries=entries)
    ids = [entry["person"] for entry in entries]
    rows = meeting.attendance.filter(person_id__in=ids).select_related("person").order_by("person__name", "person_id")
    return {"changed": len(changes), "items": attendance_dict(rows)}


@router.get("/meetings/{meeting_id}/votes", response={200: Page[VoteOut], **ERRORS}, summary="表决记录")
def meetings_votes(request, meeting_id: int, paging: Query[Paging]):
    meeting = _meeting(request, meeting_id)
    qs = meeting.votes.select_related("subject_person").order_by("id")
    return page(qs, paging, lambda rows: [vote_dict(v) for v in rows])


@router.post("/meetings/{meeting_id}/votes", response={201: VoteOut, **ERRORS}, summary="记录表决结果")
def meetings_vote_add(request, meeting_id: int, payload: VoteIn):
    """应到、实到有表决权人数由出席情况计算；是否达到法定人数、是否通过按规则计算（见 rule_note）。"""
    meeting = _meeting(request, meeting_id, write=True)
    data = payload.model_dump()
    data["subject_person"] = ref(request, Person.objects, data["subject_person"], "subject_person")
    vote = services.vote_record(actor=request.user, meeting=meeting, **data)
    return Status(201, vote_dict(vote))


@router.get("/votes/{vote_id}", response={200: VoteOut, **ERRORS}, summary="表决记录详情")
def votes_detail(request, vote_id: int):
    qs = Vote.objects.filter(meeting__in=selectors.meetings_for(request.user)).select_related("subject_person",
                                                                                             "meeting__org")
    return vote_dict(fetch(request, qs, vote_id, "life.vote"))


# --- attachments of a meeting (签到表, photos, other files) -----------------------------------


class MeetingAttachmentOut(Schema):
    id: int
    meeting_id: int
    kind: Choice(Attachment.Kind)
    kind_label: str
    name: str = Field(..., description="文件名")
    content_type: str
    size: int = Field(..., description="字节数")
    uploaded_by: str | None = Field(..., description="上传人账户")
    uploaded_at: dt.datetime
    download: str = Field(..., description="下载地址（GET，带令牌）")


def attachment_dict(a):
    return {"id": a.pk, "meeting_id": a.meeting_id, "kind": a.kind, "kind_label": a.get_kind_display(),
            "name": a.original_name, "content_type": a.content_type, "size": a.size,
            "uploaded_by": a.uploaded_by.username if a.uploaded_by_id else None, "uploaded_at": a.uploaded_at,
            "download": reverse("api:meetings_attachment_download", kwargs={"attachment_id": a.pk})}


def _attachment(request, attachment_id, *, write=False):
    """The meeting page's fetch (views._get_attachment): the attachments of readable meetings; 404 outside
    (audited), 403 without the write right on the meeting's organisation."""
    qs = Attachment.objects.select_related("meeting__org", "uploaded_by").filter(
        meeting__in=selectors.meetings_for(request.user))
    return fetch(request, qs, attachment_id, "life.attachment", write=write, org_of=lambda a: a.meeting.org)


@router.get("/meetings/{meeting_id}/attachments", response={200: Page[MeetingAttachmentOut], **ERRORS},
            summary="会议附件")
def meetings_attachments(request, meeting_id: int, paging: Query[Paging]):
    """签到表、照片和其他附件，按上传先后排列。能查看该会议者均可查看和下载。"""
    meeting = _meeting(request, meeting_id)
    rows = meeting.attachments.select_related("uploaded_by").order_by("uploaded_at", "id")
    return page(rows, paging, lambda items: [attachment_dict(a) for a in items])


@router.post("/meetings/{meeting_id}/attachments", response={201: MeetingAttachmentOut, **ERRORS},
             summary="上传会议附件（签到表、照片）")
def meetings_attachment_add(request, meeting_id: int, kind: Form[Choice(Attachment.Kind)],  # type: ignore[valid-type]
                            file: File[UploadedFile]):
    """multipart/form-data：字段 kind（signin 签到表、photo 照片、other 其他）和 file（JPEG、PNG 图片或 PDF，按文件内容
    判断，≤10 MB），与会议页面相同的检查；已取消的会议不能上传（422）。仅该会议组织的管理员、书记；记入审计。"""
    meeting = _meeting(request, meeting_id, write=True)
    attachment = services.attachment_add(actor=request.user, meeting=meeting, kind=kind, upload=file)
    return Status(201, attachment_dict(attachment))


@router.get("/meeting-attachments/{attachment_id}", summary="下载会议附件", **file_download(ERRORS, "附件文件"))
def meetings_attachment_download(request, attachment_id: int):
    """能查看该会议者均可下载（党员：本人应到会的会议）。"""
    found = _attachment(request, attachment_id)
    return uploads.download_response(found.file, found.original_name, found.content_type)


@router.delete("/meeting-attachments/{attachment_id}", response={200: DeletedOut, **ERRORS}, summary="删除会议附件")
def meetings_attachment_delete(request, attachment_id: int):
    """仅该会议组织的管理员、书记；记入审计。"""
    found = _attachment(request, attachment_id, write=True)
    services.attachment_remove(actor=request.user, attachment=found)
    return {"id": attachment_id, "deleted": True}


# --- study tasks -----------------------------------------------------------------------------


def task_dict(t):
    return {"id": t.pk, "org": ref_dict(t.org), "title": t.title, "description": t.description,
            "starts_on": t.starts_on, "due_on": t.due_on,
            "expected_hours": str(t.expected_hours) if t.expected_hours is not None else None,
            "created_at": t.created_at}


def _task(request, task_id, *, write=False):
    return fetch(request, selectors.tasks_for(request.user).select_related("org"), task_id, "life.studytask",
                 write=write)


def task_detail_dict(request, task):
    rows, _, _ = selectors.task_completion(request.user, task)
    completion = [{"org": {"id": r["org_id"], "name": r["org__name"]}, "total": r["total"], "done": r["done"],
                   "rate": r["rate"]} for r in rows]
    return {**task_dict(task), "total": sum(r["total"] for r in rows), "done": sum(r["done"] for r in rows),
            "completion": completion}


@router.get("/study-tasks", response={200: Page[StudyTaskOut], **ERRORS}, summary="学习任务列表")
def study_tasks_list(request, paging: Query[Paging]):
    """您范围内下达的和上级下达到您范围的学习任务（党员：下达到本人所在组织的任务），按完成期限倒序。"""
    require_meeting_reader(request)
    qs = selectors.tasks_for(request.user).select_related("org").order_by("-due_on", "-id")
    return page(qs, paging, lambda rows: [task_dict(t) for t in rows])


@router.post("/study-tasks", response={201: StudyTaskDetailOut, **ERRORS}, summary="下达学习任务")
def study_tasks_create(request, payload: StudyTaskCreateIn):
    require_write_scope(request)
    data = payload.model_dump()
    # As on the form: only organisations not dissolved may issue a task.
    org = ref(request, Organisation.objects.active(), data.pop("org"), "org", write=True)
    task = services.study_task_create(actor=request.user, org=org, **data)
    return Status(201, task_detail_dict(request, _task(request, task.pk)))


@router.get("/study-tasks/{task_id}", response={200: StudyTaskDetailOut, **ERRORS}, summary="学习任务详情")
def study_tasks_detail(request, task_id: int):
    """含您可见范围内各组织的完成情况（应完成人数、已完成人数、完成率）。"""
    return task_detail_dict(request, _task(request, task_id))


@router.patch("/study-tasks/{task_id}", response={200: StudyTaskDetailOut, **ERRORS}, summary="修改学习任务")
def study_tasks_update(request, task_id: int, payload: StudyTaskPatchIn):
    task = _task(request, task_id, write=True)
    services.study_task_update(actor=request.user, task=task, **payload.model_dump(exclude_unset=True))
    return task_detail_dict(request, _task(request, task_id))


@router.delete("/study-tasks/{task_id}", response={200: DeletedOut, **ERRORS}, summary="删除学习任务")
def study_tasks_delete(request, task_id: int):
    """已有人登记完成的任务不能删除（422）。"""
    task = _task(request, task_id, write=True)
    services.study_task_delete(actor=request.user, task=task)
    return {"id": task_id, "deleted": True}


# --- study logs ------------------------------------------------------------------------------


def _logs(user):
    """Study logs of the people in the user's scope, and the user's own (as the attachment download allows)."""
    if not user.is_authenticated:
        return StudyLog.objects.none()
    return StudyLog.objects.filter(scoping.scope_q(user, "person__org__path") | Q(person__user_id=user.pk))


def log_dict(log):
    return {"id": log.pk, "person": ref_dict(log.person),
            "task": {"id": log.task.pk, "title": log.task.title} if log.task_id else None, "date": log.date,
            "hours": str(log.hours), "notes": log.notes, "has_attachment": bool(log.attachment),
            "recorded_at": log.recorded_at}


@router.get("/study-logs", response={200: Page[StudyLogOut], **ERRORS}, summary="学习记录")
def study_logs_list(request, filters: Query[StudyLogFilters], paging: Query[Paging]):
    """您范围内人员的学习记录（党员：本人的记录），按日期倒序。"""
    require_meeting_reader(request)
    qs = _logs(request.user).select_related("person", "task")
    if filters.task is not None:
        qs = qs.filter(task=_task(request, filters.task))
    if filters.person is not None:
        qs = qs.filter(person=get_object(request, Person.objects.all(), filters.person))
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs = qs.filter(person__org__path__startswith=org.path)
    return page(qs.order_by("-date", "-id"), paging, lambda rows: [log_dict(log) for log in rows])


@router.post("/study-logs", response={201: StudyLogOut, **ERRORS}, summary="登记本人的学习")
def study_logs_create(request, payload: StudyLogIn):
    """由本人登记（账号须关联党员档案）；附件请在页面上传。"""
    if selectors.linked_person(request.user) is None:
        raise PermissionDenied("您的账号未关联党员档案，不能登记学习")
    task = None
    if payload.task is not None:
        task = selectors.tasks_for(request.user).select_related("org").filter(pk=payload.task).first()
        if task is None:
            raise ValidationError({"task": "不存在或无权访问。"})
    log = services.study_log_add(actor=request.user, task=task, date=payload.date, hours=payload.hours,
                                 notes=payload.notes)
    return Status(201, log_dict(StudyLog.objects.select_related("person", "task").get(pk=log.pk)))


@router.get("/study-logs/{log_id}", response={200: StudyLogOut, **ERRORS}, summary="学习记录详情")
def study_logs_detail(request, log_id: int):
    qs = _logs(request.user).select_related("person", "task")
    return log_dict(fetch(request, qs, log_id, "life.studylog"))


# --- QR sign-in ----------------------------------------------------------------------------------------------


class SignInIn(In):
    token: Text(300) = Field(..., description="会议签到二维码中的签到令牌（二维码地址 /life/signin/<令牌>/ 的最后一段）")


class SignInOut(Schema):
    meeting_id: int
    theme: str
    date: dt.date
    already: bool = Field(..., description="此前已签到（不重复登记）")


@router.post("/life/signin", response={200: SignInOut, **ERRORS}, summary="扫码签到")
def meetings_signin(request, payload: SignInIn):
    """与扫码签到页面相同的服务：令牌所指会议的应到人员中有本人（账号关联的人员）时，在签到时间内（开始前30分钟至结束后
    30分钟）登记为出席，记入审计。令牌无效、过期、不在时间内或不在应到名单中时 422，errors.token 为中文说明。"""
    try:
        meeting, already = services.meeting_signin(actor=request.user, token=payload.token)
    except services.SignInError as error:
        raise ValidationError({"token": f"{error.title}：{error.message}"})
    return {"meeting_id": meeting.pk, "theme": meeting.theme, "date": meeting.date, "already": already}
