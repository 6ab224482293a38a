"""A deal written for a client found by the same statement (INSERT … SELECT from the client):
one statement on both databases, inserted then updated, and no row for a client not there;
a batch's deals in one statement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from storage_support import T0, deal, put_deal, sent_statements

from portal.model import DealData, DealStatus, DealWrite
from storage.database import Database
from storage.models import Client
from storage.repositories import SqlUnitOfWork


async def test_a_deal_is_upserted_for_its_client_in_one_statement(database: Database) -> None:
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        session.add(client)
        await session.flush()
        deals = SqlUnitOfWork(session).deals
        later = T0 + timedelta(minutes=5)
        changed = replace(deal("EUR"), balance=Decimal("800.00"))
        with sent_statements(database) as statements:
            first = await put_deal(deals, client.id, "B-1", deal("EUR"), now=T0)
            again = await put_deal(deals, client.id, "B-1", changed, now=later)
            missing = await put_deal(deals, client.id + 1, "B-1", deal("EUR"), now=later)
        assert len(statements) == 3
        assert await deals.of_client(client.id + 1) == []
    assert first is not None and again is not None and missing is None
    (inserted, created), (updated, created_again) = first, again
    assert created and not created_again
    assert (updated.id, updated.client_id, updated.data) == (inserted.id, client.id, changed)
    assert (updated.created_at, updated.updated_at) == (T0, later)


async def test_a_batchs_deals_go_in_one_statement_a_key_written_twice_in_two(
    database: Database,
) -> None:
    """Several clients' deals in one statement, each found by its client; a write for a
    client not there comes back None and writes nothing; a deal written twice goes in a
    second round, so the later write wins, as one by one."""
    async with database.transaction() as session:
        clients = [Client(kind="legal_entity", name=f"SIA {n}") for n in range(2)]
        session.add_all(clients)
        await session.flush()
        first, second = (client.id for client in clients)
        deals = SqlUnitOfWork(session).deals
        await put_deal(deals, first, "B-1", deal("EUR"), now=T0)
    later = T0 + timedelta(minutes=1)
    usd = replace(deal("USD"), end_date=date(2031, 2, 28), status=DealStatus.CLOSED)

    def write(client_id: int, number: str, data: DealData, seconds: int = 0) -> DealWrite:
        now = later + timedelta(seconds=seconds)
        return DealWrite(client_id, number, data, actor="api:test", now=now)

    writes = [
        write(second, "B-2", usd),
        write(first, "B-1", usd),  # an update
        write(first + second + 1, "B-1", deal("EUR")),  # no such client
        write(first, "B-2", deal("EUR")),
        write(first, "B-2", usd, seconds=1),  # written again: the second round
    ]
    with sent_statements(database) as statements:
        async with database.transaction() as session:
            deals = SqlUnitOfWork(session).deals
            puts = await deals.put_many(writes)
            assert [s.split()[0] for s in statements] == ["INSERT", "INSERT"]
            stored = {(d.client_id, d.number): d for d in await deals.of_client(first)}
            stored.update({(d.client_id, d.number): d for d in await deals.of_client(second)})
    assert puts[2] is None
    assert [None if put is None else put[1] for put in puts] == [True, False, None, True, False]
    for position in (0, 1, 3, 4):
        put, given = puts[position], writes[position]
        assert put is not None
        record = put[0]
        assert (record.client_id, record.number, record.data) == (
            given.client_id,
            given.number,
            given.data,
        )
        assert record == stored[(given.client_id, given.number)] or position == 3
    assert stored[(first, "B-2")].data == usd  # the later write won
    assert stored[(first, "B-1")].created_at == T0
    assert stored[(first, "B-1")].updated_at == later
    assert len(stored) == 3


async def test_a_deal_written_again_unchanged_keeps_its_updated_at(database: Database) -> None:
    """`updated_at` tells when the deal's data last changed, alone and in a batch."""
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        session.add(client)
        await session.flush()
        client_id = client.id
    at = [T0 + timedelta(minutes=n) for n in range(4)]
    same, closed = deal("EUR"), replace(deal("EUR"), end_date=date(2027, 1, 1))
    async with database.transaction() as session:
        deals = SqlUnitOfWork(session).deals
        written = [
            await put_deal(deals, client_id, "B-1", same, now=at[0]),
            await put_deal(deals, client_id, "B-1", same, now=at[1]),  # the one-row statement
        ]
        batch = await deals.put_many(
            [
                DealWrite(client_id, "B-1", same, actor="api:test", now=at[2]),
                DealWrite(client_id, "B-2", same, actor="api:test", now=at[2]),
            ]
        )
        written += [*batch, await put_deal(deals, client_id, "B-1", closed, now=at[3])]
    stamps = [(put[0].updated_at, put[1]) for put in written if put is not None]
    assert stamps == [(at[0], True), (at[0], False), (at[0], False), (at[2], True), (at[3], False)]
