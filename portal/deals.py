"""Deals and their invoices, as ALTUM's systems send them (upserts by number). A new deal or
invoice is told in chat to every user who has access to the client."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from portal.client_admin import client_name
from portal.model import (
    Action,
    ActivityEvent,
    DealAdded,
    DealData,
    DealRecord,
    Invalid,
    InvoiceAdded,
    InvoiceData,
    InvoiceRecord,
    NotFound,
    ReminderPolicy,
)
from portal.ports import Notifier, UnitOfWork
from portal.reminders import schedule_invoice_reminders

_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_AMOUNT = Decimal("1000000000000")  # 10^12: far above any deal, well inside BIGINT cents


def check_number(number: str, field: str = "deal_number") -> str:
    if not _NUMBER.fullmatch(number):
        raise Invalid(field, "1-40 letters, digits, '.', '_' or '-'")
    return number


def _money(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise Invalid(field, "an amount from 0 below 10^12")
    if value != value.quantize(Decimal("0.01")):
        raise Invalid(field, "at most two decimal places")
    return value.quantize(Decimal("0.01"))


def check_deal(data: DealData) -> DealData:
    if not _CURRENCY.fullmatch(data.currency):
        raise Invalid("currency", "an ISO 4217 code such as EUR")
    if data.end_date is not None and data.end_date < data.start_date:
        raise Invalid("end_date", "before the start date")
    product = " ".join(data.product.split())
    if not product:
        raise Invalid("product", "empty")
    return DealData(
        product=product,
        amount=_money(data.amount, "amount"),
        currency=data.currency,
        balance=_money(data.balance, "balance"),
        start_date=data.start_date,
        end_date=data.end_date,
        status=data.status,
    )


async def get_deal(*, uow: UnitOfWork, client_id: int, number: str) -> DealRecord:
    deal = await uow.deals.get(client_id, number)
    if deal is None:
        raise NotFound("deal")
    return deal


async def list_deals(*, uow: UnitOfWork, client_id: int) -> list[DealRecord]:
    await client_name(uow=uow, client_id=client_id)
    return await uow.deals.of_client(client_id)


async def put_deal(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    client_id: int,
    number: str,
    data: DealData,
    actor: str,
    now: datetime,
) -> tuple[DealRecord, bool]:
    """Insert or update the deal; True when it is new (its users are told)."""
    try:
        clean = check_deal(data)
        check_number(number)
    except Invalid:
        await client_name(uow=uow, client_id=client_id)  # a missing client: 404 first
        raise
    # The client is found by the upsert itself; its name is asked only for news.
    put = await uow.deals.put(client_id, number, clean, now=now)
    if put is None:
        raise NotFound("client")
    deal, created = put
    await uow.activity.record(
        ActivityEvent(
            action=Action.DEAL_ADDED if created else Action.DEAL_UPDATED,
            client_id=client_id,
            actor=actor,
            occurred_at=now,
            details={"deal": number, "status": str(clean.status)},
        )
    )
    if created:
        client = await client_name(uow=uow, client_id=client_id)
        for person_id in await uow.client_users.active_people(client_id):
            await notifier.notify(
                DealAdded(
                    person_id=person_id,
                    client_name=client,
                    number=number,
                    product=clean.product,
                    amount=clean.amount,
                    currency=clean.currency,
                    start_date=clean.start_date,
                    end_date=clean.end_date,
                )
            )
    return deal, created


async def get_invoice(
    *, uow: UnitOfWork, client_id: int, deal_number: str, number: str
) -> InvoiceRecord:
    deal = await get_deal(uow=uow, client_id=client_id, number=deal_number)
    invoice = await uow.invoices.get(deal, number)
    if invoice is None:
        raise NotFound("invoice")
    return invoice


async def list_invoices(
    *, uow: UnitOfWork, client_id: int, deal_number: str
) -> list[InvoiceRecord]:
    deal = await get_deal(uow=uow, client_id=client_id, number=deal_number)
    return await uow.invoices.of_deal(deal)


async def _deal_of_client(*, uow: UnitOfWork, client_id: int, deal_number: str) -> None:
    """NotFound for the client, else for the deal, when either is missing (the client first,
    as every other request of a client's)."""
    await client_name(uow=uow, client_id=client_id)
    await get_deal(uow=uow, client_id=client_id, number=deal_number)


async def put_invoice(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    client_id: int,
    deal_number: str,
    number: str,
    data: InvoiceData,
    actor: str,
    now: datetime,
    reminders: ReminderPolicy | None = None,
) -> tuple[InvoiceRecord, bool]:
    """`reminders`: when given, the invoice's reminders are scheduled (or cancelled when it
    is paid) as it now stands (portal/reminders.py)."""
    try:
        if data.paid_on is not None and not data.paid:
            raise Invalid("paid_on", "given for an unpaid invoice")
        clean = InvoiceData(
            amount=_money(data.amount, "amount"),
            due_date=data.due_date,
            paid=data.paid,
            paid_on=data.paid_on,
        )
        check_number(number, "invoice_number")
    except Invalid:
        await _deal_of_client(uow=uow, client_id=client_id, deal_number=deal_number)  # 404 first
        raise
    # The deal is found by the upsert itself, and an unpaid invoice's reminders need the
    # client's active users, which come back from it too: one round trip, not three.
    put = await uow.invoices.put_in_deal(
        client_id,
        deal_number,
        number,
        clean,
        now=now,
        with_people=reminders is not None and not clean.paid,
    )
    if put is None:
        await _deal_of_client(uow=uow, client_id=client_id, deal_number=deal_number)
        raise NotFound("deal")
    invoice, created = put.invoice, put.created
    await uow.activity.record(
        ActivityEvent(
            action=Action.INVOICE_ADDED if created else Action.INVOICE_UPDATED,
            client_id=client_id,
            actor=actor,
            occurred_at=now,
            details={"deal": deal_number, "invoice": number, "paid": clean.paid},
        )
    )
    # Asked once, for both the reminders and the news; an update may need neither.
    people = put.people
    if people is None and created:
        people = await uow.client_users.active_people(client_id)
    if reminders is not None:
        await schedule_invoice_reminders(
            uow=uow,
            client_id=client_id,
            deal_number=deal_number,
            invoice=invoice,
            policy=reminders,
            now=now,
            people=people,
        )
    if created and people:
        client = await client_name(uow=uow, client_id=client_id)
        for person_id in people:
            await notifier.notify(
                InvoiceAdded(
                    person_id=person_id,
                    client_name=client,
                    deal_number=deal_number,
                    number=number,
                    amount=clean.amount,
                    currency=invoice.currency,
                    due_date=clean.due_date,
                )
            )
    return invoice, created
