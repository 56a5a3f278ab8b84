"""API of the appraisal app (述职评议): scoring forms with their ranking, and secretaries' reports with their
scores; scoring a report (the score page's service, `services.sheet_save`). The same scope as the pages (forms
issued in or above the user's scope; reports of organisations in it; the individual score sheets only for readers
of the form's organisation; scoring only for writers of the form's organisation — the level above)."""

from datetime import date

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from dangjian.api.common import get_object, page, ref_dict, require_party_scope
from dangjian.api.errors import django_errors
from dangjian.api.schemas import MAX_ID, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping

from . import selectors, services
from .models import Report, Sheet

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


class ReportOut(Schema):
    id: int
    form: FormOut
    org: Ref
    person: Ref
    text: str
    submitted_on: date
    attachments: list[str]
    result: RankOut
    sheets: list[SheetOut] | None = Field(None, description="评分明细（仅上级党组织可见）")


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
    form = (selectors.forms_for(request.user).select_related("org").filter(pk=form_id).first()
            if 1 <= form_id <= MAX_ID else None)
    if form is None:
        scoping.deny(request, "appraisal.scoringform", form_id)
    reports, full, bands = selectors.ranking(form)
    visible = set(Report.objects.visible_to(request.user).filter(form=form).values_list("pk", flat=True))
    return {**_form_dict(form), "full_marks": str(full), "grade_basis": bands.basis,
            "items": [{"id": i.pk, "name": i.name, "max_score": str(i.max_score), "guidance": i.guidance}
                      for i in form.items.all()],
            "ranking": [_rank_dict(r) for r in reports if r.pk in visible]}


@router.get("/appraisal/reports/{report_id}", response={200: ReportOut, **ERRORS}, summary="书记述职报告与评分")
def appraisal_reports_detail(request, report_id: int):
    """述职报告正文、附件名称、平均分与等次；上级党组织可见每位评分人的评分明细。"""
    report = get_object(request, Report.objects.select_related("form__org", "org", "person"), report_id)
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
            "attachments": [a.original_name for a in report.attachments.order_by("id")],
            "result": _rank_dict(result), "sheets": sheets}


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
