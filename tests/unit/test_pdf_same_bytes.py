"""A PrintedDocument with its creation date draws the same bytes each time (the chat's copy of
a submitted application and the API's), whether the date comes back naive (SQLite) or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from integrations.pdf import FpdfWriter
from portal.model import Fields, Heading, PrintedDocument

DOCUMENT = PrintedDocument(
    title="Naudas līdzekļu izsniegšana",
    language="lv",
    blocks=(Heading("Izmaksa"), Fields((("Summa", "12 000,00 EUR"),))),
    footer="Satura jaucējkods: " + "a" * 64,
    created_at=datetime(2026, 12, 5, 3, 0, 1, 123456, tzinfo=UTC),
)


def test_the_same_document_the_same_bytes() -> None:
    writer = FpdfWriter()
    first = writer.render(DOCUMENT)
    assert writer.render(DOCUMENT) == first
    naive = replace(DOCUMENT, created_at=datetime(2026, 12, 5, 3, 0, 1, 999))
    assert writer.render(naive) == first
    later = replace(DOCUMENT, created_at=datetime(2026, 12, 5, 3, 0, 2, tzinfo=UTC))
    assert writer.render(later) != first
