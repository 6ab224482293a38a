"""A prefix's reminders (an invoice's, an application's) are cancelled as a range of keys that
an index finds, on both databases: exactly the keys that start with the prefix, whatever
characters they hold, and without reading the whole table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import NewReminder, ReminderKind
from storage.database import Database
from storage.models import Person
from storage.reminder_models import ReminderRow
from storage.reminders import _CANCEL_RANGE, _CANCEL_RANGES, _cancel_ranges_sqlite, prefix_range
from storage.repositories import SqlUnitOfWork

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
KEYS = [
    "invoice:1:A_1:R-1:due:7",
    "invoice:1:A_1:R-10:due:7",
    "invoice:1:A%1:R-1:due:7",
    "invoice:1:AB1:R-1:due:7",
    "invoice:1:A_1:R-1",  # the prefix without its colon: not of the prefix
    "invoice:1:Ā_1:R-1:due:7",
    "invoice:10:A_1:R-1:due:7",
    "invoice:1:A_1;R-1",  # ';' follows ':' in code point order
    "signature:4:7",
    "signature:4:8",
    "signature:40:7",
    "signature:4\U0010ffff:1",
]


async def keys_left(database: Database) -> set[str]:
    async with database.transaction() as session:
        return set(await session.scalars(select(ReminderRow.key)))


async def fill(database: Database) -> None:
    async with database.transaction() as session:
        person = Person(personal_code="12058410000", given_name="Anna", family_name="Bērziņa")
        session.add(person)
        await session.flush()
        await SqlUnitOfWork(session).reminders.schedule_many(
            [
                NewReminder(
                    key=key,
                    kind=ReminderKind.INVOICE_DUE,
                    person_id=person.id,
                    client_id=None,
                    due_at=NOW,
                    max_count=1,
                    details={},
                )
                for key in KEYS
            ],
            now=NOW,
        )


def test_the_range_of_a_prefix_holds_exactly_its_keys() -> None:
    keys = [*KEYS, "a", "a\U0010ffff", "b", "\ud7ff", "\ue000", "\U0010ffff"]
    for prefix in ["invoice:1:A_1:R-1:", "signature:4:", "a", "a\U0010ffff", "\ud7ff"]:
        low, high = prefix_range(prefix)
        assert {k for k in keys if low <= k < high} == {k for k in keys if k.startswith(prefix)}
    assert prefix_range("\ud7ff") == ("\ud7ff", "\ue000")  # no surrogate as a bound
    with pytest.raises(ValueError):
        prefix_range("")


async def test_cancelled_by_prefix_now_and_later_exactly_those_keys(database: Database) -> None:
    await fill(database)
    async with database.transaction() as session:
        reminders = SqlUnitOfWork(session).reminders
        assert await reminders.cancel_prefix("signature:4:") == 2
        await reminders.cancel_prefix_later("invoice:1:A_1:R-1:")
        await reminders.cancel_prefix_later("signature:4\U0010ffff:")
    assert await keys_left(database) == set(KEYS) - {
        "signature:4:7",
        "signature:4:8",
        "invoice:1:A_1:R-1:due:7",
        "signature:4\U0010ffff:1",
    }


async def plan(session: AsyncSession, statement: object, params: tuple[object, ...]) -> str:
    connection = await session.connection()
    compiled = str(statement.compile(dialect=connection.dialect))  # type: ignore[attr-defined]
    compiled = compiled.replace("__[POSTCOMPILE_kept]", "?")  # one key spared
    if connection.dialect.name == "postgresql":
        # A prepared statement's generic plan, which knows no bound value: it must still
        # take the index (with sequential scans priced out, a table this small allows any).
        await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = await connection.exec_driver_sql("EXPLAIN " + compiled, params)
    else:
        rows = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled, params)
    return "\n".join(str(row[-1]) for row in rows)


async def test_a_prefix_is_found_by_an_index_not_by_reading_the_table(
    database: Database,
) -> None:
    await fill(database)
    low, high = prefix_range("invoice:1:A_1:R-1:")
    async with database.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        one = await plan(
            session, _CANCEL_RANGE["postgresql" if postgres else "sqlite"], (low, high)
        )
        if postgres:
            assert "ix_reminders_key_c" in one and "Seq Scan" not in one, one
            many = await plan(
                session, _CANCEL_RANGES, ([low, "signature:4:"], [high, "signature:4;"], ["x"])
            )
            assert "ix_reminders_key_c" in many and "Seq Scan on reminders" not in many, many
        else:
            assert one.startswith("SEARCH reminders USING") and "(key>? AND key<?)" in one, one
            many = await plan(
                session,
                _cancel_ranges_sqlite(2),
                (low, high, "signature:4:", "signature:4;", "x"),
            )
            assert "MULTI-INDEX OR" in many and "SCAN reminders" not in many, many
            assert many.count("(key>? AND key<?)") == 2, many
