"""Records of ALTUM's side as the use cases see them: clients, users, deals, invoices,
consultants, registrations under review, API tokens and feed events. Plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class DealStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class RegistrationStatus(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the e-mail link not opened yet
    AWAITING_REVIEW = "awaiting_review"  # a client, but nothing signed in its name yet
    CONFIRMED = "confirmed"  # no review needed (a natural person, or review is off)
    APPROVED = "approved"  # ALTUM checked it


@dataclass(frozen=True, slots=True)
class ClientRecord:
    id: int
    kind: str
    name: str
    registration_number: str | None
    status: str
    legal_form: str | None
    address: str | None
    email: str | None
    phone: str | None
    representation_rule: str | None
    representation_with_at_least: int | None
    created_at: datetime
    awaiting_review: bool = False  # a registration of it waits for ALTUM's check


@dataclass(frozen=True, slots=True)
class ClientUser:
    """A person's access to a client (a membership): main or additional, active or blocked."""

    id: int
    client_id: int
    person_id: int
    personal_code: str
    given_name: str
    family_name: str
    role: str
    status: str
    is_signatory: bool
    linked: bool  # the person has a Telegram account linked
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Consultant:
    name: str
    email: str
    phone: str


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
class RegistrationRecord:
    """A registration as ALTUM reviews it: the client it made and who registered it."""

    id: int
    status: RegistrationStatus
    kind: str
    name: str
    registration_number: str | None
    email: str
    phone: str
    client_id: int | None
    person_id: int
    telegram_user_id: int
    registrant_given_name: str
    registrant_family_name: str
    registrant_personal_code: str
    created_at: datetime
    confirmed_at: datetime | None
    reviewed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One entry of the event feed: ids to fetch the full objects, never secrets."""

    type: str
    occurred_at: datetime
    client_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    position: int | None = None  # given at commit
