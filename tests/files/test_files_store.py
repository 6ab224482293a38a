"""Receiving a document end to end below the dialogs: declared size, the capped stream, the
inspection and the content-addressed store (portal/uploads.py over integrations/files)."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import file_samples as samples
import pytest

from integrations.files import (
    BytesSource,
    ContentStore,
    FileInspector,
    IteratorSource,
    StoreCorrupted,
)
from portal.documents import MIB, DocumentKind, DocumentRules, Refusal, RefusalCode
from portal.model import ClientFile, ReceivedDocument
from portal.uploads import receive_document

RULES = DocumentRules()
CLIENT = 17


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "files")


async def receive(
    store: ContentStore,
    source: BytesSource | IteratorSource,
    name: str,
    declared: int | None = None,
) -> ReceivedDocument | Refusal:
    return await receive_document(
        client_id=CLIENT,
        source=source,
        declared_name=name,
        declared_size=declared,
        rules=RULES,
        store=store,
        inspector=FileInspector(),
    )


def stored_files(store: ContentStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


async def read_back(store: ContentStore, file: ClientFile) -> bytes:
    return b"".join([chunk async for chunk in store.chunks(file)])


async def test_a_document_is_stored_under_its_hash_and_read_back(store: ContentStore) -> None:
    data = samples.pdf(size=50_000)
    received = await receive(store, BytesSource(data), "Rēķins.pdf", len(data))
    assert isinstance(received, ReceivedDocument)
    file = received.file
    assert (file.client_id, file.kind, file.name, file.size) == (
        CLIENT,
        DocumentKind.PDF,
        "Rēķins.pdf",
        len(data),
    )
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert file.media_type == "application/pdf"
    path = store.path(file)
    assert path.name == file.sha256 and path.parent.name == file.sha256[2:4]
    assert await read_back(store, file) == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert list((store.root / "staging").iterdir()) == []


async def test_exactly_the_maximum_is_accepted_and_one_byte_more_is_not(
    store: ContentStore,
) -> None:
    exact = samples.pdf(size=20 * MIB)
    assert len(exact) == 20 * MIB
    received = await receive(store, BytesSource(exact), "liels.pdf", None)
    assert isinstance(received, ReceivedDocument)
    assert received.file.size == 20 * MIB

    over = samples.pdf(size=20 * MIB + 1)
    source = BytesSource(over)
    refused = await receive(store, source, "par liels.pdf", None)  # Telegram gave no size
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.limit) == (RefusalCode.TOO_LARGE, 20 * MIB)
    assert source.bytes_read == 20 * MIB + 1  # never more than the limit and one byte
    assert stored_files(store) == [store.path(received.file)]  # nothing of the refused one


async def test_a_declared_size_out_of_bounds_is_refused_before_reading(store: ContentStore) -> None:
    for declared, code in [
        (0, RefusalCode.EMPTY),
        (1023, RefusalCode.TOO_SMALL),
        (20 * MIB + 1, RefusalCode.TOO_LARGE),
    ]:
        source = BytesSource(samples.pdf())
        refused = await receive(store, source, "a.pdf", declared)
        assert isinstance(refused, Refusal)
        assert (refused.code, refused.size) == (code, declared)
        assert source.bytes_read == 0
    assert not store.root.exists()  # not even the directories


async def test_the_real_size_counts_whatever_was_declared(store: ContentStore) -> None:
    for data, code in [(b"", RefusalCode.EMPTY), (samples.pdf(size=1023), RefusalCode.TOO_SMALL)]:
        refused = await receive(store, BytesSource(data), "a.pdf", 5000)  # the declaration lied
        assert isinstance(refused, Refusal)
        assert (refused.code, refused.size) == (code, len(data))
    accepted = await receive(store, BytesSource(samples.pdf(size=1024)), "a.pdf", 1024)
    assert isinstance(accepted, ReceivedDocument)
    assert stored_files(store) == [store.path(accepted.file)]


async def test_a_refused_file_leaves_nothing_behind(store: ContentStore) -> None:
    refused = await receive(store, BytesSource(samples.pe_executable()), "rekins.pdf", 4096)
    assert isinstance(refused, Refusal)
    assert refused.code is RefusalCode.EXECUTABLE
    assert stored_files(store) == []


async def test_the_same_content_is_stored_once(store: ContentStore) -> None:
    data = samples.docx()
    first = await receive(store, BytesSource(data), "Iesniegums.docx", None)
    second = await receive(store, BytesSource(data), "kopija.doc", None)
    assert isinstance(first, ReceivedDocument) and isinstance(second, ReceivedDocument)
    assert first.file.sha256 == second.file.sha256
    assert (first.file.name, second.file.name) == ("Iesniegums.docx", "kopija.docx")
    assert [w.code.value for w in second.warnings] == ["renamed"]
    assert len(stored_files(store)) == 1


async def test_a_broken_download_leaves_no_partial_file(store: ContentStore) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield samples.pdf(size=300_000)[:200_000]
        raise ConnectionResetError("the network went away")

    with pytest.raises(ConnectionResetError):
        await receive(store, IteratorSource(chunks()), "a.pdf", 300_000)
    assert stored_files(store) == []


async def test_large_chunks_are_cut_to_the_cap(store: ContentStore) -> None:
    """A source that hands over 8 MiB at a time still gives the store max + 1 bytes."""
    data = samples.pdf(size=30 * MIB)
    handed: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 8 * MIB):
            handed.append(start)
            yield data[start : start + 8 * MIB]

    refused = await receive(store, IteratorSource(chunks()), "a.pdf", None)
    assert isinstance(refused, Refusal) and refused.code is RefusalCode.TOO_LARGE
    assert len(handed) == 3  # the fourth chunk (past 24 MiB) was never pulled


async def test_a_damaged_stored_file_is_noticed_on_reading(store: ContentStore) -> None:
    received = await receive(store, BytesSource(samples.pdf(size=10_000)), "a.pdf", None)
    assert isinstance(received, ReceivedDocument)
    path = store.path(received.file)
    path.chmod(0o600)
    path.write_bytes(path.read_bytes().replace(b"ALTUM", b"ALTVM"))
    with pytest.raises(StoreCorrupted):
        await read_back(store, received.file)


def test_the_store_reads_only_by_a_proper_hash(store: ContentStore) -> None:
    for forged in ["../../etc/passwd", "AB" * 32, "a" * 63, ""]:
        with pytest.raises(ValueError, match="SHA-256"):
            store.path(ClientFile(CLIENT, forged, 1, DocumentKind.PDF, "x.pdf"))


def test_stale_staging_files_are_purged(store: ContentStore) -> None:
    store.prepare()
    leftover = store.root / "staging" / "crashed.part"
    leftover.write_bytes(b"half a file")
    assert store.purge_staging(older_than_seconds=3600) == (0, 0)
    assert store.purge_staging(older_than_seconds=-1) == (1, len(b"half a file"))
    assert not leftover.exists()


async def _stored_old(store: ContentStore, data: bytes) -> str:
    """Store the bytes and make the file two days old."""
    staged = await store.stage(BytesSource(data), max_bytes=len(data))
    assert staged is not None
    await store.commit(staged)
    path = store.sending_path(staged.sha256)
    assert path is not None
    os.utime(path, (time.time() - 2 * 86_400,) * 2)
    return staged.sha256


async def test_storing_the_same_content_again_makes_it_new(store: ContentStore) -> None:
    data = samples.pdf(size=2000)
    sha256 = await _stored_old(store, data)
    deadline = time.time() - 86_400
    again = await store.stage(BytesSource(data), max_bytes=len(data))
    assert again is not None
    await store.commit(again)
    assert store.remove_if_old(sha256, older_than=deadline) is None  # touched: not old
    assert store.contains(sha256)
    assert store.keep(sha256)
    os.utime(store.sending_path(sha256) or "", (0, 0))
    assert store.remove_if_old(sha256, older_than=deadline) == len(data)
    assert not store.contains(sha256) and not store.keep(sha256)
    assert store.remove_if_old(sha256, older_than=deadline) is None  # twice is fine


async def test_a_commit_touching_just_before_the_sweepers_move_keeps_the_file(
    store: ContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeper read the old time; the upload's touch comes before its move aside: the
    sweeper sees the new time there and puts the file back."""
    data = samples.pdf(size=2000)
    sha256 = await _stored_old(store, data)
    rename = Path.rename

    def touched_first(self: Path, target: Path) -> Path:
        os.utime(self)  # the racing commit
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", touched_first)
    assert store.remove_if_old(sha256, older_than=time.time() - 86_400) is None
    monkeypatch.undo()
    assert store.contains(sha256)
    file = ClientFile(CLIENT, sha256, len(data), DocumentKind.PDF, "a.pdf")
    assert await read_back(store, file) == data
    assert not list((store.root / "staging").iterdir())


