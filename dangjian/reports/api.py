"""API of the summary report (#8 "the summary figures of a report"): the same figures as the 工作总结 page, for an
organisation (with its subtree) and a period, each with the link to the records behind it.

Scoped exactly like the page: an organisation role is needed (403 otherwise) and the organisation must be in the
scope (404 otherwise, audited); a bad period is a 422 on the field. The secretary's text of the report (title and
one text per section) is read and saved through the edit page's service (summary.draft_save; writers only)."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from dangjian.api.common import get_object, require_party_scope
from dangjian.api.schemas import ErrorOut, Id, In, Ref, Text
from dangjian.orgs.models import Organisation

from . import figures, summary

router = Router(tags=["报告"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReportSummaryQuery(Schema):
    org: Id = Field(..., description="组织 id：统计该组织及其全部下级")
    start: dt.date = Field(..., description="起始日期（含）")
    end: dt.date = Field(..., description="截止日期（含），不早于起始日期，期间不超过5年")


class ReportFigureOut(Schema):
    key: str = Field(..., description="稳定的编号，如 meetings.assembly")
    label: str
    value: int | str | None = Field(..., description="整数；金额、比率、学时为字符串形式的十进制数；null 为无数据")
    text: str = Field(..., description="报告中的写法")
    unit: str
    url: str = Field(..., description="对应记录的列表页（已带筛选条件）；空为无对应页面")


class ReportSectionOut(Schema):
    key: str
    title: str
    text: str = Field(..., description="由数字生成的文字")
    figures: list[ReportFigureOut]


class ReportMonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    meetings: int
    expected: int = Field(..., description="应到人次")
    present: int = Field(..., description="实到人次")
    rate: float | None = Field(..., description="出席率（%）")


class ReportSummaryOut(Schema):
    org: Ref
    start: dt.date
    end: dt.date
    period: str
    empty: bool = Field(..., description="期间内没有任何工作记录")
    findings_on: dt.date = Field(..., description="“存在的问题”的检查日期（截止日期与今天中较早者）")
    sections: list[ReportSectionOut]
    by_month: list[ReportMonthOut]


@router.get("/reports/summary", response={200: ReportSummaryOut, **ERRORS}, summary="工作总结的统计数字")
def reports_summary(request, query: Query[ReportSummaryQuery]):
    """某组织（含下级）在 start 至 end 期间的工作总结数字：基本情况、三会一课、学习、主题党日与服务活动、发展党员、
    先锋作用、荣誉、宣传、关爱服务、党费、评议考核、特色亮点与存在的问题，每项带对应记录的页面地址。"""
    require_party_scope(request)
    org = get_object(request, Organisation.objects.all(), query.org, org_attr=None)
    summary.check_period(query.start, query.end)
    return figures.collect(org, query.start, query.end).as_dict()


class ReportTextQuery(Schema):
    start: dt.date = Field(..., description="起始日期（含）")
    end: dt.date = Field(..., description="截止日期（含）")


class ReportTextIn(In):
    start: dt.date = Field(..., description="起始日期（含）")
    end: dt.date = Field(..., description="截止日期（含），不早于起始日期，期间不超过5年")
    title: Text(summary.TITLE_MAX) = Field("", description="标题（空为默认标题）")
    sections: dict[str, Text(summary.TEXT_MAX)] = Field(
        default_factory=dict, description="部分编号 → 文字：" + "、".join(summary.SECTION_KEYS) + "；未提交的部分不变")


class ReportTextOut(Schema):
    org: Ref
    start: dt.date
    end: dt.date
    title: str = Field(..., description="标题（未保存过时为默认标题）")
    saved: bool = Field(..., description="已保存过文字")
    sections: dict[str, str] = Field(..., description="部分编号 → 文字（未保存的部分为默认文字）")


def _text(org, start, end):
    from .models import ReportDraft

    draft = ReportDraft.objects.filter(org=org, start=start, end=end).first()
    return {"org": {"id": org.pk, "name": org.name}, "start": start, "end": end, "saved": draft is not None,
            "title": draft.title if draft is not None and draft.title else summary.default_title(org, start, end),
            "sections": summary.section_texts(draft)}


@router.get("/reports/summary/{org_id}/text", response={200: ReportTextOut, **ERRORS}, summary="工作总结的文字")
def reports_summary_text(request, org_id: int, query: Query[ReportTextQuery]):
    require_party_scope(request)
    org = get_object(request, Organisation.objects.all(), org_id, org_attr=None)
    summary.check_period(query.start, query.end)
    return _text(org, query.start, query.end)


@router.put("/reports/summary/{org_id}/text", response={200: ReportTextOut, **ERRORS}, summary="保存工作总结的文字")
def reports_summary_text_save(request, org_id: int, payload: ReportTextIn):
    """与工作总结页面相同的服务：该组织的组织管理员、书记；未知的部分 422；数字始终按最新记录统计，不保存。"""
    org = get_object(request, Organisation.objects.all(), org_id, write=True, org_attr=None)
    summary.draft_save(actor=request.user, org=org, start=payload.start, end=payload.end, title=payload.title,
                       sections=payload.sections)
    return _text(org, payload.start, payload.end)
