"""A submitted application's PDF for the chat (issue 9 item 5): drawn as the API draws it
(`application_document` → `PdfWriter`) and kept in the content store during the submission's
transaction, so the outbox row that sends it names a file that is already complete on disk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from portal.application_document import application_document
from portal.forms import FormCatalogue
from portal.model import StoredDocument
from portal.ports import FileStore, PdfWriter, UnitOfWork


@dataclass(frozen=True, slots=True)
class Printing:
    """What a submission needs to hand out its PDF (None where a surface has no store)."""

    pdf: PdfWriter
    store: FileStore


class _Bytes:
    """Our own PDF as a `ByteSource` for `FileStore.stage`."""

    def __init__(self, data: bytes) -> None:
        self._data, self._offset = data, 0

    async def read(self, n: int = -1, /) -> bytes:
        end = len(self._data) if n < 0 else self._offset + n
        chunk = self._data[self._offset : end]
        self._offset += len(chunk)
        return chunk


async def store_submitted_pdf(
    *, uow: UnitOfWork, forms: FormCatalogue, printing: Printing, application_id: int
) -> StoredDocument:
    """Render the submitted application (in Latvian, ALTUM's copy) and keep it by its hash."""
    document = await application_document(
        uow=uow, forms=forms, application_id=application_id, language="lv"
    )
    data = await asyncio.to_thread(printing.pdf.render, document)
    staged = await printing.store.stage(_Bytes(data), max_bytes=len(data))
    if staged is None:  # cannot happen: the limit is the length
        raise RuntimeError("the application's PDF could not be staged")
    try:
        await printing.store.commit(staged)
    finally:
        await printing.store.discard(staged)
    return StoredDocument(sha256=staged.sha256, name=f"application-{application_id}.pdf")
