"""«Pieteikumu saraksts» at 10^3 and at 10^6 applications: the time of one page of the list
(`SqlApplications.page`: the client's newest first, keyset on the id, optionally filtered by
status), from cursors spread over the client's applications, in its own transaction each.
The ratio of the p95s must stay within 2x. All applications belong to the one client listed
(the worst case for its index).

Usage: .venv/bin/python bench/applications_bench.py [--quick] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot_bench import drop_postgres, postgres_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal.model import ApplicationStatus, ClientKind, NewClient  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.repositories import SqlUnitOfWork  # noqa: E402

STATUSES = ["draft", "sent_for_signing", "submitted", "in_review", "approved"]
SAMPLES = 300


async def make_client(database: Database) -> int:
    async with database.transaction() as session:
        return await SqlUnitOfWork(session).clients.create(
            NewClient(
                kind=ClientKind.LEGAL_ENTITY,
                name="SIA Bench",
                registration_number="40103999940",
                personal_code=None,
                legal_form="SIA",
                address=None,
                email="",
                phone="",
                representation_rule="individually",
                representation_with_at_least=None,
                voice_password_hash=None,
                terms_version=None,
                terms_accepted_at=None,
            )
        )


async def fill(database: Database, client_id: int, total: int, postgres: bool) -> None:
    """Applications up to `total`, statuses in turn, with a realistic answers JSON."""
    answers = '{"amount": "12500.00", "target_iban": "LV80BANK0000435195001"}'
    moment = datetime.now(UTC)
    now: datetime | str = moment if postgres else str(moment)
    async with database.transaction() as session:
        have = (await session.execute(text("SELECT count(*) FROM applications"))).scalar_one()
        if postgres:
            await session.execute(
                text(
                    "INSERT INTO applications (client_id, form_id, form_version, status, "
                    "answers, prepared_by, revision, created_at, updated_at) "
                    "SELECT :c, 'disbursement', 1, "
                    "(ARRAY['draft','sent_for_signing','submitted','in_review','approved'])"
                    "[1 + g % 5], CAST(:a AS json), 1, 0, CAST(:n AS timestamptz), "
                    "CAST(:n AS timestamptz) "
                    "FROM generate_series(CAST(:f AS bigint), CAST(:t AS bigint)) AS g"
                ),
                {"c": client_id, "a": answers, "n": now, "f": have + 1, "t": total},
            )
            await session.execute(text("ANALYZE applications"))
        else:
            await session.execute(
                text(
                    "WITH RECURSIVE g(n) AS (SELECT :f UNION ALL SELECT n + 1 FROM g "
                    "WHERE n < :t) "
                    "INSERT INTO applications (client_id, form_id, form_version, status, "
                    "answers, prepared_by, revision, created_at, updated_at) "
                    "SELECT :c, 'disbursement', 1, "
                    "CASE n % 5 WHEN 0 THEN 'draft' WHEN 1 THEN 'sent_for_signing' "
                    "WHEN 2 THEN 'submitted' WHEN 3 THEN 'in_review' ELSE 'approved' END, "
                    ":a, 1, 0, :n, :n FROM g"
                ),
                {"c": client_id, "a": answers, "n": now, "f": have + 1, "t": total},
            )
            await session.execute(text("ANALYZE"))


async def page_ms(
    database: Database,
    client_id: int,
    before: int | None,
    statuses: frozenset[ApplicationStatus] | None,
) -> float:
    started = time.perf_counter()
    async with database.transaction() as session:
        page = await SqlUnitOfWork(session).applications.page(
            client_id, before=before, limit=5, statuses=statuses
        )
    assert page.items or before is not None
    return (time.perf_counter() - started) * 1000


async def compare(small: tuple[Database, int], large: tuple[Database, int], big: int) -> None:
    """Samples of the two sizes alternate, so that the machine's noise falls on both alike."""
    rng = random.Random(7)
    times: dict[tuple[str, str], list[float]] = {}
    for i in range(SAMPLES * 2):
        kind = "all" if i % 2 == 0 else "status"
        statuses = None if kind == "all" else frozenset({ApplicationStatus(rng.choice(STATUSES))})
        for size, (database, client_id), total in (("small", small, 1000), ("large", large, big)):
            before = None if i % 10 == 0 else rng.randint(2, total)
            elapsed = await page_ms(database, client_id, before, statuses)
            if i >= SAMPLES // 2:  # the first ones warm the caches
                times.setdefault((size, kind), []).append(elapsed)
    for kind in ("all", "status"):
        stats = {}
        for size in ("small", "large"):
            values = sorted(times[(size, kind)])
            stats[size] = (statistics.median(values), values[int(len(values) * 0.95) - 1])
        (s50, s95), (l50, l95) = stats["small"], stats["large"]
        print(
            f"  {kind:6} 10^3 p50 {s50:.2f} ms p95 {s95:.2f} ms | {big} p50 {l50:.2f} ms "
            f"p95 {l95:.2f} ms | p95 ratio x{l95 / s95:.2f} (target <= 2)"
        )


async def prepared(url: str, total: int) -> tuple[Database, int, float]:
    postgres = url.startswith("postgresql")
    await upgrade_async(url)
    database = Database(url)
    client_id = await make_client(database)
    started = time.perf_counter()
    await fill(database, client_id, total, postgres)
    return database, client_id, time.perf_counter() - started


async def run(name: str, urls: tuple[str, str], big: int) -> None:
    small_db, small_client, _ = await prepared(urls[0], 1000)
    large_db, large_client, filled = await prepared(urls[1], big)
    try:
        print(f"{name}: filled to {big} in {filled:.1f} s")
        await compare((small_db, small_client), (large_db, large_client), big)
    finally:
        await small_db.dispose()
        await large_db.dispose()


def remove(paths: list[Path]) -> None:
    for path in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


async def main(args: argparse.Namespace) -> None:
    big = 100_000 if args.quick else 1_000_000
    if args.only in (None, "sqlite"):
        paths = [ROOT / "var" / f"bench-apps-{uuid.uuid4().hex[:8]}.db" for _ in range(2)]
        paths[0].parent.mkdir(exist_ok=True)
        try:
            await run("sqlite", (f"sqlite:///{paths[0]}", f"sqlite:///{paths[1]}"), big)
        finally:
            remove(paths)
    if args.only in (None, "postgres"):
        (small, small_url), (large, large_url) = (
            await postgres_database(),
            await postgres_database(),
        )
        try:
            await run("postgres", (small_url, large_url), big)
        finally:
            await drop_postgres(small)
            await drop_postgres(large)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 instead of 10^6")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    asyncio.run(main(parser.parse_args()))
