"""Receiving documents: declared size → capped stream → inspection → content-addressed store.

The use cases here know the order and the rules; the ports say what they need: a byte source
(Telegram's download, an HTTP body), a file store (`integrations/files/store.py`), an
inspector that reads the bytes (`integrations/files/inspection.py`) and a binder that makes
photos into one PDF (`integrations/files/photos.py`).

A stored file is given back only through a `ClientFile`, the record of *which client* holds
it; the store has no "read by hash" for callers. Whoever builds `ClientFile`s from the database
(the document records of a later issue) must look them up by client, so a user only ever gets
files of a client they act for.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal.documents import (
    PICTURES,
    DocumentRules,
    Refusal,
    RefusalCode,
    check_size,
    photo_legibility,
)
from portal.model import ClientFile, ForeignFile, ReceivedDocument, Staged
from portal.ports import ByteSource, DocumentInspector, FileStore, PhotoBinder


async def receive_document(
    *,
    client_id: int,
    source: ByteSource,
    declared_name: str | None,
    declared_size: int | None,
    rules: DocumentRules,
    store: FileStore,
    inspector: DocumentInspector,
) -> ReceivedDocument | Refusal:
    """Check and store one file. Call before downloading anything: a declared size out of
    bounds is refused without reading a byte (`source.read` is not called)."""
    early = check_size(declared_size, rules)
    if early is not None:
        return early
    staged = await store.stage(source, max_bytes=rules.max_bytes)
    if staged is None:
        return Refusal(RefusalCode.TOO_LARGE, limit=rules.max_bytes, size=declared_size)
    return await _keep(client_id, staged, declared_name, rules, store, inspector)


async def receive_staged(
    *,
    client_id: int,
    staged: Staged | None,
    declared_name: str | None,
    declared_size: int | None,
    rules: DocumentRules,
    store: FileStore,
    inspector: DocumentInspector,
) -> ReceivedDocument | Refusal:
    """As `receive_document`, for bytes staged earlier (downloaded before the update's
    transaction); `staged` None: the stream passed `max_bytes`. The staged file is committed
    or discarded."""
    early = check_size(declared_size, rules)
    if early is not None:
        if staged is not None:
            await store.discard(staged)
        return early
    if staged is None:
        return Refusal(RefusalCode.TOO_LARGE, limit=rules.max_bytes, size=declared_size)
    return await _keep(client_id, staged, declared_name, rules, store, inspector)


async def bind_photos(
    *,
    client_id: int,
    pages: Sequence[ClientFile],
    name: str | None,
    rules: DocumentRules,
    store: FileStore,
    inspector: DocumentInspector,
    binder: PhotoBinder,
) -> ReceivedDocument | Refusal:
    """Several stored pictures (photos) as the pages of one PDF, in the order given."""
    if any(page.client_id != client_id for page in pages):
        raise ForeignFile("a page belongs to another client")
    if not pages or any(page.kind not in PICTURES for page in pages):
        raise ValueError("only pictures are bound into a PDF")
    if len(pages) > rules.max_pages:
        return Refusal(RefusalCode.TOO_MANY_PAGES, limit=rules.max_pages)
    # JPEG pages go into the PDF as they are: their sum is about the PDF's size.
    if sum(page.size for page in pages) > rules.max_bytes:
        return Refusal(RefusalCode.TOO_LARGE, limit=rules.max_bytes)
    pdf = await binder.bind([store.path(page) for page in pages], rules=rules)
    if isinstance(pdf, Refusal):
        return pdf
    staged = await store.stage(_OneChunk(pdf), max_bytes=rules.max_bytes)
    if staged is None:
        return Refusal(RefusalCode.TOO_LARGE, limit=rules.max_bytes, size=len(pdf))
    return await _keep(client_id, staged, name or "", rules, store, inspector, force_pdf=True)


async def _keep(
    client_id: int,
    staged: Staged,
    declared_name: str | None,
    rules: DocumentRules,
    store: FileStore,
    inspector: DocumentInspector,
    *,
    force_pdf: bool = False,
) -> ReceivedDocument | Refusal:
    try:
        refusal = check_size(staged.size, rules)
        if refusal is not None:
            return refusal
        if force_pdf:  # our own PDF: the name is the person's, the extension ours
            declared_name = _with_pdf_extension(declared_name)
        found = await inspector.inspect(staged.path, declared_name=declared_name, rules=rules)
        if isinstance(found, Refusal):
            return found
        warnings = found.warnings
        if found.kind in PICTURES and found.width and found.height:
            small = photo_legibility(found.width, found.height, rules)
            warnings += (small,) if small else ()
        await store.commit(staged)
    finally:
        await store.discard(staged)
    stored = ClientFile(client_id, staged.sha256, staged.size, found.kind, found.name)
    return ReceivedDocument(stored, warnings)


def _with_pdf_extension(name: str | None) -> str:
    name = (name or "").strip()
    return name if name.lower().endswith(".pdf") else name + ".pdf"


class _OneChunk:
    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._offset = 0

    async def read(self, n: int = -1, /) -> bytes:
        end = len(self._view) if n < 0 else self._offset + n
        chunk = bytes(self._view[self._offset : end])
        self._offset += len(chunk)
        return chunk
