"""«Saziņa»'s thread list and search at 10^3 and 10^6 messages (issue 10: within 2x, p95).

One measured client has 200 threads of 5 messages (1000 messages); the rest of the messages
belong to 100 other clients, 10 to a thread. For each size and database the bench times the
repository's calls as the dialog makes them, in a transaction each: a page of the thread list
(random offset), a text search, and «unread only». p95 in milliseconds, and the ratio of the
10^6 run to the 10^3 run.

Usage: .venv/bin/python bench/messages_bench.py [--only sqlite|postgres] [--big 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot_bench import drop_postgres, postgres_database  # noqa: E402

from portal.model import ClientKind, MessageStatus, NewClient, Subject, ThreadQuery  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.repositories import SqlUnitOfWork  # noqa: E402

OWN_THREADS, OWN_PER_THREAD, OTHERS, OTHER_PER_THREAD = 200, 5, 100, 10
START = datetime(2025, 1, 1, tzinfo=UTC)
CALLS = 300


def new_client(number: int) -> NewClient:
    return NewClient(
        kind=ClientKind.LEGAL_ENTITY,
        name=f"SIA Bench {number}",
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
        terms_accepted_at=START,
    )


async def setup(url: str, total: int) -> int:
    """The measured client through the repository; the others' filler in bulk."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            own = await uow.clients.create(new_client(0))
            others = [await uow.clients.create(new_client(n)) for n in range(1, OTHERS + 1)]
            rng = random.Random(1)
            for t in range(OWN_THREADS):
                moment = START + timedelta(hours=t)
                thread = await uow.messages.start_thread(
                    own, f"Tēma {t} {'needle' if t % 50 == 0 else ''}", Subject(), now=moment
                )
                for m in range(OWN_PER_THREAD):
                    status = MessageStatus.RECEIVED if rng.random() < 0.3 else MessageStatus.SENT
                    await uow.messages.add_message(
                        own, thread, status=status, body=f"Ziņa {t}.{m}", now=moment
                    )
    finally:
        await database.dispose()
    filler = max(0, total - OWN_THREADS * OWN_PER_THREAD)
    await fill(url, others, filler)
    return own


def rows(
    others: list[int], count: int
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    threads = (count + OTHER_PER_THREAD - 1) // OTHER_PER_THREAD
    for n in range(threads):
        client = others[n % len(others)]
        moment = START + timedelta(seconds=n)
        thread_id = 1_000_000 + n
        thread = (thread_id, client, f"Cita tēma {n}", "sent", "teksts", moment, 0, moment)
        per = min(OTHER_PER_THREAD, count - n * OTHER_PER_THREAD)
        messages = [(thread_id, client, "sent", f"Cita ziņa {n}.{m}", moment) for m in range(per)]
        yield thread, messages


async def fill(url: str, others: list[int], count: int) -> None:
    if count <= 0:
        return
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path is not None
        stamp = "%Y-%m-%d %H:%M:%S.%f"
        with sqlite3.connect(path) as db:
            threads, messages = [], []
            for thread, own in rows(others, count):
                threads.append(
                    (*thread[:5], thread[5].strftime(stamp), 0, thread[7].strftime(stamp))
                )
                messages += [(*m[:4], m[4].strftime(stamp)) for m in own]
            db.executemany(
                "INSERT INTO message_threads (id, client_id, subject, status, last_text, last_at,"
                " unread, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                threads,
            )
            db.executemany(
                "INSERT INTO messages (thread_id, client_id, status, body, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                messages,
            )
            db.execute("ANALYZE")
        with sqlite3.connect(path) as db:  # readers should not wade through a 10^6-row WAL
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        threads, messages = [], []
        for thread, own in rows(others, count):
            threads.append(thread)
            messages += own
        await connection.copy_records_to_table(
            "message_threads",
            records=threads,
            columns=[
                "id",
                "client_id",
                "subject",
                "status",
                "last_text",
                "last_at",
                "unread",
                "created_at",
            ],
        )
        await connection.copy_records_to_table(
            "messages",
            records=messages,
            columns=["thread_id", "client_id", "status", "body", "created_at"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def measure(subjects: dict[str, tuple[str, int]]) -> dict[str, dict[str, float]]:
    """p95 per query and size; the sizes' calls alternate, so both see the same machine (the
    others' load on a shared machine moves absolute times more than the sizes do)."""
    databases = {size: Database(url) for size, (url, _client) in subjects.items()}
    rng = random.Random(2)
    queries = {
        "list": lambda: (ThreadQuery(), rng.randrange(0, OWN_THREADS - 8)),
        "search": lambda: (ThreadQuery(text="needle"), 0),
        "search_body": lambda: (ThreadQuery(text="ziņa 17.3"), 0),
        "unread": lambda: (ThreadQuery(unread_only=True), 0),
    }

    async def once(size: str, query: ThreadQuery, offset: int) -> float:
        started = time.perf_counter()
        async with databases[size].transaction() as session:
            page = await SqlUnitOfWork(session).messages.threads(
                subjects[size][1], query, offset=offset, limit=8
            )
        assert page.items
        return (time.perf_counter() - started) * 1000

    result: dict[str, dict[str, float]] = {size: {} for size in subjects}
    try:
        for name, make in queries.items():
            times: dict[str, list[float]] = {size: [] for size in subjects}
            for call in range(CALLS + CALLS // 10):
                query, offset = make()
                for size in subjects:
                    took = await once(size, query, offset)
                    if call >= CALLS // 10:  # the first tenth warms the caches
                        times[size].append(took)
            for size in subjects:
                result[size][name] = statistics.quantiles(times[size], n=20)[18]  # p95
    finally:
        for database in databases.values():
            await database.dispose()
    return result


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def make(backend: str, total: int, cleanup: list[Any]) -> tuple[str, int]:
    if backend == "sqlite":
        path = ROOT / "var" / f"messages-bench-{uuid.uuid4().hex[:8]}.db"
        path.parent.mkdir(exist_ok=True)
        cleanup.append(path)
        url = f"sqlite:///{path}"
    else:
        name, url = await postgres_database()
        cleanup.append(name)
    await upgrade_async(url)
    started = time.perf_counter()
    client = await setup(url, total)
    print(f"  {backend} {total:>8} messages: filled in {time.perf_counter() - started:.1f} s")
    return url, client


async def main(args: argparse.Namespace) -> None:
    backends = [args.only] if args.only else ["sqlite", "postgres"]
    for backend in backends:
        cleanup: list[Any] = []
        try:
            subjects = {
                "10^3": await make(backend, 1000, cleanup),
                str(args.big): await make(backend, args.big, cleanup),
            }
            result = await measure(subjects)
        finally:
            for item in cleanup:
                if isinstance(item, Path):
                    remove_sqlite(item)
                else:
                    await drop_postgres(item)
        small, big = result["10^3"], result[str(args.big)]
        print(f"{backend}: p95 ms at 10^3 / at {args.big} messages, ratio")
        for name in small:
            print(
                f"  {name:12} {small[name]:7.2f} {big[name]:7.2f}  x{big[name] / small[name]:.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgres"], default="")
    parser.add_argument("--big", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args()))
