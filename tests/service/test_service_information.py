"""«Informācija» through the use cases: the current client's log only, newest first, filtered
by period and kind, paged (a page past the end gives the last), with who did it by name (ALTUM
for its systems); invoices by deal with the overdue ones marked by Riga's date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, client_of, linked

from portal import information
from portal.clients import choose_client
from portal.deals import put_deal, put_invoice
from portal.model import (
    Action,
    ActivityEvent,
    ActivityKind,
    DealData,
    DealStatus,
    InvoiceData,
    NoClientChosen,
    Period,
)

DEAL = DealData(
    product="Aizdevums",
    amount=Decimal("50000.00"),
    currency="EUR",
    balance=Decimal("42000.00"),
    start_date=date(2026, 1, 15),
    end_date=None,
    status=DealStatus.ACTIVE,
)


async def setup(uow: FakeUnitOfWork) -> tuple[int, int]:
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    return anna.id, client_id


async def test_the_log_is_the_clients_own_filtered_and_paged() -> None:
    uow = FakeUnitOfWork()
    anna_id, client_id = await setup(uow)
    other = await client_of(uow, anna_id, "Cits")
    for days in range(20):  # one deal event a day, newest today
        await uow.activity.record(
            ActivityEvent(
                action=Action.DEAL_UPDATED,
                client_id=client_id,
                actor="api:crm",
                occurred_at=NOW - timedelta(days=days),
                details={"deal": f"D-{days}"},
            )
        )
    await uow.activity.record(
        ActivityEvent(action=Action.USER_ADDED, client_id=other, actor="api:crm", occurred_at=NOW)
    )
    _, page = await information.activity(
        uow=uow,
        telegram_user_id=42,
        period=Period.WEEK,
        kind=ActivityKind.FINANCE,
        page=0,
        now=NOW,
    )
    assert page.total == 8 and page.pages == 1  # days 0..7 (the 7th is exactly 7 days back)
    assert [e.event.details["deal"] for e in page.entries][:2] == ["D-0", "D-1"]
    assert all(e.by_altum and e.who == "" for e in page.entries)
    _, last = await information.activity(
        uow=uow,
        telegram_user_id=42,
        period=Period.ALL,
        kind=ActivityKind.ALL,
        page=99,
        now=NOW,
    )
    # 20 deal events and Anna choosing the client: three pages of 8, the last one shown.
    assert (last.total, last.pages, last.page, len(last.entries)) == (21, 3, 2, 5)
    _, users = await information.activity(
        uow=uow,
        telegram_user_id=42,
        period=Period.ALL,
        kind=ActivityKind.USERS,
        page=0,
        now=NOW,
    )
    assert users.total == 0  # the other client's event is not here
    _, sessions = await information.activity(
        uow=uow,
        telegram_user_id=42,
        period=Period.ALL,
        kind=ActivityKind.SESSIONS,
        page=0,
        now=NOW,
    )
    assert [(e.who, e.by_altum) for e in sessions.entries] == [("Anna Bērziņa", False)]


async def test_invoices_are_overdue_from_the_day_after_their_due_date_in_riga() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    _, client_id = await setup(uow)
    await put_deal(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        number="D-1",
        data=DEAL,
        actor="api:crm",
        now=NOW,
    )
    for number, due, paid in (("R-1", date(2026, 12, 1), False), ("R-2", date(2026, 11, 1), True)):
        await put_invoice(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            deal_number="D-1",
            number=number,
            data=InvoiceData(
                amount=Decimal("100"), due_date=due, paid=paid, paid_on=due if paid else None
            ),
            actor="api:crm",
            now=NOW,
        )
    late_evening = datetime.fromisoformat("2026-12-01T21:59:00+00:00")  # 23:59 in Riga
    _, deals = await information.invoices(uow=uow, telegram_user_id=42, now=late_evening)
    assert [(i.invoice.number, i.overdue) for i in deals[0].invoices] == [
        ("R-2", False),
        ("R-1", False),
    ]
    after_midnight = late_evening + timedelta(minutes=2)  # 2 December in Riga
    _, deals = await information.invoices(uow=uow, telegram_user_id=42, now=after_midnight)
    assert [(i.invoice.number, i.overdue) for i in deals[0].invoices] == [
        ("R-2", False),
        ("R-1", True),
    ]


async def test_the_active_deals_invoices_come_before_a_closed_deals() -> None:
    """What may still be paid first: a closed deal that started earlier is listed last."""
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    _, client_id = await setup(uow)
    closed = replace(DEAL, start_date=date(2020, 1, 1), status=DealStatus.CLOSED)
    for number, data in (
        ("D-OLD", closed),
        ("D-1", DEAL),
        ("D-2", replace(DEAL, start_date=date(2026, 6, 1))),
    ):
        await put_deal(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            number=number,
            data=data,
            actor="api:crm",
            now=NOW,
        )
    _, deals = await information.invoices(uow=uow, telegram_user_id=42, now=NOW)
    assert [d.deal.number for d in deals] == ["D-1", "D-2", "D-OLD"]


async def test_without_a_current_client_there_is_nothing_to_show() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    with pytest.raises(NoClientChosen):
        await information.invoices(uow=uow, telegram_user_id=42, now=NOW)
