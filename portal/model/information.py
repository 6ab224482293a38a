"""«Informācija»: the client's activity log («klienta veiktās darbības») and its invoices."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.model.activity import Action, ActivityEvent
from portal.model.deals import DealRecord, InvoiceRecord


class Period(StrEnum):
    """How far back the log is read (days), or all of it."""

    WEEK = "7"
    MONTH = "30"
    YEAR = "365"
    ALL = "all"


class ActivityKind(StrEnum):
    """The log's filter: groups of actions a person looks for together."""

    ALL = "all"
    USERS = "users"  # who may act for the client
    FINANCE = "finance"  # deals and invoices
    CLIENT = "client"  # the client's registration, review, consultant
    SESSIONS = "sessions"  # people starting and ending work for the client
    APPLICATIONS = "applications"  # applications, signatures, questionnaires
    MESSAGES = "messages"  # messages with ALTUM and documents


KIND_ACTIONS: dict[ActivityKind, tuple[Action, ...]] = {
    ActivityKind.USERS: (Action.USER_ADDED, Action.USER_CHANGED),
    ActivityKind.FINANCE: (
        Action.DEAL_ADDED,
        Action.DEAL_UPDATED,
        Action.INVOICE_ADDED,
        Action.INVOICE_UPDATED,
    ),
    ActivityKind.CLIENT: (
        Action.REGISTERED,
        Action.CONFIRMED,
        Action.CLIENT_OPENED,
        Action.CONSULTANT_SET,
        Action.REGISTRATION_APPROVED,
        Action.REGISTRATION_REJECTED,
    ),
    ActivityKind.SESSIONS: (
        Action.LINKED,
        Action.UNLINKED,
        Action.CLIENT_SWITCHED,
        Action.CLIENT_ACCESS_LOST,
        Action.REMINDER_SNOOZED,
    ),
    ActivityKind.APPLICATIONS: (
        Action.APPLICATION_STARTED,
        Action.APPLICATION_EDITED,
        Action.APPLICATION_DISCARDED,
        Action.APPLICATION_SENT_FOR_SIGNING,
        Action.SIGNATURE_ADDED,
        Action.SIGNATURE_REFUSED,
        Action.SIGNATURES_VOIDED,
        Action.APPLICATION_SUBMITTED,
        Action.APPLICATION_WITHDRAWN,
        Action.APPLICATION_STATUS_SET,
        Action.QUESTIONNAIRE_SUBMITTED,
    ),
    ActivityKind.MESSAGES: (
        Action.MESSAGE_DRAFTED,
        Action.MESSAGE_SENT,
        Action.MESSAGE_RECEIVED,
        Action.MESSAGES_READ,
        Action.DOCUMENT_UPLOADED,
        Action.DOCUMENT_ARCHIVED,
    ),
}


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One line of the log: the event and who did it, by name (ALTUM for its systems)."""

    event: ActivityEvent
    who: str  # a person's name; "" when ALTUM's systems did it
    by_altum: bool
    subject: str = ""  # whom it was about, when another person (a user added or blocked)


@dataclass(frozen=True, slots=True)
class ActivityPage:
    entries: list[ActivityEntry]
    page: int  # from 0
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    invoice: InvoiceRecord
    overdue: bool  # unpaid and its due date has passed (Riga's date)


@dataclass(frozen=True, slots=True)
class DealInvoices:
    deal: DealRecord
    invoices: list[InvoiceLine]
