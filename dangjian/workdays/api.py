"""API of the holiday calendar (工作日历): the 法定节假日 and 调休上班 entries, for every account (the pages' year view
is open to everyone logged in); importing and deleting entries for the system administrator only, through the
import page's services (holiday_import: every bad line reported, nothing written; holiday_delete)."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from dangjian.api.common import page
from dangjian.api.schemas import MAX_ID, Choice, DeletedOut, ErrorOut, In, Page, Paging, Text
from dangjian.core import scoping

from . import services
from .calendar import year_bounds
from .models import Holiday

router = Router(tags=["工作日历"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class HolidayOut(Schema):
    id: int
    date: dt.date
    kind: Choice(Holiday.Kind) = Field(..., description="rest 休（法定节假日）/ work 班（调休上班）")
    kind_label: str
    name: str


class HolidayFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="年度（默认全部）")


class ImportIn(In):
    text: Text(20000) = Field(..., description="每行“日期 休/班 名称”，如“2026-10-01 休 国庆节”、“2026-10-11 班”；"
                                              "已有的日期按新内容更新。任何一行有误则全部不导入（422，逐行说明）")


class ImportOut(Schema):
    created: int
    updated: int
    year: int = Field(..., description="所列日期中最早的年度")


def holiday_dict(h):
    return {"id": h.pk, "date": h.date, "kind": h.kind, "kind_label": h.get_kind_display(), "name": h.name}


def _require_system_admin(request, object_id=""):
    if not request.user.is_system_admin:
        scoping.deny(request, Holiday._meta.label_lower, object_id, forbidden=True)


@router.get("/workdays/holidays", response={200: Page[HolidayOut], **ERRORS}, summary="节假日安排")
def workdays_holidays_list(request, filters: Query[HolidayFilters], paging: Query[Paging]):
    """所有账户可读（与工作日历页面相同）。周一至周五为工作日、周六周日休息，列出的是例外。"""
    qs = Holiday.objects.order_by("date")
    if filters.year is not None:
        qs = qs.filter(date__range=year_bounds(filters.year))
    return page(qs, paging, lambda rows: [holiday_dict(h) for h in rows])


@router.post("/workdays/holidays/import", response={200: ImportOut, **ERRORS}, summary="导入节假日安排")
def workdays_holidays_import(request, payload: ImportIn):
    """仅系统管理员（其他账户 403）；记入审计。"""
    _require_system_admin(request)
    created, updated, year = services.holiday_import(actor=request.user, text=payload.text)
    return {"created": created, "updated": updated, "year": year}


@router.delete("/workdays/holidays/{holiday_id}", response={200: DeletedOut, **ERRORS}, summary="删除节假日安排")
def workdays_holidays_delete(request, holiday_id: int):
    """仅系统管理员（其他账户 403）；不存在 404；记入审计。"""
    _require_system_admin(request, holiday_id)
    holiday = Holiday.objects.filter(pk=holiday_id).first() if 1 <= holiday_id <= MAX_ID else None
    if holiday is None:
        scoping.deny(request, Holiday._meta.label_lower, holiday_id)
    services.holiday_delete(actor=request.user, holiday=holiday)
    return {"id": holiday_id, "deleted": True}
