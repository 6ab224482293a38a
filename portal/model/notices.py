"""What ALTUM's side tells people in chat. The use cases decide who is told what; the
runtime's `Notifier` renders each notice in the person's language (texts in `dialogs/`) and
queues it in the outbox of the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class RejectionReason(StrEnum):
    """Why ALTUM refused a registration; each has its own explanation in chat."""

    NOT_SIGNATORY = "not_signatory"  # not a person with signing rights of the company
    IDENTITY_NOT_CONFIRMED = "identity_not_confirmed"  # ALTUM could not confirm who it is
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Notice:
    """Addressed to a person (through their linked Telegram account) or straight to a chat."""

    person_id: int | None = None
    telegram_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class RegistrationRejected(Notice):
    client_name: str = ""
    reason: RejectionReason = RejectionReason.OTHER
    comment: str | None = None  # ALTUM's own words, shown as they are


@dataclass(frozen=True, slots=True)
class RegistrationApproved(Notice):
    client_name: str = ""


@dataclass(frozen=True, slots=True)
class AccessGranted(Notice):
    client_name: str = ""
    role: str = "additional"


@dataclass(frozen=True, slots=True)
class AccessBlocked(Notice):
    client_name: str = ""


@dataclass(frozen=True, slots=True)
class AccessRestored(Notice):
    client_name: str = ""


@dataclass(frozen=True, slots=True)
class DealAdded(Notice):
    client_name: str = ""
    number: str = ""
    product: str = ""
    amount: Decimal = Decimal(0)
    currency: str = "EUR"
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class InvoiceAdded(Notice):
    client_name: str = ""
    deal_number: str = ""
    number: str = ""
    amount: Decimal = Decimal(0)
    currency: str = "EUR"
    due_date: date | None = None


# --- a main user's changes in chat (portal/administration.py) --------------------------------


@dataclass(frozen=True, slots=True)
class AccessGrantedByMainUser(Notice):
    client_name: str = ""
    by: str = ""  # the main user's name


@dataclass(frozen=True, slots=True)
class AccessBlockedByMainUser(Notice):
    client_name: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class AccessRestoredByMainUser(Notice):
    client_name: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class ReminderDue(Notice):
    """A scheduled reminder (portal/reminders.py); `reminder_id` lets its «Atlikt uz rītu»
    button name it. `details` as the scheduling use case gave them."""

    reminder_id: int = 0
    kind: str = ""
    client_name: str = ""
    details: dict[str, str] = field(default_factory=dict)
