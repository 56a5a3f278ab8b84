"""API of the pipeline app (发展党员): the development files of a subtree, one file with its steps and next
deadline, recording the next step and withdrawing a file — through the same scoped reads and services as the
pages, plus opening, extending, cancelling a file and the attachments of its steps (multipart upload, download,
delete; the pages' upload checks). A step that breaks a rule is refused (422, errors keyed by the rule id) unless `override` is true and a
reason is given; the override is stored on the step and in the audit trail."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.errors import error_response
from dangjian.api.schemas import MAX_ID, Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text, file_download
from dangjian.compliance.engine import Rulebook
from dangjian.core import scoping, uploads
from dangjian.members.models import Person
from dangjian.members.selectors import Q_MAX_LENGTH
from dangjian.orgs.models import Organisation

from . import logic, paperwork, selectors, services
from .forms import StepForm
from .models import DevelopmentFile, DevelopmentStep, StepAttachment
from .views import attach_files, docx_download
from .steps import BY_NUMBER, BoardStage, board_stage, next_number

router = Router(tags=["发展党员"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STAGES = tuple(key for key, _ in BoardStage.CHOICES)
PEOPLE = ("talker", "contact_1", "contact_2", "sponsor_1", "sponsor_2")


class StepRef(Schema):
    number: int
    name: str


class DeadlineOut(Schema):
    label: str
    due_on: dt.date
    days_left: int = Field(..., description="距期限的天数，负数为已逾期")
    rule_id: str
    rule_title: str


class DevelopmentFileOut(Schema):
    id: int
    person: Ref
    org: Ref
    state: Choice(DevelopmentFile.State)
    state_label: str
    applied_on: dt.date
    stage: Literal[STAGES]  # type: ignore[valid-type]
    stage_label: str
    next_step: StepRef | None = Field(..., description="下一个应登记的步骤（已完成或已终止时为 null）")
    deadline: DeadlineOut | None = Field(..., description="下一个法定期限（下一步没有期限时为 null）")


class StepAttachmentOut(Schema):
    id: int
    step_id: int
    name: str = Field(..., description="文件名")
    content_type: str
    size: int = Field(..., description="字节数")
    uploaded_at: dt.datetime
    download: str = Field(..., description="下载地址（GET，带令牌）")


class StepOut(Schema):
    id: int
    number: int
    name: str
    date: dt.date
    talker: Ref | None
    talker_name: str
    contact_1: Ref | None
    contact_2: Ref | None
    sponsor_1: Ref | None
    sponsor_2: Ref | None
    meeting_id: int | None
    vote_id: int | None
    conclusion: str
    training_days: int | None
    training_hours: int | None
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    approval_no: str
    approval_date: dt.date | None
    note: str
    overridden: bool = Field(..., description="违反规则仍保存")
    override_reason: str
    override_rules: list[str] = Field(..., description="所违反规则的编号")
    recorded_at: dt.datetime
    attachments: list[StepAttachmentOut] = Field(..., description="该步骤的附件（扫描件等）")


class DevelopmentFileDetailOut(DevelopmentFileOut):
    allowed_steps: list[StepRef] = Field(..., description="现在可以登记的步骤")
    probation_end: dt.date | None = Field(..., description="预备期满日期（含延长）")
    extension_months: int | None
    cancelled_on: dt.date | None
    cancel_reason: str
    withdraw_kind: str
    withdrawn_on: dt.date | None
    withdraw_reason: str
    steps: list[StepOut]


class FileFilters(Schema):
    org: Id | None = Field(None, description="该组织及其下级的档案")
    stage: Literal[STAGES] | None = Field(  # type: ignore[valid-type]
        None, description="applicant 入党申请人、activist 入党积极分子、candidate 发展对象、probationary 预备党员")
    state: Choice(DevelopmentFile.State) | None = Field(None, description="档案状态，默认全部")
    q: Text(Q_MAX_LENGTH) = Field("", description="姓名包含")


class StepIn(In):
    number: int = Field(..., ge=1, le=25, description="步骤编号（1–25），须按顺序")
    date: dt.date
    talker: Id | None = Field(None, description="谈话人（本组织及下级的党员）")
    talker_name: Text(50) = Field("", description="系统外谈话人姓名")
    contact_1: Id | None = None
    contact_2: Id | None = None
    sponsor_1: Id | None = None
    sponsor_2: Id | None = None
    meeting: Id | None = Field(None, description="决定会议（已召开，本组织、其下级或上级，与步骤同日）")
    vote: Id | None = Field(None, description="该会议上的表决（通过）")
    conclusion: Text(5000) = Field("", description="政治审查结论")
    training_days: int | None = Field(None, ge=0, le=365)
    training_hours: int | None = Field(None, ge=0, le=1000)
    publicity_start: dt.date | None = None
    publicity_end: dt.date | None = None
    approval_no: Text(60) = Field("", description="备案/批复文号")
    approval_date: dt.date | None = Field(None, description="备案/批复日期，默认同步骤日期")
    note: Text(500) = ""
    override: bool = Field(False, description="违反规则仍保存（将记入审计）")
    override_reason: Text(300) = Field("", description="违反规则仍保存的原因")


class FileOpenIn(In):
    person: Id = Field(..., description="群众或入党申请人（您有权维护的组织的人员）")
    applied_on: dt.date = Field(..., description="递交入党申请书日期（第1步）")
    note: Text(500) = ""
    override: bool = Field(False, description="违反规则（如未满18岁）仍保存（将记入审计）")
    override_reason: Text(300) = ""


class ExtendIn(In):
    decided_on: dt.date = Field(..., description="支部大会决定日期")
    months: int = Field(..., ge=1, le=24, description="延长月数（6–12，只能延长一次）")
    approval_no: Text(60) = Field(..., description="上级党委批复文号")
    note: Text(300) = ""


class CancelIn(In):
    decided_on: dt.date = Field(..., description="支部大会决定日期")
    reason: Text(300) = Field(..., description="取消原因")
    approval_no: Text(60) = Field(..., description="上级党委批复文号")


class WithdrawIn(In):
    kind: DevelopmentFile.Withdrawal = Field(..., description="applicant 申请人撤回；org 组织终止培养")
    decided_on: dt.date
    reason: Text(300)


# --- reads -------------------------------------------------------------------------------------


def _has_step(number):
    return Exists(DevelopmentStep.objects.filter(file=OuterRef("pk"), number=number))


# The board's columns (steps.board_stage) as filters.
STAGE_FILTERS = {
    BoardStage.PROBATIONARY: lambda: _has_step(17),
    BoardStage.CANDIDATE: lambda: _has_step(7) & ~_has_step(17),
    BoardStage.ACTIVIST: lambda: _has_step(3) & ~_has_step(7),
    BoardStage.APPLICANT: lambda: ~_has_step(3),
}


def _files(user):
    return DevelopmentFile.objects.visible_to(user).select_related("person", "org")


def _deadline_dict(deadline, on):
    if deadline is None:
        return None
    return {"label": deadline.label, "due_on": deadline.due_on, "days_left": deadline.days_left(on),
            "rule_id": deadline.rule.id, "rule_title": deadline.rule.title}


def _step_ref(spec):
    return {"number": spec.number, "name": spec.name} if spec is not None else None


def file_dict(f, on):
    """A file annotated by selectors.annotate (or with .stage, .next_step, .deadline set the same way)."""
    open_ = f.state == DevelopmentFile.State.OPEN
    return {"id": f.pk, "person": ref_dict(f.person), "org": ref_dict(f.org), "state": f.state,
            "state_label": f.get_state_display(), "applied_on": f.applied_on, "stage": f.stage,
            "stage_label": BoardStage.LABELS[f.stage], "next_step": _step_ref(f.next_step) if open_ else None,
            "deadline": _deadline_dict(f.deadline, on)}


def step_dict(s):
    return {"id": s.pk, "number": s.number, "name": BY_NUMBER[s.number].name, "date": s.date,
            **{name: ref_dict(getattr(s, name)) for name in PEOPLE},
            "talker_name": s.talker_name, "meeting_id": s.meeting_id, "vote_id": s.vote_id, "conclusion": s.conclusion,
            "training_days": s.training_days, "training_hours": s.training_hours,
            "publicity_start": s.publicity_start, "publicity_end": s.publicity_end, "approval_no": s.approval_no,
            "approval_date": s.approval_date, "note": s.note, "overridden": s.overridden,
            "override_reason": s.override_reason, "override_rules": list(s.override_rules or []),
            "recorded_at": s.recorded_at, "attachments": [attachment_dict(a) for a in getattr(s, "files", [])]}


def attachment_dict(a):
    return {"id": a.pk, "step_id": a.step_id, "name": a.original_name, "content_type": a.content_type,
            "size": a.size, "uploaded_at": a.uploaded_at,
            "download": reverse("api:pipeline_attachments_download", kwargs={"attachment_id": a.pk})}


def file_detail_dict(file):
    """The file page's reads: its steps (selectors.file_steps) and its next deadline (logic.deadline)."""
    on = timezone.localdate()
    steps = selectors.file_steps(file)
    attach_files(file, steps)
    settings = logic.Settings(Rulebook([file.org]), file.org)
    done = {s.number for s in steps}
    open_ = file.state == DevelopmentFile.State.OPEN
    file.stage = board_stage(done)
    file.next_step = BY_NUMBER.get(next_number(done))
    file.deadline = logic.deadline(file, steps, settings)
    return {**file_dict(file, on),
            "allowed_steps": [_step_ref(spec) for spec in logic.next_steps(steps)] if open_ else [],
            "probation_end": logic.probation_end_of(file, steps), "extension_months": file.extension_months,
            "cancelled_on": file.cancelled_on, "cancel_reason": file.cancel_reason,
            "withdraw_kind": file.withdraw_kind, "withdrawn_on": file.withdrawn_on,
            "withdraw_reason": file.withdraw_reason, "steps": [step_dict(s) for s in steps]}


