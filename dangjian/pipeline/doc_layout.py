"""The official layout of the 发展党员 documents (GB/T 9704 where it applies): A4, margins 上37mm 下35mm 左28mm
右26mm, body in 仿宋_GB2312 三号 with a fixed 28 pt line (22 lines a page), titles in 方正小标宋简体 二号, headings in
黑体 三号, tables in 宋体 小四, page numbers "— 1 —" in 宋体 四号 centred in the footer.

python-docx sets only the Latin font name; Chinese text takes the *eastAsia* font, set here on every run and
style (`set_font`)."""

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

BODY_FONT, TITLE_FONT, HEADING_FONT, TABLE_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "宋体"
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4 = Pt(22), Pt(16), Pt(14), Pt(12)   # 二号, 三号, 四号, 小四
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}


def set_font(target, name, size=None, bold=None):
    """Latin and East Asian font of a run or a style."""
    font = target.font
    font.name = name
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _page_number(paragraph):
    """"— N —" with a PAGE field."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(paragraph.add_run("— "), TABLE_FONT, SIZE_4)
    run = paragraph.add_run()
    set_font(run, TABLE_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text.strip() == "PAGE" else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    set_font(paragraph.add_run(" —"), TABLE_FONT, SIZE_4)


def new_document():
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.footer_distance = Mm(25)
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, SIZE_3)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    _page_number(section.footer.paragraphs[0])
    return doc


def title(doc, text):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = Pt(36)
    p.paragraph_format.space_after = Pt(14)
    set_font(p.add_run(text), TITLE_FONT, SIZE_2)
    return p


def heading(doc, text):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    set_font(p.add_run(text), HEADING_FONT, SIZE_3)
    return p


def para(doc, text, *, indent=True, align=None):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)   # two characters of 三号
    if align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_font(p.add_run(text), BODY_FONT, SIZE_3)
    return p


def table(doc, rows, widths=None):
    """A bordered table; `rows` is a list of lists of cell texts (the first row is the header, in 黑体)."""
    t = doc.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, values in enumerate(rows):
        for j, value in enumerate(values):
            cell = t.cell(i, j)
            if widths:
                cell.width = Mm(widths[j])
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing = Pt(20)
            if i == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_font(p.add_run(value), HEADING_FONT if i == 0 else TABLE_FONT, SIZE_SMALL_4)
    return t