async def test_a_commit_whose_touch_finds_the_file_moved_aside_stores_its_own(
    store: ContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit saw the file; the sweeper moved it aside and deleted it before the touch:
    the touch fails and the commit puts its own copy in place."""
    data = samples.pdf(size=2000)
    sha256 = await _stored_old(store, data)
    again = await store.stage(BytesSource(data), max_bytes=len(data))
    assert again is not None
    utime = os.utime

    def swept_first(path: Any, *args: Any, **kwargs: Any) -> None:
        if store.contains(sha256):
            assert store.remove_if_old(sha256, older_than=time.time()) == len(data)
        utime(path, *args, **kwargs)

    monkeypatch.setattr(os, "utime", swept_first)
    await store.commit(again)
    monkeypatch.undo()
    assert store.contains(sha256)
    file = ClientFile(CLIENT, sha256, len(data), DocumentKind.PDF, "a.pdf")
    assert await read_back(store, file) == data
    assert not again.path.exists()


async def test_a_file_a_dead_sweep_left_aside_is_put_back(store: ContentStore) -> None:
    """A sweep moves a file aside before deciding; if it dies there, the next one puts the
    file back (and decides again) instead of losing a file a row may name."""
    data = samples.pdf(size=2000)
    sha256 = await _stored_old(store, data)
    path = store.sending_path(sha256)
    assert path is not None
    minute_ago = time.time_ns() - 61 * 10**9
    aside = store.root / "staging" / f"{sha256}.{minute_ago}.4242.swept"
    path.rename(aside)
    fresh = store.root / "staging" / f"{sha256}.{time.time_ns()}.4243.swept"
    fresh.write_bytes(data)  # another sweep's, being decided now: left alone
    assert store.put_back_swept() == 1
    assert store.contains(sha256) and not aside.exists() and fresh.exists()
    file = ClientFile(CLIENT, sha256, len(data), DocumentKind.PDF, "a.pdf")
    assert await read_back(store, file) == data
