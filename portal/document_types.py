"""«Dokumenta tips»: the kinds of document a client sends ALTUM, as data in both languages.

The portal's own list is not public; these are the documents its manual and ALTUM's
application forms ask for. Changing the list is changing this table, nothing else: ids are
stored with each document, so an id is never reused for another meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DocumentType:
    id: str  # ASCII, short: it travels in callback data
    lv: str
    en: str

    def label(self, locale: str) -> str:
        return self.lv if locale == "lv" else self.en


DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType("invoice", "Rēķins", "Invoice"),
    DocumentType("contract", "Līgums", "Contract"),
    DocumentType("annual", "Gada pārskats", "Annual report"),
    DocumentType("interim", "Starpperiodu pārskats", "Interim financial statements"),
    DocumentType("cashflow", "Naudas plūsmas prognoze", "Cash-flow forecast"),
    DocumentType("bank", "Bankas izziņa vai piekrišana", "Bank statement or consent"),
    DocumentType("payment", "Maksājuma uzdevums", "Payment order"),
    DocumentType("acceptance", "Pieņemšanas-nodošanas akts", "Acceptance certificate"),
    DocumentType("report", "Atskaite", "Report"),
    DocumentType("technical", "Tehniskā dokumentācija", "Technical documentation"),
    DocumentType("statutes", "Statūti", "Articles of association"),
    DocumentType("other", "Cits dokuments", "Other document"),
)
BY_ID: Mapping[str, DocumentType] = {entry.id: entry for entry in DOCUMENT_TYPES}


def document_type(type_id: str | None) -> DocumentType | None:
    return BY_ID.get(type_id or "")
