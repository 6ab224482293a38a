"""A document the bot hands out as a PDF (a submitted application, the user guide): its text
in blocks, already in the reader's language. How it is drawn is the `PdfWriter`'s business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    """Label and value pairs, e.g. an application's answers."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


Block = Heading | Paragraph | Fields | Bullets


@dataclass(frozen=True, slots=True)
class PrintedDocument:
    title: str
    language: str  # "lv" or "en": the PDF's declared language
    blocks: tuple[Block, ...]
    subtitle: str = ""
    footer: str = ""  # on every page, e.g. the content hash a signature binds
    # The PDF's creation date (UTC); given, the same document draws the same bytes each time
    # (a submitted application: the chat's copy and the API's are byte for byte the same).
    created_at: datetime | None = None
