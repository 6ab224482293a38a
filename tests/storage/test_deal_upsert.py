"""A deal written for a client found by the same statement (INSERT … SELECT from the client):
one statement on both databases, inserted then updated, and no row for a client not there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from storage_support import T0, deal, sent_statements

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
            first = await deals.put(client.id, "B-1", deal("EUR"), now=T0)
            again = await deals.put(client.id, "B-1", changed, now=later)
            missing = await deals.put(client.id + 1, "B-1", deal("EUR"), now=later)
        assert len(statements) == 3
        assert await deals.of_client(client.id + 1) == []
    assert first is not None and again is not None and missing is None
    (inserted, created), (updated, created_again) = first, again
    assert created and not created_again
    assert (updated.id, updated.client_id, updated.data) == (inserted.id, client.id, changed)
    assert (updated.created_at, updated.updated_at) == (T0, later)
