"""What the storage tests share: the statements a database was sent, a deal's data, one
deal or invoice written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from portal.model import (
    DealData,
    DealRecord,
    DealStatus,
    DealWrite,
    InvoiceData,
    InvoicePut,
    InvoiceWrite,
)
from portal.ports import Deals, Invoices
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


async def put_deal(
    deals: Deals, client_id: int, number: str, data: DealData, *, now: datetime
) -> tuple[DealRecord, bool] | None:
    """One deal through `put_many`, as the API's one-request batches write it."""
    [put] = await deals.put_many([DealWrite(client_id, number, data, actor="api:test", now=now)])
    return put


async def put_invoice(
    invoices: Invoices,
    client_id: int,
    deal_number: str,
    number: str,
    data: InvoiceData,
    *,
    now: datetime,
    with_people: bool = False,
) -> InvoicePut | None:
    write = InvoiceWrite(client_id, deal_number, number, data, actor="api:test", now=now)
    [put] = await invoices.put_many([write], with_people=with_people)
    return put
