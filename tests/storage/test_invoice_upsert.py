"""An invoice written into a deal found by its number: one statement on both databases (a CTE
on PostgreSQL, INSERT … SELECT on SQLite), in the deal's currency, inserted then updated."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from storage_support import T0, deal, sent_statements

from portal.model import InvoiceData
from storage.database import Database
from storage.models import Client, Membership, Person
from storage.repositories import SqlUnitOfWork


async def test_an_invoice_is_upserted_into_its_deal_in_one_statement(database: Database) -> None:
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        session.add(client)
        await session.flush()
        uow = SqlUnitOfWork(session)
        euro, _ = await uow.deals.put(client.id, "B-1", deal("EUR"), now=T0)
        dollar, _ = await uow.deals.put(client.id, "B-2", deal("USD"), now=T0)
        client_id = client.id
    unpaid = InvoiceData(
        amount=Decimal("12.34"), due_date=date(2027, 4, 15), paid=False, paid_on=None
    )
    paid = InvoiceData(
        amount=Decimal("12.35"), due_date=date(2027, 4, 16), paid=True, paid_on=date(2027, 4, 2)
    )
    with sent_statements(database) as statements:
        async with database.transaction() as session:
            invoices = SqlUnitOfWork(session).invoices
            first = await invoices.put_in_deal(client_id, "B-2", "R-1", unpaid, now=T0)
            assert len(statements) == 1
            later = T0 + timedelta(minutes=5)
            again = await invoices.put_in_deal(client_id, "B-2", "R-1", paid, now=later)
            other = await invoices.put_in_deal(client_id, "B-1", "R-1", unpaid, now=later)
            missing = await invoices.put_in_deal(client_id, "B-3", "R-1", unpaid, now=later)
            elsewhere = await invoices.put_in_deal(client_id + 1, "B-1", "R-1", unpaid, now=later)
            assert len(statements) == 5
    assert first is not None and again is not None and other is not None
    assert missing is None and elsewhere is None
    (invoice, created), (updated, created_again) = (
        (first.invoice, first.created),
        (
            again.invoice,
            again.created,
        ),
    )
    assert first.people is None  # not asked for
    assert created and not created_again
    assert (invoice.deal_id, invoice.currency, invoice.data, invoice.created_at) == (
        dollar.id,
        "USD",
        unpaid,
        T0,
    )
    assert (updated.id, updated.currency, updated.data) == (invoice.id, "USD", paid)
    assert (updated.created_at, updated.updated_at) == (T0, T0 + timedelta(minutes=5))
    assert other.created and other.invoice.deal_id == euro.id
    assert other.invoice.currency == "EUR"


async def test_the_clients_active_users_come_back_from_the_same_statement(
    database: Database,
) -> None:
    """As `active_people` would answer: active memberships at an active client, in the
    order they were made; none at a blocked client."""
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        other = Client(kind="legal_entity", name="SIA Cits")
        people = [
            Person(personal_code=f"0101901000{n}", given_name="Anna", family_name="Ozola")
            for n in range(4)
        ]
        session.add_all([client, other, *people])
        await session.flush()
        # Made in this order, so that person ids and membership ids disagree.
        for person, at, status in (
            (people[2], client, "active"),
            (people[0], client, "active"),
            (people[1], client, "blocked"),
            (people[3], other, "active"),
        ):
            session.add(
                Membership(person_id=person.id, client_id=at.id, role="main", status=status)
            )
        await session.flush()
        uow = SqlUnitOfWork(session)
        await uow.deals.put(client.id, "B-1", deal("EUR"), now=T0)
        await uow.deals.put(other.id, "B-1", deal("EUR"), now=T0)
        expected = await uow.client_users.active_people(client.id)
        assert expected == [people[2].id, people[0].id]
        unpaid = InvoiceData(
            amount=Decimal("5.00"), due_date=date(2027, 4, 1), paid=False, paid_on=None
        )
        with sent_statements(database) as statements:
            put = await uow.invoices.put_in_deal(
                client.id, "B-1", "R-1", unpaid, now=T0, with_people=True
            )
            assert len(statements) == 1
        assert put is not None and put.created and put.people == expected
        again = await uow.invoices.put_in_deal(
            client.id, "B-1", "R-1", unpaid, now=T0 + timedelta(seconds=1), with_people=True
        )
        assert again is not None and not again.created and again.people == expected
        client.status = "blocked"
        await session.flush()
        blocked = await uow.invoices.put_in_deal(
            client.id, "B-1", "R-2", unpaid, now=T0, with_people=True
        )
        assert blocked is not None and blocked.people == []