def _file(request, file_id, *, write=False):
    """The file page's fetch (views._get_file): 404 outside the scope (audited), 403 in scope without the right."""
    return get_object(request, _files(request.user), file_id, write=write)


@router.get("/pipeline/files", response={200: Page[DevelopmentFileOut], **ERRORS}, summary="发展党员档案列表")
def pipeline_files_list(request, filters: Query[FileFilters], paging: Query[Paging]):
    """您范围内（或所给组织及其下级）的发展党员档案，按组织、申请日期排列；含所处阶段、下一步骤和下一个法定期限。"""
    require_party_scope(request)
    qs = _files(request.user)
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs = qs.filter(org__path__startswith=org.path)
    if filters.stage is not None:
        qs = qs.filter(STAGE_FILTERS[filters.stage]())
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.q:
        qs = qs.filter(person__name__icontains=filters.q)
    on = timezone.localdate()
    return page(qs.order_by("org__path", "applied_on", "id"), paging,
                lambda rows: [file_dict(f, on) for f in selectors.annotate(selectors.with_step_rows(rows), on)])


@router.get("/pipeline/files/{file_id}", response={200: DevelopmentFileDetailOut, **ERRORS}, summary="发展党员档案详情")
def pipeline_files_detail(request, file_id: int):
    """档案及已登记的全部步骤（日期、谈话人、培养联系人、入党介绍人、决定会议和表决、备案/批复文号、违反规则仍保存的原因），
    现在可登记的步骤和下一个法定期限。"""
    return file_detail_dict(_file(request, file_id))


