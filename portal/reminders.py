"""Scheduled reminders: any use case schedules one with a key and cancels it by the key (or a
prefix of it); the runtime's scheduler calls `fire_due`, which turns due ones into notices in
the same transaction. Quiet hours and each person's preferences are applied when a reminder
falls due, so a change of mind counts at once. Invoice reminders are scheduled here too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from portal import quiet_hours
from portal.model import (
    Action,
    ActivityEvent,
    InvoiceRecord,
    NewReminder,
    NotFound,
    NotificationPreferences,
    ReminderDue,
    ReminderKind,
    ReminderPolicy,
)
from portal.ports import Notifier, UnitOfWork

INVOICE_HOUR = time(9, 0)  # invoice reminders go at nine, Riga time (or when quiet hours end)


@dataclass(frozen=True, slots=True)
class Fired:
    sent: int  # reminders told
    handled: int  # due reminders looked at (sent, moved or ended): `limit` means call again


async def fire_due(
    *, uow: UnitOfWork, notifier: Notifier, policy: ReminderPolicy, now: datetime, limit: int = 50
) -> Fired:
    """Send what is due now (at most `limit` due reminders are looked at). A reminder due
    in the person's quiet hours moves to their end; one of a kind the person turned off, or
    for a client they no longer have access to, ends; after its last sending it ends at its
    next due time."""
    sent = 0
    due = await uow.reminders.claim_due(now=now, limit=limit)
    for reminder in due:
        preferences = await uow.notification_preferences.get(reminder.person_id)
        if reminder.sent_count >= reminder.max_count or reminder.kind not in preferences.enabled:
            await uow.reminders.delete(reminder.id)
            continue
        later = quiet_hours.outside(now, preferences.quiet(policy.quiet_hours))
        if later > now:
            await uow.reminders.move(reminder.id, due_at=later, sent_count=reminder.sent_count)
            continue
        client_name = ""
        if reminder.client_id is not None:
            access = await uow.clients.access(reminder.person_id, reminder.client_id)
            if access is None:
                await uow.reminders.delete(reminder.id)
                continue
            client_name = access.name
        await notifier.notify(
            ReminderDue(
                person_id=reminder.person_id,
                reminder_id=reminder.id,
                kind=reminder.kind.value,
                client_name=client_name,
                details=reminder.details,
            )
        )
        sent += 1
        # Kept until its next time even after the last sending, so that «Atlikt uz rītu» in
        # the last one still works; it ends when that time comes.
        await uow.reminders.move(
            reminder.id,
            due_at=now + (reminder.repeat or timedelta(days=1)),
            sent_count=reminder.sent_count + 1,
        )
    return Fired(sent=sent, handled=len(due))


async def snooze(
    *, uow: UnitOfWork, person_id: int, reminder_id: int, policy: ReminderPolicy, now: datetime
) -> datetime:
    """«Atlikt uz rītu»: the reminder comes again tomorrow morning (when the person's quiet
    hours end), and the one snoozed does not count. Only the person reminded may."""
    reminder = await uow.reminders.get(reminder_id)
    if reminder is None or reminder.person_id != person_id:
        raise NotFound("reminder")
    preferences = await uow.notification_preferences.get(person_id)
    at = quiet_hours.tomorrow_morning(now, preferences.quiet(policy.quiet_hours))
    await uow.reminders.move(reminder.id, due_at=at, sent_count=max(reminder.sent_count - 1, 0))
    await uow.activity.record(
        ActivityEvent(
            action=Action.REMINDER_SNOOZED,
            person_id=person_id,
            client_id=reminder.client_id,
            details={"kind": reminder.kind.value, "until": at.isoformat()},
            occurred_at=now,
        )
    )
    return at


async def preferences(*, uow: UnitOfWork, person_id: int) -> NotificationPreferences:
    return await uow.notification_preferences.get(person_id)


async def save_preferences(
    *, uow: UnitOfWork, preferences: NotificationPreferences, telegram_user_id: int, now: datetime
) -> None:
    await uow.notification_preferences.save(preferences, now=now)
    await uow.activity.record(
        ActivityEvent(
            action=Action.NOTIFICATIONS_CHANGED,
            telegram_user_id=telegram_user_id,
            person_id=preferences.person_id,
            details={
                "enabled": sorted(kind.value for kind in preferences.enabled),
                "quiet_hours": "default"
                if preferences.use_default
                else str(preferences.quiet_hours or "none"),
            },
            occurred_at=now,
        )
    )


def invoice_key(client_id: int, deal_number: str, invoice_number: str) -> str:
    """The prefix of every reminder of one invoice (cancelled together)."""
    return f"invoice:{client_id}:{deal_number}:{invoice_number}:"


async def schedule_invoice_reminders(
    *,
    uow: UnitOfWork,
    client_id: int,
    deal_number: str,
    invoice: InvoiceRecord,
    policy: ReminderPolicy,
    now: datetime,
    people: Sequence[int] | None = None,
    changed: bool = True,
) -> int:
    """For an invoice as it now stands: a reminder `invoice_days_before` days before its due
    date and one on the day after it, at nine in Riga, to each active user of the client
    (those who did not opt in are skipped when it falls due). A paid invoice has none; a
    changed one is scheduled anew. Not `changed` (written again as it was, as a sync does):
    its reminders stay as they are, sent or snoozed, and only a user's missing one (a user
    added since) is added; scheduled anew, one sent today would be sent again at every
    write. `people`: the client's active users, when the caller has them already. Returns
    how many were scheduled (or, not `changed`, looked for)."""
    prefix = invoice_key(client_id, deal_number, invoice.number)
    if changed:
        await uow.reminders.cancel_prefix_later(prefix)
    if invoice.data.paid:
        return 0
    due = invoice.data.due_date
    details = {
        "deal": deal_number,
        "invoice": invoice.number,
        "amount": str(invoice.data.amount),
        "currency": invoice.currency,
        "due_date": due.isoformat(),
    }
    today = quiet_hours.riga_date(now)
    plans = []
    before = due - timedelta(days=policy.invoice_days_before)
    if before >= today and before < due:
        plans.append((ReminderKind.INVOICE_DUE, before))
    after = due + timedelta(days=1)
    if after >= today:
        plans.append((ReminderKind.INVOICE_OVERDUE, after))
    if not plans:  # long overdue: nothing to remind of, no need to ask who
        return 0
    if people is None:
        people = await uow.client_users.active_people(client_id)
    await uow.reminders.schedule_many(
        [
            NewReminder(
                key=f"{prefix}{kind.value}:{person_id}",
                kind=kind,
                person_id=person_id,
                client_id=client_id,
                due_at=max(now, quiet_hours.riga_time(day, INVOICE_HOUR, tz=now)),
                max_count=1,
                details=details,
            )
            for person_id in people
            for kind, day in plans
        ],
        now=now,
        only_missing=not changed,
    )
    return len(people) * len(plans)


def signature_key(application_id: int, person_id: int | None = None) -> str:
    """`signature:<application>:` names all of an application's signature reminders;
    with a person, that signer's."""
    prefix = f"signature:{application_id}:"
    return prefix if person_id is None else f"{prefix}{person_id}"


