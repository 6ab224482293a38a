"""«Informācija» (MANUAL-EN §4): the client's activity log, filtered by period and kind and
paged, and the invoices of its deals with the overdue ones marked. For any active user of the
chat's current client (an accountant is an additional user), checked on every call."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.administration import actor_person
from portal.clients import current_client
from portal.model import (
    KIND_ACTIONS,
    ActivityEntry,
    ActivityEvent,
    ActivityKind,
    ActivityPage,
    ClientAccess,
    DealInvoices,
    DealStatus,
    InvoiceLine,
    NoClientChosen,
    Period,
)
from portal.ports import UnitOfWork

RIGA = ZoneInfo("Europe/Riga")
PER_PAGE = 8


async def _client(uow: UnitOfWork, telegram_user_id: int) -> ClientAccess:
    access = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    if access is None:
        raise NoClientChosen
    return access


async def activity(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    period: Period,
    kind: ActivityKind,
    page: int,
    now: datetime,
) -> tuple[ClientAccess, ActivityPage]:
    """A page of the current client's log, newest first; a page past the end gives the last."""
    access = await _client(uow, telegram_user_id)
    since = None if period is Period.ALL else now - timedelta(days=int(period))
    actions = None if kind is ActivityKind.ALL else [str(a) for a in KIND_ACTIONS[kind]]
    page = max(page, 0)
    events, total = await uow.activity.of_client(
        access.client_id, since=since, actions=actions, offset=page * PER_PAGE, limit=PER_PAGE
    )
    pages = max(1, math.ceil(total / PER_PAGE))
    if page >= pages:
        page = pages - 1
        events, total = await uow.activity.of_client(
            access.client_id, since=since, actions=actions, offset=page * PER_PAGE, limit=PER_PAGE
        )
    entries = [await _entry(uow, event) for event in events]
    return access, ActivityPage(entries=entries, page=page, pages=pages, total=total)


async def _entry(uow: UnitOfWork, event: ActivityEvent) -> ActivityEntry:
    subject = await _name(uow, event.person_id)
    if (event.actor or "").startswith("api:"):
        return ActivityEntry(event=event, who="", by_altum=True, subject=subject)
    actor = actor_person(event.actor)
    if actor is None or actor == event.person_id:
        return ActivityEntry(event=event, who=subject, by_altum=False)
    return ActivityEntry(event=event, who=await _name(uow, actor), by_altum=False, subject=subject)


async def _name(uow: UnitOfWork, person_id: int | None) -> str:
    person = await uow.persons.get(person_id) if person_id is not None else None
    return person.full_name if person is not None else ""


def riga_today(now: datetime) -> date:
    return now.astimezone(RIGA).date()


async def invoices(
    *, uow: UnitOfWork, telegram_user_id: int, now: datetime
) -> tuple[ClientAccess, list[DealInvoices]]:
    """Every deal of the current client with its invoices by due date, the active deals
    first (what may still be paid), then the closed ones; unpaid invoices whose due date has
    passed in Riga are overdue."""
    access = await _client(uow, telegram_user_id)
    today = riga_today(now)
    listed = []
    deals = await uow.deals.of_client(access.client_id)  # by start date
    for deal in sorted(deals, key=lambda d: d.data.status is not DealStatus.ACTIVE):
        lines = [
            InvoiceLine(invoice=i, overdue=not i.data.paid and i.data.due_date < today)
            for i in await uow.invoices.of_deal(deal)
        ]
        listed.append(DealInvoices(deal=deal, invoices=lines))
    return access, listed


async def current(*, uow: UnitOfWork, telegram_user_id: int) -> ClientAccess:
    """The client «Informācija» is about: the chat's current one, if access holds."""
    return await _client(uow, telegram_user_id)