REF_ERRORS = {
    "people": "不存在或不可选（须为本组织及其下级的党员，且不是本人）。",
    "meeting": "不存在或不可选（须为本组织、其下级或上级党组织在申请之后召开的会议）。",
    "vote": "不存在或不可选（须为上述会议上接收预备党员或转正的表决）。",
}


def _step_data(file, payload):
    """The body → the service's arguments: people, meeting and vote chosen from the step form's choices
    (selectors.form_choices); a field the step does not record is refused rather than dropped."""
    data = payload.model_dump(exclude_unset=True)
    number = data["number"]
    relevant = set(StepForm.relevant(number)) | {"number", "date", "note", "override", "override_reason"}
    errors = {name: f"第{number}步“{BY_NUMBER[number].name}”不登记此项。" for name in data if name not in relevant}
    people, meetings, votes = selectors.form_choices(file)
    choices = {**{name: (people, REF_ERRORS["people"]) for name in PEOPLE},
               "meeting": (meetings, REF_ERRORS["meeting"]), "vote": (votes, REF_ERRORS["vote"])}
    for name, (queryset, message) in choices.items():
        if data.get(name) is not None and name not in errors:
            data[name] = queryset.filter(pk=data[name]).first()
            if data[name] is None:
                errors[name] = message
    if errors:
        raise ValidationError(errors)
    return data


def _blocked(exc):
    """A rule broken without an override: 422 with each rule's id and its Chinese message."""
    errors = {v.rule.id: [v.text] for v in exc.violations}
    extra = exc.messages[len(exc.violations):]
    if extra:
        errors["override_reason"] = extra
    return error_response(422, "该步骤违反规则，未保存。如确需保存，请提交 override=true 并填写 override_reason"
                               "（将记入审计）。", errors)


@router.post("/pipeline/files/{file_id}/steps", response={201: DevelopmentFileDetailOut, **ERRORS},
             summary="登记下一步骤")
