"""PDF documents with fpdf2 (pure Python), in DejaVu Sans: Latvian letters need a Unicode
font, and a bundled one draws the same on every machine (fonts/LICENSE)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal.model import Bullets, Fields, Heading, Paragraph, PrintedDocument

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_LINE = 6.0  # mm, body text
_LABEL_SHARE = 0.38  # of the text width, for a field's label


def _utc(moment: datetime) -> datetime:
    """A database may give a naive UTC time back (SQLite): the same instant either way."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


class FpdfWriter:
    """`portal.ports.PdfWriter`: A4, one column, headings, paragraphs, label/value fields."""

    def render(self, document: PrintedDocument) -> bytes:
        pdf = _Pdf(footer=document.footer)
        pdf.set_lang(document.language)
        pdf.set_title(document.title)
        pdf.set_author("ALTUM")
        pdf.set_creator("ALTUM Telegram assistant")
        if document.created_at is not None:  # fpdf2 hashes it into the file's /ID too
            pdf.set_creation_date(_utc(document.created_at))
        pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 16)
        pdf.multi_cell(0, 8, document.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if document.subtitle:
            pdf.set_font(FAMILY, "", 10)
            pdf.set_text_color(90, 107, 124)
            pdf.multi_cell(0, 5, document.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
        for block in document.blocks:
            if isinstance(block, Heading):
                pdf.ln(2)
                pdf.set_font(FAMILY, "B", 12)
                pdf.multi_cell(0, 7, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            elif isinstance(block, Paragraph):
                pdf.set_font(FAMILY, "", 10.5)
                pdf.multi_cell(0, _LINE, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1.5)
            elif isinstance(block, Bullets):
                pdf.set_font(FAMILY, "", 10.5)
                for item in block.items:
                    pdf.multi_cell(0, _LINE, f"•  {item}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1.5)
            elif isinstance(block, Fields):
                _fields(pdf, block)
        return bytes(pdf.output())


class _Pdf(FPDF):
    def __init__(self, *, footer: str) -> None:
        super().__init__(format="A4")
        self._footer_text = footer

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(90, 107, 124)
        page = f"{self.page_no()}/{{nb}}"
        text = f"{self._footer_text} · {page}" if self._footer_text else page
        self.cell(0, 5, text, align="R")


def _fields(pdf: FPDF, block: Fields) -> None:
    label_width = pdf.epw * _LABEL_SHARE
    with pdf.table(
        col_widths=(label_width, pdf.epw - label_width),
        first_row_as_headings=False,
        line_height=_LINE - 0.5,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for label, value in block.rows:
            row = table.row()
            pdf.set_font(FAMILY, "B", 9.5)
            row.cell(label)
            pdf.set_font(FAMILY, "", 9.5)
            row.cell(value)
    pdf.ln(2)
