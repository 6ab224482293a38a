"""Deals and their invoices, upserted by number. A new one is told in chat to the client's
users."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Body, ClientPath, Id, Number, Request
from portal import deals
from portal.model import (
    DealData,
    DealRecord,
    DealStatus,
    DealWrite,
    InvoiceData,
    InvoiceRecord,
    InvoiceWrite,
    Refusal,
    only_result,
)

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

resource = Resource("deals", "A client's deals (loans, guarantees, …) and their invoices.")

Money = Annotated[
    Decimal,
    Field(
        ge=0,
        lt=10**12,
        max_digits=14,
        decimal_places=2,
        description='e.g. "12500.00"',
        examples=["12500.00"],
    ),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
LastChanged = Annotated[
    datetime, Field(description="when its data last changed: a PUT of the same values keeps it")
]


class DealPath(Request):
    client_id: Id
    deal_number: Number


class InvoicePath(Request):
    client_id: Id
    deal_number: Number
    invoice_number: Number


class DealBody(Body):
    product: str = Field(min_length=1, max_length=200, examples=["Investīciju aizdevums"])
    amount: Money
    currency: Currency = "EUR"
    balance: Money = Field(description="what is still owed (or not yet drawn)")
    start_date: date = Field(examples=["2025-03-01"])
    end_date: date | None = Field(default=None, examples=["2030-02-28"])
    status: Literal["active", "closed"]


class Deal(BaseModel):
    client_id: int
    number: str
    product: str
    amount: Decimal
    currency: str
    balance: Decimal
    start_date: date
    end_date: date | None
    status: Literal["active", "closed"]
    created_at: datetime
    updated_at: LastChanged

    @classmethod
    def of(cls, deal: DealRecord) -> Deal:
        data = deal.data
        return cls(
            client_id=deal.client_id,
            number=deal.number,
            product=data.product,
            amount=data.amount,
            currency=data.currency,
            balance=data.balance,
            start_date=data.start_date,
            end_date=data.end_date,
            status=data.status,
            created_at=deal.created_at,
            updated_at=deal.updated_at,
        )


class DealList(BaseModel):
    items: list[Deal]


class InvoiceBody(Body):
    amount: Money
    due_date: date = Field(examples=["2025-04-15"])
    paid: bool = False
    paid_on: date | None = Field(default=None, description="only for a paid invoice")


class Invoice(BaseModel):
    deal_number: str
    number: str
    amount: Decimal
    currency: str
    due_date: date
    paid: bool
    paid_on: date | None
    created_at: datetime
    updated_at: LastChanged

    @classmethod
    def of(cls, deal_number: str, invoice: InvoiceRecord) -> Invoice:
        return cls(
            deal_number=deal_number,
            number=invoice.number,
            amount=invoice.data.amount,
            currency=invoice.currency,
            due_date=invoice.data.due_date,
            paid=invoice.data.paid,
            paid_on=invoice.data.paid_on,
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
        )


class InvoiceList(BaseModel):
    items: list[Invoice]


@resource.operation(
    "GET",
    "/clients/{client_id}/deals",
    scope="deals:read",
    summary="The client's deals",
    errors=(404,),
)
async def list_deals(call: Call, path: ClientPath) -> DealList:
    found = await deals.list_deals(uow=call.uow, client_id=path.client_id)
    return DealList(items=[Deal.of(deal) for deal in found])


@resource.operation(
    "GET",
    "/clients/{client_id}/deals/{deal_number}",
    scope="deals:read",
    summary="One deal",
    errors=(404,),
)
async def get_deal(call: Call, path: DealPath) -> Deal:
    deal = await deals.get_deal(uow=call.uow, client_id=path.client_id, number=path.deal_number)
    return Deal.of(deal)


@resource.operation(
    "PUT",
    "/clients/{client_id}/deals/{deal_number}",
    scope="deals:write",
    summary="Create or update a deal",
    also=(201,),
    errors=(404,),
    links={
        "GetDeal": {
            "operationId": "get_deal",
            "parameters": {
                "client_id": "$request.path.client_id",
                "deal_number": "$request.path.deal_number",
            },
        }
    },
)
async def put_deal(call: Call, path: DealPath, body: DealBody) -> Deal:
    """201 when the deal is new (its users are told in chat), 200 when it was updated."""
    return only_result(await put_deals([call], path=[path], body=[body]))


@resource.together(put_deal)
async def put_deals(
    calls: list[Call], path: list[DealPath], body: list[DealBody]
) -> list[Deal | Refusal]:
    writes = [
        DealWrite(
            client_id=at.client_id,
            number=at.deal_number,
            data=DealData(
                product=given.product,
                amount=given.amount,
                currency=given.currency,
                balance=given.balance,
                start_date=given.start_date,
                end_date=given.end_date,
                status=DealStatus(given.status),
            ),
            actor=call.actor,
            now=call.now,
        )
        for call, at, given in zip(calls, path, body, strict=True)
    ]
    puts = await deals.put_deals(uow=calls[0].uow, notifier=calls[0].notifier, writes=writes)
    return _answers(calls, puts, lambda _, deal: Deal.of(deal))


def _answers(
    calls: list[Call], puts: Sequence[tuple[R, bool] | Refusal], answer: Callable[[int, R], M]
) -> list[M | Refusal]:
    """Each write's answer (the i-th's from `answer(i, record)`; 201 when it is new, 200
    when updated), or its refusal."""
    answers: list[M | Refusal] = []
    for index, (call, put) in enumerate(zip(calls, puts, strict=True)):
        if isinstance(put, Refusal):
            answers.append(put)
        else:
            record, created = put
            call.status = 201 if created else 200
            answers.append(answer(index, record))
    return answers


@resource.operation(
    "GET",
    "/clients/{client_id}/deals/{deal_number}/invoices",
    scope="deals:read",
    summary="A deal's invoices",
    errors=(404,),
)
async def list_invoices(call: Call, path: DealPath) -> InvoiceList:
    found = await deals.list_invoices(
        uow=call.uow, client_id=path.client_id, deal_number=path.deal_number
    )
    return InvoiceList(items=[Invoice.of(path.deal_number, invoice) for invoice in found])


@resource.operation(
    "GET",
    "/clients/{client_id}/deals/{deal_number}/invoices/{invoice_number}",
    scope="deals:read",
    summary="One invoice",
    errors=(404,),
)
async def get_invoice(call: Call, path: InvoicePath) -> Invoice:
    invoice = await deals.get_invoice(
        uow=call.uow,
        client_id=path.client_id,
        deal_number=path.deal_number,
        number=path.invoice_number,
    )
    return Invoice.of(path.deal_number, invoice)


@resource.operation(
    "PUT",
    "/clients/{client_id}/deals/{deal_number}/invoices/{invoice_number}",
    scope="deals:write",
    summary="Create or update an invoice of a deal",
    also=(201,),
    errors=(404,),
    links={
        "GetInvoice": {
            "operationId": "get_invoice",
            "parameters": {
                "client_id": "$request.path.client_id",
                "deal_number": "$request.path.deal_number",
                "invoice_number": "$request.path.invoice_number",
            },
        }
    },
)
async def put_invoice(call: Call, path: InvoicePath, body: InvoiceBody) -> Invoice:
    """In the deal's currency. 201 when new (the client's users are told), 200 when updated.
    An unpaid invoice's reminders are scheduled anew when a value changed; the same values
    again (a sync) leave them as they are, sent or snoozed, and only add a user's missing
    ones."""
    return only_result(await put_invoices([call], path=[path], body=[body]))


@resource.together(put_invoice)
async def put_invoices(
    calls: list[Call], path: list[InvoicePath], body: list[InvoiceBody]
) -> list[Invoice | Refusal]:
    writes = [
        InvoiceWrite(
            client_id=at.client_id,
            deal_number=at.deal_number,
            number=at.invoice_number,
            data=InvoiceData(
                amount=given.amount,
                due_date=given.due_date,
                paid=given.paid,
                paid_on=given.paid_on,
            ),
            actor=call.actor,
            now=call.now,
        )
        for call, at, given in zip(calls, path, body, strict=True)
    ]
    first = calls[0]
    puts = await deals.put_invoices(
        uow=first.uow,
        notifier=first.notifier,
        writes=writes,
        reminders=first.context.reminder_policy,
    )
    return _answers(calls, puts, lambda i, invoice: Invoice.of(path[i].deal_number, invoice))
