"""The 答复函 as a Word file (python-docx), from the same parts as the printable page
(workflow/readmodels/letters.py): A4, the category mark at the top right, 文号 and 签发人, the title, the
deputy addressed, the reply, the unit and date where the seal goes, 承办人 and phone, 抄送."""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from workflow.readmodels.letters import Letter

BODY_FONT = "仿宋_GB2312"  # 公文 body text (GB/T 9704); Word falls back to another 仿宋 or 宋体
TITLE_FONT = "方正小标宋简体"


def _run(paragraph, text: str, size: float = 16, font: str = BODY_FONT, bold: bool = False):
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)  # CJK text uses it too
    return run


def _line(doc, text: str, align=WD_ALIGN_PARAGRAPH.LEFT, size: float = 16, font: str = BODY_FONT,
          indent: bool = False, bold: bool = False):
    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        _run(paragraph, text, size, font, bold)
    return paragraph


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)


def letter_docx(letter: Letter) -> bytes:
    """The .docx bytes of `letter`."""
    doc = Document()
    _page(doc)
    doc.core_properties.title = letter.title
    _line(doc, letter.category, WD_ALIGN_PARAGRAPH.RIGHT, size=22, bold=True)
    header = _line(doc, letter.doc_number)
    header.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), WD_TAB_ALIGNMENT.RIGHT)  # 签发人 at the right
    _run(header, f"\t签发人：{letter.signer_line}")
    _line(doc, "")
    _line(doc, letter.title, WD_ALIGN_PARAGRAPH.CENTER, size=22, font=TITLE_FONT)
    _line(doc, "")
    _line(doc, letter.addressee)
    for text in letter.paragraphs:
        _line(doc, text, indent=True)
    _line(doc, "")
    _line(doc, "（盖章）", WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    _line(doc, letter.unit_name, WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, letter.date, WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "")
    if letter.contact_line:
        _line(doc, letter.contact_line, indent=True)
    _line(doc, "")
    _line(doc, f"抄送：{letter.copy_to}。", size=14)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
