"""How the drafts written with python-docx look: an A4 page with the margins of 党政机关公文格式 (GB/T 9704),
the title in 方正小标宋简体, headings in 黑体 and 楷体_GB2312, the body in 仿宋_GB2312 三号 with a 28-point line,
tables in 仿宋 小四. A computer without a font shows Word's or WPS's substitute; the text stays the same.

Chinese text needs its font named as the East Asian font (w:eastAsia): python-docx's `font.name` sets
only the Latin one, so `east_asian` writes all four names and drops the theme's, which would win."""
from __future__ import annotations

from typing import Sequence

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
LATIN_FONT = "Times New Roman"  # figures and Latin letters in 公文
TITLE_SIZE, BODY_SIZE, TABLE_SIZE = Pt(22), Pt(16), Pt(12)  # 二号, 三号, 小四
LINE = Pt(28)
PLACEHOLDER = "【请补充】"


def east_asian(element, name: str, latin: str = LATIN_FONT) -> None:
    """Name `name` as the East Asian font of a run or style element (`latin` for Latin letters and figures)."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", name)):
        fonts.set(qn(attr), value)


def new_document(title: str, author: str):
    """An empty A4 document whose Normal, Heading 1 and Heading 2 styles are the 公文 ones."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    east_asian(normal.element, BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_after = Pt(0)
    for style_name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        style = doc.styles[style_name]
        style.font.size, style.font.bold, style.font.color.rgb = BODY_SIZE, False, RGBColor(0, 0, 0)
        east_asian(style.element, font)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(0), Pt(0)
        style.paragraph_format.first_line_indent = Pt(32)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = LINE
    doc.core_properties.title, doc.core_properties.author = title, author
    return doc


def title(doc, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing = Pt(36)
    run = paragraph.add_run(text)
    run.font.size = TITLE_SIZE
    east_asian(run._r, TITLE_FONT)


def centered(doc, text: str, font: str = SUBHEADING_FONT) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    east_asian(paragraph.add_run(text)._r, font)


def heading(doc, text: str, level: int = 1) -> None:
    """一、… (level 1, 黑体) or （一）… (level 2, 楷体): Word's heading styles, so the navigation pane lists them."""
    doc.add_paragraph(text, style=f"Heading {level}")


def body(doc, text: str) -> None:
    """A body paragraph, indented two characters."""
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def table(doc, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A ruled table in 小四, the header row bold and repeated on each page."""
    grid = doc.add_table(rows=1, cols=len(header))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, header):
        _cell(cell, text, bold=True)
    header_row = grid.rows[0]._tr.get_or_add_trPr()
    header_row.append(header_row.makeelement(qn("w:tblHeader"), {}))
    for values in rows:
        for cell, value in zip(grid.add_row().cells, values):
            _cell(cell, "" if value is None else str(value))
    doc.add_paragraph()


def _cell(cell, text: str, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Pt(0)
    run = paragraph.add_run(text)
    run.font.size, run.font.bold = TABLE_SIZE, bold
    east_asian(run._r, HEADING_FONT if bold else BODY_FONT)
