"""Scheduled reminders and notification preferences: what the `Reminders` port keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from portal.quiet_hours import QuietHours


class ReminderKind(StrEnum):
    SIGNATURE = "signature"  # a form waits for this person's signature
    INVOICE_DUE = "invoice_due"  # an invoice falls due in a few days
    INVOICE_OVERDUE = "invoice_overdue"  # an invoice was not paid by its due date


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """From the settings: when reminders go and how often."""

    quiet_hours: QuietHours | None
    first_delay: timedelta = timedelta(hours=1)
    repeat: timedelta = timedelta(hours=24)
    max_count: int = 3
    invoice_days_before: int = 3


@dataclass(frozen=True, slots=True)
class NewReminder:
    """`key` names it for good (`signature:<application>:<person>`): scheduling the same key
    again replaces the schedule, cancelling by the key or a prefix of it ends it."""

    key: str
    kind: ReminderKind
    person_id: int
    client_id: int | None
    due_at: datetime
    repeat: timedelta | None = None
    max_count: int = 1
    details: dict[str, str] = field(default_factory=dict)  # for the text: numbers, dates


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    key: str
    kind: ReminderKind
    person_id: int
    client_id: int | None
    due_at: datetime
    repeat: timedelta | None
    max_count: int
    sent_count: int
    details: dict[str, str]


# Signature reminders unless turned off; invoice reminders only for those who opt in.
DEFAULT_ENABLED = frozenset({ReminderKind.SIGNATURE})


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """A person's choices: the reminder kinds they get, and their quiet hours (None with
    `use_default` False: none at all; `use_default`: the bot's setting)."""

    person_id: int
    enabled: frozenset[ReminderKind] = DEFAULT_ENABLED
    quiet_hours: QuietHours | None = None
    use_default: bool = True

    def quiet(self, default: QuietHours | None) -> QuietHours | None:
        return default if self.use_default else self.quiet_hours
