"""What the storage tests share: the statements a database was sent, a deal's data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from portal.model import DealData, DealStatus
from storage.database import Database


@contextmanager
def sent_statements(database: Database) -> Iterator[list[str]]:
    """Every statement sent while inside, in order; SQLite's BEGIN IMMEDIATE left out."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):
            sent.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


T0 = datetime(2027, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def deal(currency: str) -> DealData:
    return DealData(
        product="Aizdevums",
        amount=Decimal("1000.00"),
        currency=currency,
        balance=Decimal("900.00"),
        start_date=date(2026, 1, 1),
        end_date=None,
        status=DealStatus.ACTIVE,
    )
