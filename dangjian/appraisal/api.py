"""API of the appraisal app (述职评议): scoring forms with their ranking, and secretaries' reports with their
scores. Read only; the same scope as the pages (forms issued in or above the user's scope; reports of
organisations in it; the individual score sheets only for readers of the form's organisation)."""

from datetime import date

from ninja import Field, Query, Router, Schema

from dangjian.api.common import get_object, page, ref_dict, require_party_scope
from dangjian.api.schemas import MAX_ID, ErrorOut, Page, Paging, Ref
from dangjian.core import scoping

from . import selectors
from .models import Report

router = Router(tags=["述职评议"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


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
