"""Roster export to Excel: the roster page's own query (selectors.roster_queryset), masked personal data only,
audited. One query for the people whatever their number."""

import io
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import openpyxl
from django.db import transaction
from openpyxl.cell import WriteOnlyCell

from dangjian.core import audit, scoping
from dangjian.orgs.models import WRITE_ROLES

from .models import Status
from .selectors import describe_filters, roster_queryset

EXPORT_HEADERS = [
    "姓名", "性别", "民族", "出生日期", "学历", "身份证号", "手机号", "所在党组织", "党小组", "政治面貌",
    "入党日期", "转正日期", "职称", "班主任", "教研组长", "骨干教师", "行政",
]
_WIDTHS = [10, 6, 8, 12, 12, 21, 14, 24, 14, 12, 12, 12, 12, 8, 8, 8, 6]
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass
class ExportResult:
    content: bytes
    filename: str
    count: int


def _yes(value):
    return "是" if value else "否"


def _text_cells(sheet, values):
    """Strings that look like formulas ("=…") stay text: an exported name never runs as a formula."""
    cells = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        cells.append(value)
    return cells


def _row(person):
    return [
        person.name,
        person.get_gender_display(),
        person.ethnicity,
        person.birth_date,
        person.get_education_display(),
        person.id_number_masked,  # never the full number
        person.phone_masked,
        person.org.name,
        person.group.name if person.group_id else "",
        person.get_status_display(),
        person.joined_on,
        person.full_member_on,
        person.professional_title,
        _yes(person.is_class_teacher),
        _yes(person.is_research_lead),
        _yes(person.is_backbone),
        _yes(person.is_administrative),
    ]


def export_filename(filters, today=None):
    today = today or date.today()
    parts = ["党员名册"]
    if filters.get("org") is not None:
        parts.append(_UNSAFE_FILENAME.sub("_", filters["org"].name))
    parts.append(f"{today:%Y%m%d}")
    return "_".join(parts) + ".xlsx"


def content_disposition(filename, ascii_fallback="export.xlsx"):
    """attachment with an ASCII fallback and the real (Chinese) name as RFC 5987 filename*."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _workbook(title, headers, widths, queryset, row):
    """(xlsx bytes, number of rows): one sheet, frozen header, every person through `row`, formula-safe cells."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(headers)
    count = 0
    for person in queryset.iterator(chunk_size=2000):
        sheet.append(_text_cells(sheet, row(person)))
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def roster_export(*, actor, params):
    """Build the roster workbook for `params` (the roster page's GET parameters) and audit the export."""
    queryset, filters = roster_queryset(actor, params)
    content, count = _workbook("党员名册", EXPORT_HEADERS, _WIDTHS, queryset, _row)
    filename = export_filename(filters)
    with transaction.atomic():
        audit.record(actor=actor, event=audit.Event.EXPORT, object_type="members.person", object_repr="党员名册",
                     changes={"filters": describe_filters(filters),
                              "params": {k: (v.pk if k == "org" and v is not None else v)
                                         for k, v in filters.items() if v not in ("", None)},
                              "count": count, "file": filename})
    return ExportResult(content=content, filename=filename, count=count)


# --- the national Party member information system layout (全国党员管理信息系统, 16 items) -------------

NATIONAL_EXPORT_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.SUSPENDED)


def _national_row(person):
    from .importing import STANDING_NORMAL

    suspended = person.status == Status.SUSPENDED
    return [
        person.name, person.get_gender_display(), person.get_id_number(), person.ethnicity,
        f"{person.birth_date:%Y-%m-%d}", person.get_education_display(),
        # A suspended member keeps the category he had: 预备党员 until a 转正 date is on record.
        (Status.FULL.label if person.full_member_on else Status.PROBATIONARY.label) if suspended
        else person.get_status_display(),
        person.org.code or person.org.name,
        f"{person.joined_on:%Y-%m-%d}" if person.joined_on else "",
        f"{person.full_member_on:%Y-%m-%d}" if person.full_member_on else "",
        person.get_occupation_display(), person.get_phone(),
        Status.SUSPENDED.label if suspended else STANDING_NORMAL,
        _yes(person.lost_contact), _yes(person.is_mobile),
        f"{person.applied_on:%Y-%m-%d}" if person.applied_on else "",
    ]


def national_export(*, actor, params):
    """The party members of the roster filter in the national system's 16-item layout, with full ID numbers and
    phones (the national system keys people by ID number): only people of organisations the actor maintains
    (组织管理员, 书记), and the export is audited with its count. Every cell is text."""
    from .importing import NATIONAL

    queryset, filters = roster_queryset(actor, params)
    queryset = queryset.filter(scoping.scope_q(actor, "org__path", WRITE_ROLES), status__in=NATIONAL_EXPORT_STATUSES)
    widths = [22 if c.key in ("id_number", "org") else 13 for c in NATIONAL.columns]
    content, count = _workbook(NATIONAL.sheet_title, [c.header for c in NATIONAL.columns], widths, queryset,
                               _national_row)
    filename = export_filename(filters).replace("党员名册", "全国党员信息系统格式", 1)
    with transaction.atomic():
        audit.record(actor=actor, event=audit.Event.EXPORT, object_type="members.person",
                     object_repr="党员信息（全国党员管理信息系统格式，含完整身份证号）",
                     changes={"filters": describe_filters(filters), "count": count, "file": filename,
                              "layout": NATIONAL.key})
    return ExportResult(content=content, filename=filename, count=count)
