"""`sqlite://` runs SQLite in the event loop's thread; waiting for another process's writer
must not stop the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from storage.database import SQLITE_LOCK_WAIT, Database, DatabaseUnavailable
from storage.migrate import upgrade_async
from storage.repositories import SqlUnitOfWork


@pytest.fixture
async def database(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'inline.db'}"
    await upgrade_async(url)
    return Database(url)


async def test_plain_sqlite_urls_use_the_threadless_driver(database: Database) -> None:
    assert database.engine.dialect.driver == "inline"
    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=1)
        assert await session.scalar(text("SELECT count(*) FROM processed_updates")) == 1
    await database.dispose()


async def test_another_writer_is_waited_for_without_blocking_the_loop(
    database: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)  # another process's
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> bool:
        async with database.transaction() as session:
            return await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=2)

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()  # still waiting for the lock...
    assert ticks >= 10  # ...while the loop goes on
    other.execute("COMMIT")
    assert await asyncio.wait_for(writer, timeout=5)
    ticker.cancel()
    other.close()
    await database.dispose()


async def test_a_writer_that_never_lets_go_makes_the_database_unavailable(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.database.SQLITE_LOCK_WAIT", 0.2)
    assert SQLITE_LOCK_WAIT > 0.2  # the real wait is longer
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseUnavailable):
        async with database.transaction() as session:
            await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=3)
    other.execute("ROLLBACK")
    other.close()
    await database.dispose()


async def test_commit_runs_off_the_event_loop_thread(database: Database) -> None:
    """COMMIT may checkpoint the WAL (a copy and an fsync): it goes to a thread; the
    statements before it stay in the loop's."""
    seen: list[tuple[str, int]] = []

    @event.listens_for(database.engine.sync_engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(
            lambda statement: seen.append((statement.split()[0], threading.get_ident()))
        )

    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=4)
    loop_thread = threading.get_ident()
    threads = dict(seen)
    assert threads["INSERT"] == loop_thread
    assert threads["COMMIT"] != loop_thread
    async with database.transaction() as session:  # and it was committed
        assert not await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=4)
    await database.dispose()
