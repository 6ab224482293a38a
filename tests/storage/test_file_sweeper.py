"""The file sweeper on SQLite and PostgreSQL: a stored file nothing names goes once older than
the grace; one a row, another application, a conversation or a queued push names stays; a
rejected registration's files go with its client; a file stored again while being swept
survives; two sweeps at once delete each file once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from bot.ops import file_sweeper
from bot.ops.file_sweeper import sweep_once
from integrations.files import ContentStore
from portal.model import ClientKind, NewClient
from storage.application_models import Application
from storage.database import Database
from storage.file_references import referenced_files
from storage.message_models import ClientDocument
from storage.models import ConversationState, OutboxMessage
from storage.repositories import SqlUnitOfWork

GRACE = timedelta(hours=24)
ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400.0


class Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, n: int = -1, /) -> bytes:
        chunk, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return chunk


async def put(store: ContentStore, data: bytes, *, age: float = 2 * DAY) -> str:
    """Store the bytes and make the file `age` seconds old."""
    staged = await store.stage(Bytes(data), max_bytes=len(data))
    assert staged is not None
    await store.commit(staged)
    then = time.time() - age
    os.utime(store.sending_path(staged.sha256) or "", (then, then))
    return staged.sha256


def new_client(number: int) -> NewClient:
    return NewClient(
        kind=ClientKind.LEGAL_ENTITY,
        name=f"SIA Klients {number}",
        registration_number=None,
        personal_code=None,
        legal_form="SIA",
        address=None,
        email="b@example.lv",
        phone="+37120000000",
        representation_rule="individually",
        representation_with_at_least=None,
        voice_password_hash="-",
        terms_version="-",
        terms_accepted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def document(client_id: int, sha256: str, name: str = "a.pdf") -> ClientDocument:
    return ClientDocument(
        client_id=client_id,
        sha256=sha256,
        size=1,
        kind="pdf",
        name=name,
        incoming=True,
        created_at=datetime.now(UTC),
    )


def queued_document(sha256: str, *, sent: bool = False) -> OutboxMessage:
    now = datetime.now(UTC)
    return OutboxMessage(
        kind="push",
        chat_id=7,
        payload={
            "method": "sendDocument",
            "params": {"chat_id": 7, "document": f"altum-store:{sha256}/application-1.pdf"},
        },
        created_at=now,
        sent_at=now if sent else None,
    )


def on_disk(store: ContentStore, sha256: str) -> bool:
    return store.contains(sha256)


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    store = ContentStore(tmp_path / "files")
    store.prepare()
    return store


async def test_only_old_files_nothing_names_go(database: Database, store: ContentStore) -> None:
    dropped = await put(store, b"%PDF- a cancelled draft's upload")
    shared = await put(store, b"%PDF- one document row of two deleted")
    answered = await put(store, b"%PDF- named by another application's answers")
    in_state = await put(store, b"%PDF- a pending Kas tas ir upload")
    queued = await put(store, b"%PDF- a submitted application's PDF, queued")
    was_sent = await put(store, b"%PDF- a PDF sent already")
    fresh = await put(store, b"%PDF- stored an hour ago", age=3600)
    async with database.transaction() as session:
        client_id = await SqlUnitOfWork(session).clients.create(new_client(1))
        session.add_all(
            [
                document(client_id, dropped),
                document(client_id, shared, "first.pdf"),
                document(client_id, shared, "second.pdf"),
                Application(
                    client_id=client_id,
                    form_id="disbursement",
                    form_version=1,
                    status="draft",
                    answers={
                        "invoice": [
                            {"document_id": "9", "sha256": answered, "kind": "pdf", "name": "r"}
                        ]
                    },
                    prepared_by=1,
                    revision=1,
                    created_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                ),
                ConversationState(
                    key="bot:7:7",
                    state="Explain:confirm",
                    data={"pending": {"client_id": client_id, "sha256": in_state, "size": 1}},
                    updated_at=datetime.now(UTC),
                ),
                queued_document(queued),
                queued_document(was_sent, sent=True),
            ]
        )
    async with database.transaction() as session:
        await session.execute(delete(ClientDocument).where(ClientDocument.name != "second.pdf"))
    staged_leftover = store.root / "staging" / "crashed.part"
    staged_leftover.write_bytes(b"half")
    os.utime(staged_leftover, (time.time() - 2 * DAY,) * 2)

    # Within the grace (the clock an hour past the upload of the oldest): nothing goes.
    early = await sweep_once(
        database, store, grace=GRACE, now=datetime.now(UTC) - timedelta(days=1, hours=1)
    )
    assert (early.files, early.staged) == (0, 0)

    swept = await sweep_once(database, store, grace=GRACE)
    assert (swept.files, swept.kept, swept.staged) == (2, 4, 1)
    assert swept.bytes == len(b"%PDF- a cancelled draft's upload" + b"%PDF- a PDF sent already")
    assert not on_disk(store, dropped) and not on_disk(store, was_sent)
    for kept in (shared, answered, in_state, queued, fresh):
        assert on_disk(store, kept)
    assert not staged_leftover.exists()

    # Once the conversation lets go of its file, the next sweep takes it.
    async with database.transaction() as session:
        await session.execute(delete(ConversationState))
    assert (await sweep_once(database, store, grace=GRACE)).files == 1
    assert not on_disk(store, in_state)


async def test_a_rejected_registrations_client_takes_its_files_along(
    database: Database, store: ContentStore
) -> None:
    """The rejection deletes the client (`portal.review.reject` → `clients.delete`); its
    documents and applications go by cascade, and then their bytes with the sweep."""
    own = await put(store, b"%PDF- the rejected client's document")
    other = await put(store, b"%PDF- another client's document")
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        rejected, staying = (
            await uow.clients.create(new_client(1)),
            await uow.clients.create(new_client(2)),
        )
        session.add_all([document(rejected, own), document(staying, other)])
    async with database.transaction() as session:
        await SqlUnitOfWork(session).clients.delete(rejected)

    swept = await sweep_once(database, store, grace=GRACE)
    assert (swept.files, swept.kept) == (1, 1)
    assert not on_disk(store, own) and on_disk(store, other)


async def test_a_file_stored_again_while_being_swept_stays(
    database: Database, store: ContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep lists the file as old and unnamed; meanwhile the same bytes are uploaded
    again (the commit touches the file) and a row will name it: the file must stay."""
    data = b"%PDF- the same invoice, sent again"
    sha256 = await put(store, data)
    real = referenced_files

    async def uploading_meanwhile(session: Any) -> set[str]:
        named = await real(session)  # read before the new row exists
        await put(store, data, age=0)  # the upload's commit, its row not written yet
        return named

    monkeypatch.setattr(file_sweeper, "referenced_files", uploading_meanwhile)
    swept = await sweep_once(database, store, grace=GRACE)
    assert swept.files == 0
    assert on_disk(store, sha256)


