"""SQLite under SQLAlchemy's asyncio layer without a helper thread: `sqlite+inline://`.

aiosqlite runs every statement on a thread of its own and hands each result back through the
event loop. On this project's machine that hand-off cost more than the statement: about
0.75 ms of CPU per statement against 0.25 ms for PostgreSQL, and under load each statement also
waited for the GIL. SQLite is a library in our own process; with WAL, readers never wait, and
the one writer at a time is already ours to queue (`Database`'s writer lock), so a statement
runs in microseconds and never waits for this process. This dialect is pysqlite's, declared
asynchronous so that `create_async_engine` accepts it: SQLAlchemy runs its synchronous core in a
greenlet, and the plain `sqlite3` calls happen right there, in the event loop's thread.

The price: a statement that does wait (another *process* holding SQLite's write lock, up to
`busy_timeout`) blocks the event loop meanwhile. The embedded default serves one bot process;
deployments with several processes use PostgreSQL. One statement is sent to a thread all the
same: COMMIT, which now and then runs SQLite's automatic checkpoint (pages copied back into the
database file, and an fsync), milliseconds on a quiet disk and as long as the disk stalls on a
busy one; one thread hop per transaction keeps the loop out of it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_


async def _no_wait() -> None:
    pass


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        # SQLAlchemy's asyncio layer checks that a statement went through the event loop (a
        # guard against blocking drivers used by mistake); this driver is meant not to.
        await_(_no_wait())
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        await_(_no_wait())
        return super().executemany(sql, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's asyncio layer calls after a statement so that an async driver can
        buffer its rows; a sqlite3 cursor reads them in this thread whenever asked."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    driver = "inline"
    is_async = True
    supports_statement_cache = True

    def create_connect_args(self, url: URL) -> Any:
        args, options = super().create_connect_args(url)
        return args, {**options, "factory": _Connection}

    def do_commit(self, dbapi_connection: Any) -> None:
        # The loop waits meanwhile without touching this connection (file databases are
        # opened with check_same_thread=False).
        await_(asyncio.to_thread(dbapi_connection.commit))

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


dialect = SQLiteDialect_inline
