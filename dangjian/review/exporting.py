"""The results of one round as an Excel workbook (formula-safe cells: members.exporting), audited."""

import io
import re

import openpyxl

from dangjian.core import audit
from dangjian.members.exporting import _text_cells, content_disposition  # noqa: F401 - content_disposition re-used

HEADERS = ["姓名", "类别", "互评·优秀", "互评·合格", "互评·基本合格", "互评·不合格", "教职工·优秀", "教职工·合格",
           "教职工·基本合格", "教职工·不合格", "支委会建议等次", "评定等次", "处置方式", "改正期限", "办结日期"]
_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff-]+")


def _label(choices, value):
    return dict(choices).get(value, "")


def results_export(*, actor, context):
    """(bytes, filename) of the results page's context."""
    from .models import Grade

    round_ = context["round"]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("评议结果")
    sheet.append(_text_cells(sheet, [f"{round_.org.name} {round_.year}年度民主评议党员结果"]))
    sheet.append(HEADERS)
    show_tally = round_.results_visible
    for r in context["rows"]:
        follow = r.follow
        sheet.append(_text_cells(sheet, [
            r.person.name, "预备党员" if r.probationary else "正式党员",
            *(r.peer if show_tally else [""] * 4), *(r.staff if show_tally else [""] * 4),
            _label(Grade.choices, r.proposed_grade), _label(Grade.choices, r.final_grade),
            follow.get_measure_display() if follow else "", follow.due_on if follow else None,
            follow.closed_on if follow else None]))
    sheet.append([])
    sheet.append(["等次分布"])
    for label, count in context["distribution"]:
        sheet.append([label, count])
    branch = context["branch"]
    if show_tally:
        sheet.append([])
        sheet.append(["教职工对党支部的整体评价"])
        for label, count in branch["rows"]:
            sheet.append([label, count])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(actor=actor, event=audit.Event.EXPORT, obj=round_, object_type="review.results",
                 object_repr=f"民主评议结果：{round_}", changes={"rows": len(context["rows"])})
    filename = f"民主评议结果_{_UNSAFE.sub('_', round_.org.name)}_{round_.year}.xlsx"
    return buffer.getvalue(), filename
