"""Engine, transactions and per-user locks, on SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

registry.register("sqlite.inline", "storage.sqlite_inline", "SQLiteDialect_inline")


def normalize_url(url: str) -> URL:
    """Pick the async drivers: `postgresql://` -> asyncpg, `sqlite://` -> our threadless
    `sqlite+inline` (see storage/sqlite_inline.py). `sqlite+aiosqlite://` still works."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+inline")
    return parsed


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached: nothing was committed, the update must be retried."""


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | OSError | TimeoutError)


class Database:
    """One engine per process. `transaction()` is the only way to write."""

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # No pre-ping: it costs a round trip per checkout (two per update). A connection that
        # died fails its update with DatabaseUnavailable (retried by Telegram) and SQLAlchemy
        # then invalidates the pool's older connections.
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(
                pool_size=pool_size, max_overflow=pool_size, pool_timeout=10, pool_recycle=1800
            )
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Waiting here is fair and cheap; waiting in SQLite's
        # busy handler sleeps in growing steps and ruins latency.
        self._sqlite_writer = asyncio.Lock()
        # Told of every transaction that failed for want of the database (for metrics).
        self.on_unavailable: Callable[[BaseException], None] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, else rolled back."""
        if self.is_sqlite:
            async with self._sqlite_writer, self._session() as session:
                yield session
        else:
            async with self._session() as session:
                yield session

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self.sessions() as session, session.begin():
                yield session
        except DatabaseUnavailable as exc:
            self._unavailable(exc)
            raise
        except Exception as exc:
            if is_unavailable(exc):
                self._unavailable(exc)
                raise DatabaseUnavailable(type(exc).__name__) from exc
            raise

    def _unavailable(self, exc: BaseException) -> None:
        if self.on_unavailable is not None:
            self.on_unavailable(exc)

    def lock_ids(self, keys: list[str]) -> list[int]:
        """Transaction-scoped PostgreSQL advisory lock ids for `keys` (work on a key is
        serialized across processes until the transaction ends), sorted: taken in this order,
        two transactions locking overlapping sets cannot deadlock on them. None on SQLite,
        whose single writer (BEGIN IMMEDIATE) already serializes everything."""
        if self.is_sqlite:
            return []
        return sorted({_lock_id(key) for key in keys})

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def answers(self, *, within: float = 5.0) -> bool:
        """Whether the database answers a trivial query now. Asked after a failure that
        looked like an outage: if it answers, the failure came from what was being done."""
        try:
            await asyncio.wait_for(self._ping_in_turn(), timeout=within)
        except Exception:
            return False
        return True

    async def _ping_in_turn(self) -> None:
        if self.is_sqlite:  # in the writers' queue, not spinning on SQLite's lock beside it
            async with self._sqlite_writer:
                await self.ping()
        else:
            await self.ping()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _lock_id(key: str) -> int:
    lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return lock_id - (1 << 63)  # into bigint's signed range


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=0",  # waiting happens in `_begin_immediate`, off the loop
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        _begin_immediate(connection)


SQLITE_LOCK_WAIT = 10.0  # seconds to wait for another process's writer


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock up front (a DEFERRED transaction that later writes can fail
    with SQLITE_BUSY without waiting). Another process's writer is waited for here, in
    asyncio sleeps: SQLite's own busy handler would sleep in the thread that runs the
    statement, which for `sqlite+inline` is the event loop's."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT
    delay = 0.001
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise
        await_(asyncio.sleep(delay))  # we run inside SQLAlchemy's greenlet
        delay = min(delay * 2, 0.05)
