"""Receiving documents through the use cases with in-memory ports: the order (declared size,
capped stream, inspection, store) and what is left behind. No disk, no libmagic."""

from __future__ import annotations

import hashlib

import pytest
from fakes import BytesSource, FakeFileStore, FakeInspector, FakePhotoBinder

from portal.documents import DocumentKind, DocumentRules, Refusal, RefusalCode, WarningCode
from portal.model import ClientFile, ForeignFile, ReceivedDocument
from portal.uploads import bind_photos, receive_document

RULES = DocumentRules(min_bytes=10, max_bytes=1000)
PDF = b"%PDF-1.7\n" + b"x" * 100 + b"\n%%EOF"
JPEG = b"\xff\xd8" + b"j" * 200


async def receive(
    data: bytes, *, name: str = "ligums.pdf", declared: int | None = None, client_id: int = 5
) -> tuple[ReceivedDocument | Refusal, FakeFileStore, BytesSource]:
    store, source = FakeFileStore(), BytesSource(data, chunk=64)
    received = await receive_document(
        client_id=client_id,
        source=source,
        declared_name=name,
        declared_size=declared,
        rules=RULES,
        store=store,
        inspector=FakeInspector(store),
    )
    return received, store, source


async def test_a_declared_size_over_the_limit_is_refused_before_reading_a_byte() -> None:
    received, store, source = await receive(PDF, declared=1001)
    assert received == Refusal(RefusalCode.TOO_LARGE, limit=1000, size=1001)
    assert source.read_bytes == 0 and store.staged == {} and store.stored == {}


async def test_more_bytes_than_the_limit_stop_the_stream_at_limit_plus_one() -> None:
    received, store, source = await receive(b"%PDF-" + b"x" * 5000)
    assert isinstance(received, Refusal) and received.code is RefusalCode.TOO_LARGE
    assert source.read_bytes == 1001 and store.staged == {}


async def test_a_document_is_stored_under_its_hash_for_its_client() -> None:
    received, store, _source = await receive(PDF, name="../../Līgums.docx")
    assert isinstance(received, ReceivedDocument)
    sha = hashlib.sha256(PDF).hexdigest()
    assert received.file == ClientFile(5, sha, len(PDF), DocumentKind.PDF, "Līgums.pdf")
    assert [w.code for w in received.warnings] == [WarningCode.RENAMED]
    assert store.stored == {sha: PDF} and store.staged == {}


async def test_a_refused_file_leaves_nothing_behind() -> None:
    received, store, _source = await receive(b"MZ" + b"\0" * 100, name="rekins.pdf")
    assert isinstance(received, Refusal) and received.code is RefusalCode.NOT_ALLOWED
    assert store.staged == {} and store.stored == {}


async def test_photos_become_one_pdf_of_their_own_client_only() -> None:
    store, binder = FakeFileStore(), FakePhotoBinder()
    inspector = FakeInspector(store, picture_size=(600, 800))
    pages = []
    for n in range(2):
        got = await receive_document(
            client_id=5,
            source=BytesSource(JPEG + bytes([n])),
            declared_name=None,
            declared_size=None,
            rules=RULES,
            store=store,
            inspector=inspector,
        )
        assert isinstance(got, ReceivedDocument)
        assert [w.code for w in got.warnings] == [WarningCode.PHOTO_TOO_SMALL]
        pages.append(got.file)
    bound = await bind_photos(
        client_id=5,
        pages=pages,
        name="Pavadzīme",
        rules=RULES,
        store=store,
        inspector=inspector,
        binder=binder,
    )
    assert isinstance(bound, ReceivedDocument) and bound.file.name == "Pavadzīme.pdf"
    assert binder.bound == [[store.path(page) for page in pages]]
    with pytest.raises(ForeignFile):
        await bind_photos(
            client_id=6,
            pages=pages,
            name=None,
            rules=RULES,
            store=store,
            inspector=inspector,
            binder=binder,
        )
