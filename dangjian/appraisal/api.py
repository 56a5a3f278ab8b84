"""API of the appraisal app (述职评议): scoring forms with their ranking (create, edit, delete), secretaries'
reports with their scores (list, submit, edit, delete, attachments) and scoring a report. Every write calls the
service the page calls (`services.form_save`, `form_delete`, `report_save`, `report_delete`, `report_attach`,
`sheet_save`), and the choices the pages offer come from the same service functions (`form_orgs`, `report_orgs`,
`secretaries`, `report_people`). The same scope as the pages (forms issued in or above the user's scope; reports
of organisations in it; the individual score sheets only for readers of the form's organisation; scoring only for
writers of the form's organisation — the level above)."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope
from dangjian.api.errors import django_errors
from dangjian.api.schemas import MAX_ID, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text, file_download
from dangjian.core import scoping, uploads
from dangjian.orgs.models import Organisation
from dangjian.orgs.picker import OrgChoice

from . import selectors, services
from .models import Attachment, Report, Sheet

router = Router(tags=["述职评议"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ItemOut(Schema):
    id: int
    name: str
    max_score: str
    guidance: str


class FormOut(Schema):
    id: int
    org: Ref = Field(..., description="组织评议的党组织")
    year: int
    title: str


class RankOut(Schema):
    report_id: int
    org: Ref
    person: Ref
    scorers: int
    average: str | None = Field(None, description="各评分人总分的平均（一位小数）；未评分为 null")
    rank: int | None = Field(None, description="名次（平均分相同并列）")
    grade: str = Field(..., description="好 / 较好 / 一般 / 差；未评分为空")


class FormDetailOut(FormOut):
    items: list[ItemOut]
    full_marks: str
    grade_basis: str
    ranking: list[RankOut] = Field(..., description="您范围内的述职报告")


class FormFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


class SheetOut(Schema):
    scorer: str
    comment: str
    total: str
    marks: dict[str, str] = Field(..., description="评分项目 → 得分")


class AppraisalAttachmentOut(Schema):
    id: int
    report_id: int
    name: str = Field(..., description="文件名")
    content_type: str
    size: int = Field(..., description="字节数")
    uploaded_at: datetime
    download: str = Field(..., description="下载地址（GET，带令牌）")


class ReportOut(Schema):
    id: int
    form: FormOut
    org: Ref
    person: Ref
    text: str
    submitted_on: date
    attachments: list[AppraisalAttachmentOut] = Field(..., description="附件，按上传先后")
    result: RankOut
    sheets: list[SheetOut] | None = Field(None, description="评分明细（仅上级党组织可见）")


class AppraisalReportRowOut(Schema):
    id: int
    form: FormOut
    org: Ref
    person: Ref
    submitted_on: date
    attachments: int = Field(..., description="附件个数")
    scorers: int = Field(..., description="已评分人数")
    average: str | None = Field(None, description="各评分人总分的平均（一位小数）；未评分为 null")


class AppraisalReportFilters(Schema):
    form: Id | None = Field(None, description="只列出该评分表的述职报告")
    org: Id | None = Field(None, description="只列出该组织及其下级的述职报告")


def _attachment_dict(a):
    return {"id": a.pk, "report_id": a.report_id, "name": a.original_name, "content_type": a.content_type,
            "size": a.size, "uploaded_at": a.uploaded_at,
            "download": reverse("api:appraisal_attachments_download",
                                kwargs={"report_id": a.report_id, "attachment_id": a.pk})}


def _form_dict(f):
    return {"id": f.pk, "org": ref_dict(f.org), "year": f.year, "title": f.title}


def _rank_dict(r):
    return {"report_id": r.pk, "org": ref_dict(r.org), "person": ref_dict(r.person), "scorers": r.n_sheets,
            "average": str(r.average) if r.average is not None else None, "rank": r.rank, "grade": r.grade}


@router.get("/appraisal/forms", response={200: Page[FormOut], **ERRORS}, summary="述职评议评分表")
def appraisal_forms_list(request, filters: Query[FormFilters], paging: Query[Paging]):
    """您范围内及上级党组织制定的评分表，按年度倒序。"""
    require_party_scope(request)
    forms = selectors.forms_for(request.user).select_related("org")
    if filters.year is not None:
        forms = forms.filter(year=filters.year)
    return page(forms, paging, lambda rows: [_form_dict(f) for f in rows])


@router.get("/appraisal/forms/{form_id}", response={200: FormDetailOut, **ERRORS}, summary="评分表与述职评议排名")
def appraisal_forms_detail(request, form_id: int):
    """评分项目、满分、等次依据，以及您范围内各述职报告的平均分、名次（同分并列）和等次。"""
    form = _scoring_form(request, form_id)
    reports, full, bands = selectors.ranking(form)
    visible = set(Report.objects.visible_to(request.user).filter(form=form).values_list("pk", flat=True))
    return {**_form_dict(form), "full_marks": str(full), "grade_basis": bands.basis,
            "items": [{"id": i.pk, "name": i.name, "max_score": str(i.max_score), "guidance": i.guidance}
                      for i in form.items.all()],
            "ranking": [_rank_dict(r) for r in reports if r.pk in visible]}


def _report_detail(request, report):
    reports, _, _ = selectors.ranking(report.form)
    result = next(r for r in reports if r.pk == report.pk)
    sheets = None
    if scoping.can_read(request.user, report.form.org):
        sheets = [{"scorer": s.scorer.username, "comment": s.comment,
                   "total": str(sum((m.score for m in s.marks.all()), 0)),
                   "marks": {m.item.name: str(m.score) for m in s.marks.all()}}
                  for s in report.sheets.select_related("scorer").prefetch_related("marks__item")]
    return {"id": report.pk, "form": _form_dict(report.form), "org": ref_dict(report.org),
            "person": ref_dict(report.person), "text": report.text, "submitted_on": report.submitted_on,
            "attachments": [_attachment_dict(a) for a in report.attachments.order_by("id")],
            "result": _rank_dict(result), "sheets": sheets}


@router.get("/appraisal/reports/{report_id}", response={200: ReportOut, **ERRORS}, summary="书记述职报告与评分")
def appraisal_reports_detail(request, report_id: int):
    """述职报告正文、附件（含下载地址）、平均分与等次；上级党组织可见每位评分人的评分明细。"""
    return _report_detail(request, _report(request, report_id))


# --- scoring ---------------------------------------------------------------------------------

# A score as JSON number or text ("8.5"); the service checks it (0..the item's full marks, one decimal).
Score = int | float | Text(10)


class SheetIn(In):
    marks: dict[Id, Score] = Field(..., description="评分项目 id → 得分（0 至该项满分，最多一位小数），每个项目都须评分")
    comment: Text(500) = Field("", description="评语")


class MyMarkOut(Schema):
    item_id: int
    item: str
    max_score: str
    score: str


class MySheetOut(Schema):
    id: int
    report_id: int
    scorer: str
    comment: str
    total: str
    marks: list[MyMarkOut]
    result: RankOut = Field(..., description="评分后该述职报告的平均分、名次和等次")


def _sheet_errors(exc):
    """The service keys a score by the page's field (item_<id>); the body keys it marks.<id>. Other errors (the
    conflict of a second sheet, with its code) pass through unchanged."""
    errors = django_errors(exc)
    if not any(key.startswith("item_") for key in errors):
        return exc
    return ValidationError({f"marks.{key.removeprefix('item_')}" if key.startswith("item_") else key: messages
                            for key, messages in errors.items()})


@router.put("/appraisal/reports/{report_id}/sheet", response={200: MySheetOut, 201: MySheetOut, **ERRORS},
            summary="为述职报告评分")
def appraisal_sheets_save(request, report_id: int, payload: SheetIn):
    """与评分页面相同的服务：仅评分表所属组织（上级党组织）的组织管理员、书记；每个评分项目都须评分，得分在0至该项满分之间
    （最多一位小数），否则 422（errors 的键为 marks.项目编号）。每位评分人一份评分：第一次提交新建（201），再次提交修改
    本人的评分（200，修改前后记入审计）。"""
    report = get_object(request, Report.objects.select_related("form__org", "org", "person"), report_id)
    if not services.can_score(request.user, report):
        scoping.deny(request, "appraisal.sheet", report_id, forbidden=True)
    existed = Sheet.objects.filter(report=report, scorer=request.user).exists()
    try:
        sheet = services.sheet_save(actor=request.user, report=report, marks=payload.marks, comment=payload.comment)
    except ValidationError as exc:
        raise _sheet_errors(exc) from None
    marks = sorted(sheet.marks.select_related("item"), key=lambda m: (m.item.order, m.item_id))
    reports, _, _ = selectors.ranking(report.form)
    result = next(r for r in reports if r.pk == report.pk)
    body = {"id": sheet.pk, "report_id": report.pk, "scorer": request.user.username, "comment": sheet.comment,
            "total": str(sum((m.score for m in marks), 0)), "result": _rank_dict(result),
            "marks": [{"item_id": m.item_id, "item": m.item.name, "max_score": str(m.item.max_score),
                       "score": str(m.score)} for m in marks]}
    return Status(200 if existed else 201, body)


# --- writing scoring forms -------------------------------------------------------------------


class AppraisalItemIn(In):
    name: Text(100) = Field(..., description="评分项目名称（同一评分表内不重复）")
    max_score: Score = Field(..., description="满分（大于0、不超过100，最多一位小数）")
    guidance: Text(300) = Field("", description="评分要点")


class AppraisalFormCreateIn(In):
    org: Id = Field(..., description="组织评议的党组织 id（您任组织管理员或书记的组织，未撤销）")
    year: int = Field(..., ge=2000, le=2100, description="年度（2000 至明年）；每个组织每年一份")
    title: Text(100) = Field(..., description="名称，如“党组织书记抓党建工作述职评议评分表”")
    items: list[AppraisalItemIn] = Field(..., description=f"评分项目，按顺序，1 至 {services.MAX_ITEMS} 项")


class AppraisalFormPatchIn(In):
    title: Text(100) = None
    items: list[AppraisalItemIn] = Field(None, description="评分项目（整体替换）；已开始评分后不能再修改（409）")


def _items(items):
    return [item.model_dump() for item in items]


def _scoring_form(request, form_id, *, write=False):
    """The form pages' fetch (views._form): forms in or above the scope; 404 outside, 403 without the write right
    on the issuing organisation."""
    form = (selectors.forms_for(request.user).select_related("org").filter(pk=form_id).first()
            if 1 <= form_id <= MAX_ID else None)
    if form is None:
        scoping.deny(request, "appraisal.scoringform", form_id)
    if write and not scoping.can_write(request.user, form.org):
        scoping.deny(request, "appraisal.scoringform", form_id, forbidden=True)
    return form


@router.post("/appraisal/forms", response={201: FormDetailOut, **ERRORS}, summary="制定述职评议评分表")
def appraisal_forms_create(request, payload: AppraisalFormCreateIn):
    """与“新建评分表”页面相同的服务：仅组织管理员、书记（无可制定的组织 403）；org 不存在或不在范围内 422（在范围内但无权
    修改 403）；评分项目的名称、满分（0.1–100，一位小数）有误 422（errors 的键为 items）；该组织本年度已有评分表 409。
    记入审计。"""
    if not services.form_orgs(request.user).exists():
        raise PermissionDenied("您没有制定评分表的权限")
    org = ref(request, Organisation.objects, payload.org, "org", write=True)
    form = services.form_save(actor=request.user, org=org, year=payload.year, title=payload.title,
                              items=_items(payload.items))
    return Status(201, appraisal_forms_detail(request, form.pk))


@router.patch("/appraisal/forms/{form_id}", response={200: FormDetailOut, **ERRORS}, summary="修改述职评议评分表")
def appraisal_forms_update(request, form_id: int, payload: AppraisalFormPatchIn):
    """只修改提交的字段（名称；评分项目整体替换），与“修改评分表”页面相同的服务。组织和年度不能修改。已有人评分后评分项目
    不能再修改（409，errors 的键为 items；只改名称仍可以）。仅评分表所属组织的组织管理员、书记；修改前后记入审计。"""
    form = _scoring_form(request, form_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    items = data.get("items")
    if items is None:
        items = [{"name": i.name, "max_score": i.max_score, "guidance": i.guidance} for i in form.items.all()]
    services.form_save(actor=request.user, form=form, title=data.get("title", form.title), items=items)
    return appraisal_forms_detail(request, form.pk)


@router.delete("/appraisal/forms/{form_id}", response={200: DeletedOut, **ERRORS}, summary="删除述职评议评分表")
def appraisal_forms_delete(request, form_id: int):
    """已有述职报告提交的评分表不能删除（409），与页面相同。仅评分表所属组织的组织管理员、书记；记入审计。"""
    form = _scoring_form(request, form_id, write=True)
    services.form_delete(actor=request.user, form=form)
    return {"id": form_id, "deleted": True}


# --- reports: list and writes ----------------------------------------------------------------


def _report(request, report_id, *, write=False):
    """The report pages' fetch (views._report): reports of organisations in the scope; 404 outside, 403 without
    the write right on the reporting organisation."""
    return get_object(request, Report.objects.select_related("form__org", "org", "person"), report_id, write=write)


class AppraisalReportCreateIn(In):
    org: Id = Field(..., description="述职组织 id：评分表所属组织的下级党组织（党小组除外），您任组织管理员或书记")
    person: Id = Field(..., description="述职书记的人员 id：该组织现任书记或副书记")
    text: Text(services.TEXT_MAX) = Field(..., description="述职报告正文")


class AppraisalReportPatchIn(In):
    person: Id = Field(None, description="述职书记的人员 id：该组织现任书记或副书记")
    text: Text(services.TEXT_MAX) = None


def _person(people, pk, org):
    person = next((p for p in people if p.pk == pk), None)
    if person is None:
        raise ValidationError({"person": f"述职书记须是{org.name}现任的书记或副书记。"})
    return person


@router.get("/appraisal/reports", response={200: Page[AppraisalReportRowOut], **ERRORS}, summary="书记述职报告列表")
def appraisal_reports_list(request, filters: Query[AppraisalReportFilters], paging: Query[Paging]):
    """您范围内各组织的述职报告（按评分表年度倒序、组织排列），含评分人数和平均分。form、org 不存在或不在范围内 404。"""
    require_party_scope(request)
    reports = Report.objects.visible_to(request.user)
    if filters.form is not None:
        reports = reports.filter(form=_scoring_form(request, filters.form))
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        reports = reports.filter(org__path__startswith=org.path)
    reports = (selectors.with_scores(reports).select_related("form__org", "org", "person")
               .annotate(n_attachments=Count("attachments", distinct=True))
               .order_by("-form__year", "form__org__path", "form_id", "org__path", "id"))

    def rows(items):
        return [{"id": r.pk, "form": _form_dict(r.form), "org": ref_dict(r.org), "person": ref_dict(r.person),
                 "submitted_on": r.submitted_on, "attachments": r.n_attachments, "scorers": r.n_sheets,
                 "average": _average(r)} for r in items]

    return page(reports, paging, rows)


def _average(report):
    average = selectors._average(Decimal(report.marks_total), report.n_sheets)  # the ranking's rounding
    return str(average) if average is not None else None


@router.post("/appraisal/forms/{form_id}/reports", response={201: ReportOut, **ERRORS}, summary="提交述职报告")
def appraisal_reports_create(request, form_id: int, payload: AppraisalReportCreateIn):
    """与“提交述职报告”页面相同的服务和选项：评分表不在范围内 404；您没有可以述职的下级组织 403；org 不存在或不在范围内
    422（在范围内但无权修改 403），不是评分表所属组织的下级、已撤销或是党小组 422；person 不是该组织现任书记、副书记 422；
    该组织已提交本年度述职报告 409。附件另行上传。记入审计。"""
    form = _scoring_form(request, form_id)
    candidates = OrgChoice(services.report_orgs(request.user, form), payload.org)  # one query for a small scope
    if not candidates:
        scoping.deny(request, "appraisal.report", form_id, forbidden=True)
    org = ref(request, Organisation.objects, payload.org, "org", write=True)
    if candidates.found is None:
        raise ValidationError({"org": f"述职组织须是{form.org.name}未撤销的下级党组织（党小组除外）。"})
    person = _person(services.secretaries([org]), payload.person, org)
    report = services.report_save(actor=request.user, form=form, org=org, person=person, text=payload.text)
    return Status(201, _report_detail(request, _report(request, report.pk)))


@router.patch("/appraisal/reports/{report_id}", response={200: ReportOut, **ERRORS}, summary="修改述职报告")
def appraisal_reports_update(request, report_id: int, payload: AppraisalReportPatchIn):
    """只修改提交的字段（述职书记、正文），与“修改述职报告”页面相同的服务。已开始评分后不能修改（409）。仅述职组织的
    组织管理员、书记；修改前后记入审计。"""
    report = _report(request, report_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    person = report.person
    if "person" in data:
        person = _person(services.report_people(report), data["person"], report.org)
    services.report_save(actor=request.user, report=report, person=person, text=data.get("text", report.text))
    return _report_detail(request, _report(request, report_id))


@router.delete("/appraisal/reports/{report_id}", response={200: DeletedOut, **ERRORS}, summary="删除述职报告")
def appraisal_reports_delete(request, report_id: int):
    """已开始评分的述职报告不能删除（409），与页面相同。仅述职组织的组织管理员、书记；连同附件删除，记入审计。"""
    report = _report(request, report_id, write=True)
    services.report_delete(actor=request.user, report=report)
    return {"id": report_id, "deleted": True}


# --- attachments of a report -----------------------------------------------------------------


@router.post("/appraisal/reports/{report_id}/attachments", response={201: AppraisalAttachmentOut, **ERRORS},
             summary="上传述职报告附件")
def appraisal_attachments_add(request, report_id: int, file: File[UploadedFile]):
    """multipart/form-data，字段 file：PDF、JPEG 或 PNG（按文件内容判断，≤10 MB），与“修改述职报告”页面的附件相同的检查，
    否则 422（errors 的键为 file）；已开始评分后不能再上传（409）。仅述职组织的组织管理员、书记；记入审计。"""
    report = _report(request, report_id, write=True)
    attachment = services.report_attach(actor=request.user, report=report, upload=file)
    return Status(201, _attachment_dict(attachment))


@router.get("/appraisal/reports/{report_id}/attachments/{attachment_id}", summary="下载述职报告附件",
            **file_download(ERRORS, "附件文件"))
def appraisal_attachments_download(request, report_id: int, attachment_id: int):
    """能查看该述职报告者均可下载（与页面相同）。附件不属于该报告时 404。"""
    report = _report(request, report_id)
    attachment = (Attachment.objects.filter(pk=attachment_id, report=report).first()
                  if 1 <= attachment_id <= MAX_ID else None)
    if attachment is None:
        scoping.deny(request, "appraisal.attachment", attachment_id)
    return uploads.download_response(attachment.file, attachment.original_name, attachment.content_type)
