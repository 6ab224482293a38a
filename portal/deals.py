"""Deals and their invoices, as ALTUM's systems send them (upserts by number). A new deal or
invoice is told in chat to every user who has access to the client."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from portal.client_admin import client_name
from portal.model import (
    Action,
    ActivityEvent,
    DealAdded,
    DealData,
    DealRecord,
    DealWrite,
    Invalid,
    InvoiceAdded,
    InvoiceData,
    InvoicePut,
    InvoiceRecord,
    InvoiceWrite,
    NotFound,
    Refusal,
    ReminderPolicy,
    only_result,
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
    write = DealWrite(client_id=client_id, number=number, data=data, actor=actor, now=now)
    return only_result(await put_deals(uow=uow, notifier=notifier, writes=[write]))


async def put_deals(
    *, uow: UnitOfWork, notifier: Notifier, writes: Sequence[DealWrite]
) -> list[tuple[DealRecord, bool] | Refusal]:
    """`put_deal` for each, in one statement (an API batch's): each answered with its
    result or with the refusal it would raise alone, having written nothing."""
    outcomes: list[tuple[DealRecord, bool] | Refusal | None] = [None] * len(writes)
    clean: list[tuple[int, DealWrite]] = []
    for index, write in enumerate(writes):
        try:
            check_number(write.number)
            clean.append((index, replace(write, data=check_deal(write.data))))
        except Invalid as invalid:
            outcomes[index] = await _missing_client(uow, write.client_id) or invalid
    # Each client is found by the upsert itself; its name is asked only for news.
    puts = await uow.deals.put_many([write for _, write in clean])
    for (index, write), put in zip(clean, puts, strict=True):
        if put is None:
            outcomes[index] = NotFound("client")
            continue
        outcomes[index] = put
        created = put[1]
        await uow.activity.record(
            ActivityEvent(
                action=Action.DEAL_ADDED if created else Action.DEAL_UPDATED,
                client_id=write.client_id,
                actor=write.actor,
                occurred_at=write.now,
                details={"deal": write.number, "status": str(write.data.status)},
            )
        )
        if created:
            await _tell_of_deal(uow=uow, notifier=notifier, write=write)
    return _all_answered(outcomes)


T = TypeVar("T")


def _all_answered(outcomes: list[T | None]) -> list[T]:
    answered = [outcome for outcome in outcomes if outcome is not None]
    assert len(answered) == len(outcomes), "every write answered"
    return answered


async def _missing_client(uow: UnitOfWork, client_id: int) -> NotFound | None:
    """NotFound when the client does not exist: a request's 404 comes before its 422."""
    try:
        await client_name(uow=uow, client_id=client_id)
    except NotFound as missing:
        return missing
    return None


async def _tell_of_deal(*, uow: UnitOfWork, notifier: Notifier, write: DealWrite) -> None:
    client = await client_name(uow=uow, client_id=write.client_id)
    data = write.data
    for person_id in await uow.client_users.active_people(write.client_id):
        await notifier.notify(
            DealAdded(
                person_id=person_id,
                client_name=client,
                number=write.number,
                product=data.product,
                amount=data.amount,
                currency=data.currency,
                start_date=data.start_date,
                end_date=data.end_date,
            )
        )


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


async def _missing_deal(uow: UnitOfWork, client_id: int, deal_number: str) -> NotFound | None:
    """NotFound for the client, else for the deal, when either is missing (the client first,
    as every other request of a client's)."""
    if missing := await _missing_client(uow, client_id):
        return missing
    if await uow.deals.get(client_id, deal_number) is None:
        return NotFound("deal")
    return None


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
    write = InvoiceWrite(
        client_id=client_id,
        deal_number=deal_number,
        number=number,
        data=data,
        actor=actor,
        now=now,
    )
    puts = await put_invoices(uow=uow, notifier=notifier, writes=[write], reminders=reminders)
    return only_result(puts)


def _clean_invoice(data: InvoiceData, number: str) -> InvoiceData:
    if data.paid_on is not None and not data.paid:
        raise Invalid("paid_on", "given for an unpaid invoice")
    clean = InvoiceData(
        amount=_money(data.amount, "amount"),
        due_date=data.due_date,
        paid=data.paid,
        paid_on=data.paid_on,
    )
    check_number(number, "invoice_number")
    return clean


async def put_invoices(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    writes: Sequence[InvoiceWrite],
    reminders: ReminderPolicy | None = None,
) -> list[tuple[InvoiceRecord, bool] | Refusal]:
    """`put_invoice` for each, in one statement (an API batch's): each answered with its
    result or with the refusal it would raise alone, having written nothing."""
    outcomes: list[tuple[InvoiceRecord, bool] | Refusal | None] = [None] * len(writes)
    clean: list[tuple[int, InvoiceWrite]] = []
    for index, write in enumerate(writes):
        try:
            clean.append((index, replace(write, data=_clean_invoice(write.data, write.number))))
        except Invalid as invalid:  # a missing client or deal: 404 first
            missing = await _missing_deal(uow, write.client_id, write.deal_number)
            outcomes[index] = missing or invalid
    # Each deal is found by the upsert itself, and an unpaid invoice's reminders need the
    # client's active users, which come back from it too: one round trip, not three.
    with_people = reminders is not None and any(not write.data.paid for _, write in clean)
    puts = await uow.invoices.put_many([write for _, write in clean], with_people=with_people)
    for (index, write), put in zip(clean, puts, strict=True):
        if put is None:
            missing = await _missing_deal(uow, write.client_id, write.deal_number)
            outcomes[index] = missing or NotFound("deal")
            continue
        outcomes[index] = (put.invoice, put.created)
        await _after_invoice(uow=uow, notifier=notifier, write=write, put=put, policy=reminders)
    return _all_answered(outcomes)


async def _after_invoice(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    write: InvoiceWrite,
    put: InvoicePut,
    policy: ReminderPolicy | None,
) -> None:
    """The activity log, the reminders and the news of one invoice written."""
    invoice, created, data = put.invoice, put.created, write.data
    await uow.activity.record(
        ActivityEvent(
            action=Action.INVOICE_ADDED if created else Action.INVOICE_UPDATED,
            client_id=write.client_id,
            actor=write.actor,
            occurred_at=write.now,
            details={"deal": write.deal_number, "invoice": write.number, "paid": data.paid},
        )
    )
    # Asked once, for both the reminders and the news; an update may need neither.
    people = put.people
    if people is None and created:
        people = await uow.client_users.active_people(write.client_id)
    if policy is not None:
        await schedule_invoice_reminders(
            uow=uow,
            client_id=write.client_id,
            deal_number=write.deal_number,
            invoice=invoice,
            policy=policy,
            now=write.now,
            people=people,
            changed=put.changed,
        )
    if created and people:
        client = await client_name(uow=uow, client_id=write.client_id)
        for person_id in people:
            await notifier.notify(
                InvoiceAdded(
                    person_id=person_id,
                    client_name=client,
                    deal_number=write.deal_number,
                    number=write.number,
                    amount=data.amount,
                    currency=invoice.currency,
                    due_date=data.due_date,
                )
            )
