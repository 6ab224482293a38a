"""The PDF writer: Latvian text survives (a Unicode font), every block is drawn, long
documents break into pages with the footer on each."""

from __future__ import annotations

import pypdfium2 as pdfium

from integrations.pdf import FpdfWriter
from portal.model import Bullets, Fields, Heading, Paragraph, PrintedDocument
from portal.ports import PdfWriter


def text_of(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def test_a_document_in_latvian_reads_back_with_every_block() -> None:
    writer: PdfWriter = FpdfWriter()
    pdf = writer.render(
        PrintedDocument(
            title="Naudas līdzekļu izsniegšana",
            subtitle='SIA "Ozolkalna Koks", 40103999940',
            language="lv",
            blocks=(
                Heading("Izmaksa"),
                Fields(rows=(("Summa", "12 500,00 €"), ("Konts", "LV80BANK0000435195001"))),
                Paragraph("Ģirts Ēķis parakstīja 05.12.2026 plkst. 09:15."),
                Bullets(items=("Pirmais", "Otrais")),
            ),
            footer="SHA-256: 3f5a…c2",
        )
    )
    assert pdf.startswith(b"%PDF-")
    (page,) = text_of(pdf)
    for expected in (
        "Naudas līdzekļu izsniegšana",
        "Ozolkalna Koks",
        "Izmaksa",
        "Summa",
        "12 500,00 €",
        "LV80BANK0000435195001",
        "Ģirts Ēķis parakstīja",
        "Pirmais",
        "SHA-256: 3f5a…c2",
        "1/1",
    ):
        assert expected in page, expected
    assert b"/Lang (lv)" in pdf


def test_a_long_document_breaks_into_pages_each_with_its_footer() -> None:
    paragraph = Paragraph("Šis teksts atkārtojas, lai dokuments aizņemtu vairākas lapas. " * 12)
    pdf = FpdfWriter().render(
        PrintedDocument(
            title="Lietotāja rokasgrāmata",
            language="lv",
            blocks=(paragraph,) * 30,
            footer="ALTUM",
        )
    )
    pages = text_of(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"ALTUM · {number}/{len(pages)}" in page
