"""The Word document of the summary report, in the official layout the 发展党员 documents already use
(`dangjian.pipeline.doc_layout`: A4, GB/T 9704 margins, 仿宋_GB2312 三号 body with a fixed 28 pt line, 方正小标宋简体
title, 黑体 first-level headings, page numbers "— N —"); second-level headings in 楷体_GB2312.

Structure (as the seeds): 一、基本情况 · 二、主要做法和成效 (one part per area, with the charts after 三会一课) ·
三、特色亮点 · 四、存在的问题 · 五、下一步打算 · 附表 主要数据 (every non-zero figure). In each part the secretary's
text comes first, then the counted figures as prose."""

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from docx.enum.table import WD_TABLE_ALIGNMENT

from dangjian.pipeline.doc_layout import (HEADING_FONT, SIZE_3, SIZE_SMALL_4, TABLE_FONT, heading, new_document, para,
                                          set_font)
from dangjian.pipeline.doc_layout import title as doc_title

from . import charts
from .figures import AREA_KEYS

SUB_HEADING_FONT = "楷体_GB2312"
NUMERALS = "一二三四五六七八九十"
CHART_WIDTH = Mm(150)


def _numeral(n):
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def _sub_heading(doc, text):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    set_font(p.add_run(text), SUB_HEADING_FONT, SIZE_3)
    return p


def _paragraphs(doc, text):
    for line in (text or "").split("\n"):
        if line.strip():
            para(doc, line.strip())


def _caption(doc, text):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(text), TABLE_FONT, SIZE_SMALL_4)
    return p


def _image(doc, png):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = None   # the fixed 28 pt line of Normal would crop the picture
    p.add_run().add_picture(io.BytesIO(png), width=CHART_WIDTH)


def _charts(doc, report):
    if not any(m["count"] for m in report.by_month):
        return
    _image(doc, charts.meetings_by_month(report.by_month))
    _caption(doc, "图1 各月召开会议次数")
    if any(m["expected"] for m in report.by_month):
        _image(doc, charts.participation_by_month(report.by_month))
        _caption(doc, "图2 各月参会人次（柱）与出席率（线）")


def _table(doc, rows, widths):
    """A bordered table in the layout of doc_layout.table, filled row by row (doc_layout's cell(i, j) look-up is
    quadratic in the number of cells, too slow for a long table of figures)."""
    t = doc.add_table(rows=0, cols=len(rows[0]))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, values in enumerate(rows):
        for j, (cell, value) in enumerate(zip(t.add_row().cells, values)):
            cell.width = Mm(widths[j])
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing = Pt(20)
            if i == 0 or j >= 2:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_font(p.add_run(value), HEADING_FONT if i == 0 else TABLE_FONT, SIZE_SMALL_4)
    return t


def _figure_rows(report):
    rows = [["类别", "项目", "数量", "单位"]]
    for section in report.sections:
        if section.key in ("highlights",):
            continue
        for f in section.figures:
            if not f.is_zero:
                rows.append([section.title, f.label, f.text, f.unit])
    return rows


def build(report, *, title, texts):
    """The .docx as bytes. `texts` = {section key: the secretary's text}."""
    doc = new_document()
    doc_title(doc, title)
    p = para(doc, report.period_label, indent=False)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    number = iter(range(1, 20))
    basic = report.section("basic")
    heading(doc, f"{_numeral(next(number))}、基本情况")
    _paragraphs(doc, texts.get("basic"))
    para(doc, basic.auto_text)

    heading(doc, f"{_numeral(next(number))}、主要做法和成效")
    if report.empty:
        para(doc, f"{report.period_label}，平台中没有{report.org.name}（含下级组织）的组织生活、学习教育、服务活动、"
                  "发展党员、党费收缴等工作记录，以下各项数据均为零。请确认统计期间和组织是否选择正确，或先补录工作记录。")
    for i, key in enumerate(AREA_KEYS, start=1):
        section = report.section(key)
        _sub_heading(doc, f"（{_numeral(i)}）{section.title}")
        _paragraphs(doc, texts.get(key))
        para(doc, section.auto_text)
        if key == "meetings":
            _charts(doc, report)

    highlights = report.section("highlights")
    heading(doc, f"{_numeral(next(number))}、特色亮点")
    _paragraphs(doc, texts.get("highlights"))
    if highlights.sentences:
        para(doc, highlights.auto_text)

    problems = report.section("problems")
    heading(doc, f"{_numeral(next(number))}、存在的问题")
    _paragraphs(doc, texts.get("problems"))
    for sentence in problems.sentences:
        para(doc, sentence)

    heading(doc, f"{_numeral(next(number))}、下一步打算")
    _paragraphs(doc, texts.get("plans"))

    rows = _figure_rows(report)
    if len(rows) > 1:
        doc.add_page_break()
        heading(doc, "附表：主要数据")
        _table(doc, rows, widths=[40, 70, 25, 20])
        para(doc, f"数据来源：学校党建工作平台各项工作记录，统计范围为{report.org.name}及其下级组织，"
                  f"统计期间{report.period_label}；党员人数为截止日期的在册人数，存在的问题为"
                  f"{report.findings_on.year}年{report.findings_on.month}月{report.findings_on.day}日的检查结果。")

    para(doc, "")
    para(doc, report.org.name, indent=False, align="right")
    para(doc, f"{report.end.year}年{report.end.month}月{report.end.day}日", indent=False, align="right")

    core = doc.core_properties
    core.title, core.author = title, report.org.name
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