async def schedule_signature_reminder(
    *,
    uow: UnitOfWork,
    application_id: int,
    person_id: int,
    client_id: int,
    title_lv: str,
    title_en: str,
    policy: ReminderPolicy,
    now: datetime,
) -> int:
    """A signer still needed is reminded `first_delay` after this, then every `repeat`, at
    most `max_count` times (outside quiet hours). Scheduling again starts over. The form's
    title goes in both languages, for the signer's own when it is rendered: `title` (Latvian,
    as reminders scheduled before kept it) and `title_en`."""
    return await uow.reminders.schedule(
        NewReminder(
            key=signature_key(application_id, person_id),
            kind=ReminderKind.SIGNATURE,
            person_id=person_id,
            client_id=client_id,
            due_at=now + policy.first_delay,
            repeat=policy.repeat,
            max_count=policy.max_count,
            details={"title": title_lv, "title_en": title_en, "application": str(application_id)},
        ),
        now=now,
    )


async def cancel_signature_reminders(
    *, uow: UnitOfWork, application_id: int, person_id: int | None = None
) -> int:
    """The signer signed or refused (with `person_id`), or the application was withdrawn,
    edited or submitted (without): their reminders end at once."""
    key = signature_key(application_id, person_id)
    if person_id is None:
        return await uow.reminders.cancel_prefix(key)
    return await uow.reminders.cancel(key)
