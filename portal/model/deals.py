"""Deals and their invoices, as ALTUM's systems send them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class DealStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class DealData:
    """What ALTUM says a deal is (the body of an upsert)."""

    product: str
    amount: Decimal
    currency: str
    balance: Decimal
    start_date: date
    end_date: date | None
    status: DealStatus


@dataclass(frozen=True, slots=True)
class DealRecord:
    id: int
    client_id: int
    number: str
    data: DealData
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceData:
    amount: Decimal
    due_date: date
    paid: bool
    paid_on: date | None


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    id: int
    deal_id: int
    number: str
    currency: str
    data: InvoiceData
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InvoicePut:
    """An invoice as written: whether it was inserted, whether its data changed (inserted, or
    a value differed from the stored one), and the client's active users when the writer
    asked for them in the same statement (None: not asked)."""

    invoice: InvoiceRecord
    created: bool
    changed: bool
    people: list[int] | None = None


@dataclass(frozen=True, slots=True)
class DealWrite:
    """One upsert of a deal by its client's id and its number, by `actor` at `now`."""

    client_id: int
    number: str
    data: DealData
    actor: str
    now: datetime


@dataclass(frozen=True, slots=True)
class InvoiceWrite:
    """One upsert of an invoice by its client's id, its deal's number and its number."""

    client_id: int
    deal_number: str
    number: str
    data: InvoiceData
    actor: str
    now: datetime
