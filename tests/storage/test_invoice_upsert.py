"""An invoice written into a deal found by its number: one statement on both databases (a CTE
on PostgreSQL, INSERT … SELECT on SQLite), in the deal's currency, inserted then updated."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from storage_support import T0, deal, put_deal, put_invoice, sent_statements

from portal.model import InvoiceData, InvoiceWrite
from storage.database import Database
from storage.models import Client, Membership, Person
from storage.repositories import SqlUnitOfWork

UNPAID = InvoiceData(amount=Decimal("12.34"), due_date=date(2027, 4, 15), paid=False, paid_on=None)
PAID = InvoiceData(
    amount=Decimal("12.35"), due_date=date(2027, 4, 16), paid=True, paid_on=date(2027, 4, 2)
)


async def test_an_invoice_is_upserted_into_its_deal_in_one_statement(database: Database) -> None:
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        session.add(client)
        await session.flush()
        uow = SqlUnitOfWork(session)
        euro_put = await put_deal(uow.deals, client.id, "B-1", deal("EUR"), now=T0)
        dollar_put = await put_deal(uow.deals, client.id, "B-2", deal("USD"), now=T0)
        assert euro_put is not None and dollar_put is not None
        euro, dollar = euro_put[0], dollar_put[0]
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
            first = await put_invoice(invoices, client_id, "B-2", "R-1", unpaid, now=T0)
            assert len(statements) == 1
            later = T0 + timedelta(minutes=5)
            again = await put_invoice(invoices, client_id, "B-2", "R-1", paid, now=later)
            other = await put_invoice(invoices, client_id, "B-1", "R-1", unpaid, now=later)
            missing = await put_invoice(invoices, client_id, "B-3", "R-1", unpaid, now=later)
            elsewhere = await put_invoice(invoices, client_id + 1, "B-1", "R-1", unpaid, now=later)
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
        await put_deal(uow.deals, client.id, "B-1", deal("EUR"), now=T0)
        await put_deal(uow.deals, other.id, "B-1", deal("EUR"), now=T0)
        expected = await uow.client_users.active_people(client.id)
        assert expected == [people[2].id, people[0].id]
        unpaid = InvoiceData(
            amount=Decimal("5.00"), due_date=date(2027, 4, 1), paid=False, paid_on=None
        )
        with sent_statements(database) as statements:
            put = await put_invoice(
                uow.invoices, client.id, "B-1", "R-1", unpaid, now=T0, with_people=True
            )
            assert len(statements) == 1
        assert put is not None and put.created and put.people == expected
        again = await put_invoice(
            uow.invoices,
            client.id,
            "B-1",
            "R-1",
            unpaid,
            now=T0 + timedelta(seconds=1),
            with_people=True,
        )
        assert again is not None and not again.created and again.people == expected
        client.status = "blocked"
        await session.flush()
        blocked = await put_invoice(
            uow.invoices, client.id, "B-1", "R-2", unpaid, now=T0, with_people=True
        )
        assert blocked is not None and blocked.people == []


async def test_a_batchs_invoices_go_in_one_statement_with_their_clients_users(
    database: Database,
) -> None:
    """Several deals' invoices in one statement, each in its deal's currency, with its own
    client's active users as `active_people` gives them; a write into a deal not there comes
    back None; an invoice written twice goes in a second round (the later write wins)."""
    async with database.transaction() as session:
        clients = [Client(kind="legal_entity", name=f"SIA {n}") for n in range(2)]
        people = [
            Person(personal_code=f"0101901000{n}", given_name="Anna", family_name="Ozola")
            for n in range(3)
        ]
        session.add_all([*clients, *people])
        await session.flush()
        first, second = (client.id for client in clients)
        for person, client_id in ((people[2], first), (people[0], first), (people[1], second)):
            session.add(Membership(person_id=person.id, client_id=client_id, role="main"))
        await session.flush()
        uow = SqlUnitOfWork(session)
        await put_deal(uow.deals, first, "B-1", deal("EUR"), now=T0)
        await put_deal(uow.deals, second, "B-1", deal("USD"), now=T0)
        await put_invoice(uow.invoices, first, "B-1", "R-1", UNPAID, now=T0)
        users = {c: await uow.client_users.active_people(c) for c in (first, second)}
    assert users == {first: [people[2].id, people[0].id], second: [people[1].id]}
    later = T0 + timedelta(minutes=1)

    def write(client_id: int, number: str, data: InvoiceData, seconds: int = 0) -> InvoiceWrite:
        now = later + timedelta(seconds=seconds)
        return InvoiceWrite(client_id, "B-1", number, data, actor="api:test", now=now)

    writes = [
        write(second, "R-1", UNPAID),
        write(first, "R-1", PAID),  # an update
        write(first + second + 1, "R-1", UNPAID),  # no such client, so no such deal
        write(first, "R-2", UNPAID),
        write(first, "R-2", PAID, seconds=1),  # written again: the second round
    ]
    with sent_statements(database) as statements:
        async with database.transaction() as session:
            invoices = SqlUnitOfWork(session).invoices
            puts = await invoices.put_many(writes, with_people=True)
            assert [s.split()[0] for s in statements] in (["INSERT", "INSERT"], ["WITH", "WITH"])
    assert puts[2] is None
    done = [put for put in puts if put is not None]
    assert [put.created for put in done] == [True, False, True, False]
    assert [put.invoice.currency for put in done] == ["USD", "EUR", "EUR", "EUR"]
    assert [put.invoice.data for put in done] == [UNPAID, PAID, UNPAID, PAID]
    assert [put.people for put in done] == [users[second], *[users[first]] * 3]
    assert done[1].invoice.created_at == T0 and done[1].invoice.updated_at == later
    assert done[2].invoice.id == done[3].invoice.id


async def test_an_invoice_written_again_unchanged_keeps_its_time_and_says_so(
    database: Database,
) -> None:
    """`updated_at` tells when the data last changed: a write of the same values keeps it and
    comes back not `changed` (its reminders then stay as they are), alone and in a batch; a
    change of any one value, a NULL to a date too, is one."""
    async with database.transaction() as session:
        client = Client(kind="legal_entity", name="SIA Ozolkalna Koks")
        session.add(client)
        await session.flush()
        await put_deal(SqlUnitOfWork(session).deals, client.id, "B-1", deal("EUR"), now=T0)
        client_id = client.id

    def write(number: str, data: InvoiceData, minutes: int) -> InvoiceWrite:
        now = T0 + timedelta(minutes=minutes)
        return InvoiceWrite(client_id, "B-1", number, data, actor="api:test", now=now)

    at = {n: T0 + timedelta(minutes=n) for n in range(6)}
    async with database.transaction() as session:
        invoices = SqlUnitOfWork(session).invoices
        first = await invoices.put_many([write("R-1", UNPAID, 1), write("R-2", PAID, 1)])
        alone = await invoices.put_many([write("R-1", UNPAID, 2)])  # the one-row statement
        batch = await invoices.put_many(
            [write("R-1", UNPAID, 3), write("R-2", PAID, 3)], with_people=True
        )
        moved = replace(UNPAID, due_date=date(2027, 4, 20))
        unpaid_again = replace(PAID, paid=False, paid_on=None)
        changes = await invoices.put_many(
            [
                write("R-1", replace(UNPAID, amount=Decimal("12.33")), 4),
                write("R-2", unpaid_again, 4),
            ]
        )
        changed_alone = await invoices.put_many([write("R-1", moved, 5)])
    puts = [put for put in (*first, *alone, *batch, *changes, *changed_alone) if put is not None]
    assert [(put.created, put.changed) for put in puts] == [
        (True, True),
        (True, True),
        (False, False),
        (False, False),
        (False, False),
        (False, True),
        (False, True),
        (False, True),
    ]
    assert [put.invoice.updated_at for put in puts] == [
        at[1],
        at[1],
        at[1],
        at[1],
        at[1],
        at[4],
        at[4],
        at[5],
    ]
    assert puts[6].invoice.data == unpaid_again and puts[7].invoice.data == moved
