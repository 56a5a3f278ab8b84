"""The yearly publication (公示) of dues collection as an Excel workbook."""

import io

import openpyxl
from openpyxl.styles import Alignment, Font

from dangjian.core import audit

HEADERS = ["党组织", "交纳党员数", "应缴月次", "已缴月次", "收缴率", "应缴金额（元）", "已缴金额（元）", "未缴金额（元）",
           "自愿多交（元）", "其中上缴中央（元）"]
WIDTHS = [30, 12, 10, 10, 10, 14, 14, 14, 14, 16]


def _no_formulas(sheet):
    """Formula injection: text from the database (an organisation's name) that starts with "=" would be stored as a
    formula; store it as a plain string cell, which Excel shows and never evaluates."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                cell.data_type = "s"


def publication_export(*, actor, context):
    """Workbook bytes for the publication page's context; the export is audited."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = f"{context['year']}年党费收缴"
    org = context["org"]
    sheet.append([f"{org.name if org else ''} {context['year']}年度党费收缴情况公示"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in context["rows"]:
        sheet.append([r["org__name"], r["members"], r["bills"], r["paid_bills"], r["rate"], r["due"], r["collected"],
                      r["owed"], r["voluntary"], r["centre"]])
    t = context["totals"]
    if t:
        sheet.append(["合计", t["members"], t["bills"], t["paid_bills"], t["rate"], t["due"], t["collected"], t["owed"],
                      t["voluntary"], t["centre"]])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=3, min_col=6, max_col=10):
        for cell in row:
            cell.number_format = "#,##0.00"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.append([])
    sheet.append([f"公示日期：{context['today']:%Y-%m-%d}。按账单生成时所在党组织统计；自愿多交党费单独列示。"])
    _no_formulas(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(actor=actor, event=audit.Event.EXPORT, object_type="dues.publication",
                 object_id=str(org.pk if org else ""), object_repr=f"党费收缴公示 {context['year']}年",
                 changes={"rows": len(context["rows"])})
    return buffer.getvalue()