async def test_two_sweeps_at_once_delete_each_file_once(
    database: Database, store: ContentStore
) -> None:
    files = [await put(store, f"%PDF- orphan {n}".encode()) for n in range(40)]
    first, second = await asyncio.gather(
        sweep_once(database, store, grace=GRACE), sweep_once(database, store, grace=GRACE)
    )
    assert first.files + second.files == 40
    assert first.bytes + second.bytes == sum(len(f"%PDF- orphan {n}".encode()) for n in range(40))
    assert not any(on_disk(store, sha256) for sha256 in files)
    assert not list((store.root / "staging").iterdir())  # nothing left aside


def test_hashes_are_found_wherever_they_sit() -> None:
    from storage.file_references import hashes_in

    sha = hashlib.sha256(b"x").hexdigest()
    assert sha in hashes_in(f'{{"document": "altum-store:{sha}/a.pdf"}}')
    assert sha in hashes_in(f"deadbeef{sha}")  # a name running into it: kept, to be safe
    assert hashes_in("no hash here, 0123") == set()


async def test_the_running_sweeper_goes_by_its_clock(
    database: Database, store: ContentStore
) -> None:
    """A cancelled draft's upload (its row deleted) stored just now: the sweeper's clock 23
    hours on keeps it, 25 hours on the loop the bot runs takes it, and stops when told."""
    upload = await put(store, b"%PDF- uploaded into a draft, then cancelled", age=0)
    async with database.transaction() as session:
        client_id = await SqlUnitOfWork(session).clients.create(new_client(1))
        session.add(document(client_id, upload))
    async with database.transaction() as session:
        await session.execute(delete(ClientDocument))  # «Atcelt»

    start = datetime.now(UTC)
    sweeper = file_sweeper.FileSweeper(
        database, store, every=3600, grace=GRACE, clock=lambda: start + timedelta(hours=23)
    )
    assert not await sweeper.tick()
    assert on_disk(store, upload)

    sweeper.clock = lambda: start + timedelta(hours=25)
    stop = asyncio.Event()
    running = asyncio.create_task(sweeper.run(stop))
    for _ in range(100):
        if not on_disk(store, upload):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert not on_disk(store, upload)


def test_two_processes_sweeping_at_once(
    database_url: str, store: ContentStore, tmp_path: Path
) -> None:
    """`altum-bot files sweep` twice at the same moment, as two bot processes would: each
    file is deleted by one of them, neither fails."""
    sizes = [len(asyncio.run(_orphan(store, n))) for n in range(300)]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"BOT_TOKEN", "APP_ENV", "WEBHOOK_SECRET", "DEMO_MODE"}
        and not key.startswith("FILES_")
    }
    env |= {"DATABASE_URL": database_url, "FILES_DIR": str(store.root), "PYTHONPATH": str(ROOT)}
    sweeps = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "files", "sweep"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [sweep.communicate(timeout=120) for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0], [err for _, err in outputs]
    counted = [re.search(r"removed (\d+) stored file\(s\), (\d+) bytes", out) for out, _ in outputs]
    assert all(counted), outputs
    assert sum(int(m[1]) for m in counted if m) == 300
    assert sum(int(m[2]) for m in counted if m) == sum(sizes)
    assert not list(store.root.rglob("*.swept")) and not any(
        p.is_file() for p in (store.root / "sha256").rglob("*")
    )


async def _orphan(store: ContentStore, n: int) -> bytes:
    data = f"%PDF- orphan number {n}".encode()
    await put(store, data)
    return data
