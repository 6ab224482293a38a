"""The user guide is made from the section registry: every section with a menu button, its
description, its own buttons and commands, in the reader's language, and the support contacts;
the PDF reads back with Latvian letters. The portal map shows the same tree."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from bot.i18n import create_i18n
from dialogs.guide import guide_document, guide_pdf
from dialogs.help import portal_map
from dialogs.routers import registered_sections
from integrations.pdf import FpdfWriter
from portal.model import Bullets, Fields, Heading, Paragraph

I18N = create_i18n()
SECTIONS = registered_sections()


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.mark.parametrize("locale", ["lv", "en"])
def test_the_guide_has_every_section_of_the_menu_in_the_readers_language(locale: str) -> None:
    with I18N.context(), I18N.use_locale(locale):
        document = guide_document(SECTIONS, support_phone="+371 1", support_email="a@b.lv")
        headings = [b.text for b in document.blocks if isinstance(b, Heading)]
        paragraphs = [b.text for b in document.blocks if isinstance(b, Paragraph)]
        bullets = [item for b in document.blocks if isinstance(b, Bullets) for item in b.items]
        for section in SECTIONS:
            if section.menu is None:
                continue
            assert str(section.menu.label) in headings
            assert str(section.help) in paragraphs
            assert all(str(item) in bullets for item in section.map_items)
            assert all(any(f"/{c.name} — " in b for b in bullets) for c in section.commands)
        (support,) = [b for b in document.blocks if isinstance(b, Fields)]
        assert ("+371 1" in dict(support.rows).values()) and document.language == locale


def test_the_pdf_reads_back_in_latvian() -> None:
    pdf = guide_pdf(
        I18N, SECTIONS, FpdfWriter(), "lv", support_phone="+371 67774010", support_email="x@y.lv"
    )
    assert pdf.startswith(b"%PDF-")
    text = " ".join(pdf_text(pdf).split())
    for expected in (
        "ALTUM klientu asistents: lietotāja rokasgrāmata",
        "Administrēšana",
        "Klienta veiktās darbības",
        "Mainīt tālruni",
        "Palīdzība un portāla karte",
        "+371 67774010",
    ):
        assert expected in text


def test_the_portal_map_is_the_menu_as_a_tree() -> None:
    with I18N.context(), I18N.use_locale("lv"):
        lines = portal_map(SECTIONS).splitlines()
    admin = next(i for i, line in enumerate(lines) if "Administrēšana</b>" in line)
    assert lines[admin + 1 : admin + 4] == [
        "    └ ➕ Pievienot jaunu",
        "    └ ✏️ Labot",
        "    └ 💾 Saglabāt",
    ]