def pipeline_steps_record(request, file_id: int, payload: StepIn):
    """与档案页面相同的服务：须按顺序登记；日期不能早于上一步骤或晚于今天；证据（谈话人、培养联系人、两名入党介绍人、
    政审结论、培训、备案/批复文号、已召开的决定会议和通过的表决）缺一不可。违反时间等规则时返回 422，errors 的键为
    规则编号（如 pipeline.talk）；提交 override=true 和 override_reason 则仍保存，并记入审计。返回档案详情。"""
    file = _file(request, file_id, write=True)
    data = _step_data(file, payload)
    try:
        services.step_record(actor=request.user, file=file, **data)
    except services.RuleBlocked as exc:
        return _blocked(exc)
    return Status(201, file_detail_dict(_file(request, file_id)))


@router.post("/pipeline/files/{file_id}/withdraw", response={200: DevelopmentFileDetailOut, **ERRORS},
             summary="撤回或终止培养")
def pipeline_files_withdraw(request, file_id: int, payload: WithdrawIn):
    """接收为预备党员（第17步）之前：申请人撤回或组织终止培养。档案终止，其政治面貌恢复为群众。"""
    file = _file(request, file_id, write=True)
    services.file_withdraw(actor=request.user, file=file, **payload.model_dump())
    return file_detail_dict(_file(request, file_id))


@router.post("/pipeline/files", response={201: DevelopmentFileDetailOut, **ERRORS}, summary="建立发展党员档案")
def pipeline_files_open(request, payload: FileOpenIn):
    """与页面相同的服务：为群众或入党申请人建立档案并登记第1步（递交入党申请书），群众随之成为入党申请人。人员不存在或
    不在您的范围内时 422（person）；在范围内但您无权维护时 403；已有进行中的档案 409；违反规则（如未满18岁）时 422，
    errors 的键为规则编号，提交 override=true 和 override_reason 则仍保存并记入审计。"""
    require_write_scope(request)
    data = payload.model_dump()
    person = ref(request, Person.objects.select_related("org"), data.pop("person"), "person", write=True,
                 org_attr="org")
    try:
        file = services.file_open(actor=request.user, person=person, **data)
    except services.RuleBlocked as exc:
        return _blocked(exc)
    return Status(201, file_detail_dict(_file(request, file.pk)))


@router.post("/pipeline/files/{file_id}/extend", response={200: DevelopmentFileDetailOut, **ERRORS},
             summary="延长预备期")
def pipeline_files_extend(request, file_id: int, payload: ExtendIn):
    """预备党员（已登记第17步、未讨论转正）延长预备期一次，6–12个月，须有支部大会决定日期和上级党委批复文号。"""
    file = _file(request, file_id, write=True)
    services.file_extend(actor=request.user, file=file, **payload.model_dump())
    return file_detail_dict(_file(request, file_id))


@router.post("/pipeline/files/{file_id}/cancel", response={200: DevelopmentFileDetailOut, **ERRORS},
             summary="取消预备党员资格")
def pipeline_files_cancel(request, file_id: int, payload: CancelIn):
    """支部大会决定并经上级党委批准取消预备党员资格：其党籍状态变为“取消预备党员资格”，档案关闭。"""
    file = _file(request, file_id, write=True)
    services.file_cancel(actor=request.user, file=file, **payload.model_dump())
    return file_detail_dict(_file(request, file_id))


# --- attachments of a step ------------------------------------------------------------------------------------


@router.post("/pipeline/files/{file_id}/steps/{step_id}/attachments", response={201: StepAttachmentOut, **ERRORS},
             summary="上传步骤附件")
def pipeline_attachments_add(request, file_id: int, step_id: int, file: File[UploadedFile]):
    """multipart/form-data，字段 file：JPEG、PNG 图片或 PDF（按文件内容判断，≤10 MB，每步最多20个），与页面相同的检查。
    仅该档案组织的管理员、书记。"""
    development_file = _file(request, file_id, write=True)
    step = DevelopmentStep.objects.filter(file=development_file, pk=step_id).first() if 1 <= step_id <= MAX_ID \
        else None
    if step is None:
        scoping.deny(request, "pipeline.developmentstep", step_id)
    return Status(201, attachment_dict(services.step_attachment_add(actor=request.user, step=step, upload=file)))


def _attachment(request, attachment_id, *, write=False):
    """The file page's fetch of an attachment: 404 outside the readable files (audited), 403 without the right."""
    found = StepAttachment.objects.visible_to(request.user).select_related("step__file__org").filter(
        pk=attachment_id).first() if 1 <= attachment_id <= MAX_ID else None
    if found is None:
        scoping.deny(request, "pipeline.stepattachment", attachment_id)
    if write and not scoping.can_write(request.user, found.step.file.org):
        scoping.deny(request, "pipeline.stepattachment", attachment_id, forbidden=True)
    return found


@router.get("/pipeline/attachments/{attachment_id}", summary="下载步骤附件", **file_download(ERRORS, "附件文件"))
def pipeline_attachments_download(request, attachment_id: int):
    """能查看该档案的角色都可下载。"""
    found = _attachment(request, attachment_id)
    return uploads.download_response(found.file, found.original_name, found.content_type)


@router.delete("/pipeline/attachments/{attachment_id}", response={200: DeletedOut, **ERRORS}, summary="删除步骤附件")
def pipeline_attachments_delete(request, attachment_id: int):
    """仅该档案组织的管理员、书记；记入审计。"""
    found = _attachment(request, attachment_id, write=True)
    services.step_attachment_remove(actor=request.user, attachment=found)
    return {"id": attachment_id, "deleted": True}


# --- document templates (系统管理员) ----------------------------------------------------------------------------

class TemplateOut(Schema):
    kind: str = Field(..., description="文书类型代码")
    title: str
    needs_step: int = Field(..., description="须先登记的步骤")
    fields: list[str] = Field(..., description="模板中可用的字段（{{字段}}）")
    custom: bool = Field(..., description="是否已更换为本地模板（否则用默认模板）")
    original_name: str = Field("", description="本地模板的原文件名")
    uploaded_at: dt.datetime | None = None


class TemplateUploadOut(TemplateOut):
    unused: list[str] = Field(..., description="该文书可用、但新模板未使用的字段（仅提示）")


class TemplateRevertOut(Schema):
    kind: str
    reverted: bool = Field(..., description="false：本来就在使用默认模板")


def _require_system_admin(request, kind=""):
    """The templates page's check: the system administrator only (everyone else 403, audited)."""
    if not request.user.is_system_admin:
        scoping.deny(request, "pipeline.documenttemplate", kind[:30], forbidden=True)


def _template_kind(request, kind):
    """The kind named in the path (None: unknown, 404), for the system administrator only."""
    _require_system_admin(request, kind)
    return paperwork.BY_KEY.get(kind)


def template_dict(kind, custom):
    row = custom.get(kind.key)
    return {"kind": kind.key, "title": kind.title, "needs_step": kind.needs, "fields": sorted(kind.allowed()),
            "custom": row is not None, "original_name": row.original_name if row else "",
            "uploaded_at": row.uploaded_at if row else None}


def _unknown_kind():
    return error_response(404, "未知的文书类型。", {"kind": ["未知的文书类型。"]})


@router.get("/pipeline/templates", response={200: list[TemplateOut], **ERRORS}, summary="文书模板")
def pipeline_templates_list(request):
    """各类发展党员文书的模板：默认或本地更换的。仅系统管理员。"""
    _require_system_admin(request)
    custom = paperwork.custom_templates()
    return [template_dict(kind, custom) for kind in paperwork.KINDS]


@router.post("/pipeline/templates/{kind}", response={200: TemplateUploadOut, **ERRORS}, summary="更换文书模板")
def pipeline_templates_upload(request, kind: str, file: File[UploadedFile]):
    """multipart/form-data，字段 file：.docx（≤2 MB），模板中的 {{字段}} 须是该文书可用的字段，与页面相同的检查；
    覆盖此前的本地模板，记入审计。仅系统管理员。"""
    found = _template_kind(request, kind)
    if found is None:
        return _unknown_kind()
    unused = paperwork.template_upload(actor=request.user, key=found.key, upload=file)
    return {**template_dict(found, paperwork.custom_templates()), "unused": sorted(unused)}


@router.delete("/pipeline/templates/{kind}", response={200: TemplateRevertOut, **ERRORS}, summary="恢复默认文书模板")
def pipeline_templates_revert(request, kind: str):
    """删除本地模板，恢复默认模板；记入审计。仅系统管理员。"""
    found = _template_kind(request, kind)
    if found is None:
        return _unknown_kind()
    return {"kind": found.key, "reverted": paperwork.template_revert(actor=request.user, key=found.key)}


@router.get("/pipeline/templates/{kind}/file", summary="下载文书模板", **file_download(ERRORS, "正在使用的模板（.docx）"))
def pipeline_templates_download(request, kind: str):
    """正在使用的模板（本地或默认），可修改后再上传。仅系统管理员。"""
    found = _template_kind(request, kind)
    if found is None:
        return _unknown_kind()
    data, name = paperwork.template_file(found.key)
    return docx_download(data, name)
