"""Reminders through the use cases with fakes: quiet hours, repeats and their end, the
person's preferences, «Atlikt uz rītu», and invoice reminders at Riga's dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import client_of, linked

from portal import quiet_hours
from portal.deals import put_deal, put_invoice
from portal.model import (
    Action,
    DealData,
    DealStatus,
    InvoiceAdded,
    InvoiceData,
    NewReminder,
    NotFound,
    ReminderDue,
    ReminderKind,
    ReminderPolicy,
)
from portal.reminders import (
    cancel_signature_reminders,
    fire_due,
    save_preferences,
    schedule_signature_reminder,
    snooze,
)

RIGA = quiet_hours.RIGA
POLICY = ReminderPolicy(
    quiet_hours=quiet_hours.parse("21:00-08:00"),
    first_delay=timedelta(hours=1),
    repeat=timedelta(hours=24),
    max_count=3,
    invoice_days_before=3,
)


def riga(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=RIGA).astimezone(UTC)


async def signer(uow: FakeUnitOfWork) -> tuple[int, int]:
    anna = (await linked(uow)).person
    return anna.id, await client_of(uow, anna.id, "Ozolkalna Koks")


def signature(person_id: int, client_id: int, due_at: datetime, **changes: object) -> NewReminder:
    reminder = NewReminder(
        key=f"signature:7:{person_id}",
        kind=ReminderKind.SIGNATURE,
        person_id=person_id,
        client_id=client_id,
        due_at=due_at,
        repeat=timedelta(hours=24),
        max_count=2,
        details={"title": "Naudas līdzekļu izsniegšana"},
    )
    return replace(reminder, **changes)  # type: ignore[arg-type]


async def test_a_due_reminder_is_told_repeated_and_then_ends() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    first = riga(2026, 12, 1, 10, 0)
    await uow.reminders.schedule(signature(person, client, first), now=first)

    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=first)).sent == 1
    (notice,) = notifier.notices
    assert isinstance(notice, ReminderDue)
    assert (notice.person_id, notice.kind, notice.client_name) == (
        person,
        "signature",
        "Ozolkalna Koks",
    )
    # Not again before its repeat time; then once more, and that was the last.
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=first)).sent == 0
    later = first + timedelta(hours=24)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=later)).sent == 1
    final = later + timedelta(hours=24)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=final)).sent == 0
    assert len(notifier.notices) == 2
    assert uow.reminders.rows == {}


async def test_a_reminder_due_in_quiet_hours_waits_until_they_end() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    late = riga(2026, 12, 1, 22, 30)
    await uow.reminders.schedule(signature(person, client, late), now=late)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=late)).sent == 0
    (row,) = uow.reminders.rows.values()
    assert row.due_at == riga(2026, 12, 2, 8, 0)
    assert row.sent_count == 0
    # Just past midnight it is still quiet; at eight it goes.
    midnight = riga(2026, 12, 2, 0, 5)
    fired = await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=midnight)
    assert (fired.sent, fired.handled) == (0, 0)  # moved to eight: not due now
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=row.due_at)).sent == 1


async def test_a_person_who_turned_a_kind_off_gets_none_of_it() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    prefs = await uow.notification_preferences.get(person)
    await save_preferences(
        uow=uow,
        preferences=replace(prefs, enabled=frozenset()),
        telegram_user_id=42,
        now=riga(2026, 12, 1, 9, 0),
    )
    assert uow.activity.events[-1].action is Action.NOTIFICATIONS_CHANGED
    now = riga(2026, 12, 1, 10, 0)
    await uow.reminders.schedule(signature(person, client, now), now=now)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=now)).sent == 0
    assert notifier.notices == []
    assert uow.reminders.rows == {}


async def test_own_quiet_hours_replace_the_default() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    prefs = await uow.notification_preferences.get(person)
    await uow.notification_preferences.save(
        replace(prefs, use_default=False, quiet_hours=None), now=riga(2026, 12, 1, 9, 0)
    )
    late = riga(2026, 12, 1, 23, 0)  # quiet by default, not for this person
    await uow.reminders.schedule(signature(person, client, late), now=late)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=late)).sent == 1


async def test_snooze_moves_it_to_tomorrow_morning_for_its_person_only() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    now = riga(2026, 12, 1, 10, 0)
    reminder_id = await uow.reminders.schedule(signature(person, client, now), now=now)
    await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=now)
    with pytest.raises(NotFound):
        await snooze(uow=uow, person_id=person + 1, reminder_id=reminder_id, policy=POLICY, now=now)
    at = await snooze(uow=uow, person_id=person, reminder_id=reminder_id, policy=POLICY, now=now)
    assert at == riga(2026, 12, 2, 8, 0)
    row = uow.reminders.rows[reminder_id]
    assert (row.due_at, row.sent_count) == (at, 0)  # the snoozed one does not count
    assert uow.activity.events[-1].action is Action.REMINDER_SNOOZED


async def test_a_reminder_for_a_client_no_longer_accessible_ends() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    now = riga(2026, 12, 1, 10, 0)
    await uow.reminders.schedule(signature(person, client, now), now=now)
    await uow.clients.delete(client)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=now)).sent == 0
    assert notifier.notices == []


DEAL = DealData(
    product="Aizdevums",
    amount=Decimal("50000.00"),
    currency="EUR",
    balance=Decimal("42000.00"),
    start_date=date(2026, 1, 15),
    end_date=None,
    status=DealStatus.ACTIVE,
)


async def invoice(
    uow: FakeUnitOfWork,
    client: int,
    due: date,
    *,
    now: datetime,
    paid: bool = False,
    notifier: FakeNotifier | None = None,
) -> None:
    await put_invoice(
        uow=uow,
        notifier=notifier if notifier is not None else FakeNotifier(),
        client_id=client,
        deal_number="AL-1",
        number="R-1",
        data=InvoiceData(amount=Decimal("120.50"), due_date=due, paid=paid, paid_on=None),
        actor="api:crm",
        now=now,
        reminders=POLICY,
    )


async def test_invoice_reminders_at_riga_dates_for_those_who_opted_in() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    now = riga(2026, 3, 20, 15, 0)
    await put_deal(
        uow=uow, notifier=notifier, client_id=client, number="AL-1", data=DEAL, actor="x", now=now
    )
    due = date(2026, 3, 30)  # summer time starts on 29 March: nine is 06:00 UTC after it
    await invoice(uow, client, due, now=now)
    rows = sorted(uow.reminders.rows.values(), key=lambda r: r.due_at)
    assert [(r.kind, r.due_at) for r in rows] == [
        (ReminderKind.INVOICE_DUE, datetime(2026, 3, 27, 7, 0, tzinfo=UTC)),
        (ReminderKind.INVOICE_OVERDUE, datetime(2026, 3, 31, 6, 0, tzinfo=UTC)),
    ]
    # Not opted in (the default): nothing is told, and the reminder ends.
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=rows[0].due_at)).sent == 0
    prefs = await uow.notification_preferences.get(person)
    await uow.notification_preferences.save(
        replace(prefs, enabled=prefs.enabled | {ReminderKind.INVOICE_OVERDUE}), now=now
    )
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=rows[1].due_at)).sent == 1
    (notice,) = [n for n in notifier.notices if isinstance(n, ReminderDue)]
    assert notice.details["invoice"] == "R-1"
    assert notice.details["due_date"] == "2026-03-30"


async def test_a_paid_or_changed_invoice_replaces_its_reminders() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    _person, client = await signer(uow)
    now = riga(2026, 12, 1, 12, 0)
    await put_deal(
        uow=uow, notifier=notifier, client_id=client, number="AL-1", data=DEAL, actor="x", now=now
    )
    await invoice(uow, client, date(2026, 12, 10), now=now)
    await invoice(uow, client, date(2026, 12, 20), now=now)  # moved: scheduled anew
    assert sorted(quiet_hours.riga_date(r.due_at) for r in uow.reminders.rows.values()) == [
        date(2026, 12, 17),
        date(2026, 12, 21),
    ]
    await invoice(uow, client, date(2026, 12, 20), now=now, paid=True)
    assert uow.reminders.rows == {}


async def test_only_a_new_invoice_is_told_not_its_updates() -> None:
    """The client's users come back with an unpaid invoice's upsert (for its reminders); an
    update must not take them for news."""
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    now = riga(2026, 12, 1, 12, 0)
    await put_deal(
        uow=uow, notifier=notifier, client_id=client, number="AL-1", data=DEAL, actor="x", now=now
    )
    told = len(notifier.notices)
    for due in (date(2026, 12, 10), date(2026, 12, 20), date(2026, 12, 20)):
        await invoice(uow, client, due, now=now, notifier=notifier)
    (news,) = notifier.notices[told:]
    assert isinstance(news, InvoiceAdded) and news.person_id == person
    assert news.due_date == date(2026, 12, 10)
    assert {r.person_id for r in uow.reminders.rows.values()} == {person}  # scheduled anew


async def test_an_invoice_due_tomorrow_gets_only_the_overdue_reminder() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    _person, client = await signer(uow)
    now = riga(2026, 12, 1, 12, 0)
    await put_deal(
        uow=uow, notifier=notifier, client_id=client, number="AL-1", data=DEAL, actor="x", now=now
    )
    await invoice(uow, client, date(2026, 12, 2), now=now)
    assert [r.kind for r in uow.reminders.rows.values()] == [ReminderKind.INVOICE_OVERDUE]


def test_quiet_hours_read_and_applied() -> None:
    quiet = quiet_hours.parse("21:00-08:00")
    assert quiet is not None and str(quiet) == "21:00-08:00"
    assert quiet_hours.parse("") is None
    for wrong in ("21-08", "25:00-08:00", "08:00-08:00", "21:00 - 08:00"):
        with pytest.raises(ValueError):
            quiet_hours.parse(wrong)
    assert quiet_hours.is_quiet(riga(2026, 12, 1, 21, 0), quiet)
    assert quiet_hours.is_quiet(riga(2026, 12, 1, 7, 59), quiet)
    assert not quiet_hours.is_quiet(riga(2026, 12, 1, 8, 0), quiet)
    day = quiet_hours.parse("12:00-13:00")
    assert quiet_hours.outside(riga(2026, 12, 1, 12, 30), day) == riga(2026, 12, 1, 13, 0)
    assert quiet_hours.outside(riga(2026, 12, 1, 11, 0), day) == riga(2026, 12, 1, 11, 0)
    # Tomorrow morning is Riga's tomorrow: at 01:30 UTC on the 2nd it is already the 2nd there.
    assert quiet_hours.tomorrow_morning(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), quiet) == riga(
        2026, 12, 3, 8, 0
    )
    assert quiet_hours.riga_time(date(2026, 7, 1), time(9, 0), tz=datetime.now(UTC)) == datetime(
        2026, 7, 1, 6, 0, tzinfo=UTC
    )


async def test_signature_reminders_as_the_signing_use_cases_will_call_them() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    now = riga(2027, 1, 4, 10, 0)
    for application in (7, 8):
        await schedule_signature_reminder(
            uow=uow,
            application_id=application,
            person_id=person,
            client_id=client,
            title_lv="Naudas līdzekļu izsniegšana",
            title_en="Disbursement request",
            policy=POLICY,
            now=now,
        )
    # Application 7's signer signs; application 70 (a prefix look-alike) is someone else's.
    await uow.reminders.schedule(signature(person, client, now, key="signature:70:1"), now=now)
    assert await cancel_signature_reminders(uow=uow, application_id=7, person_id=person) == 1
    assert await cancel_signature_reminders(uow=uow, application_id=8) == 1
    assert [r.key for r in uow.reminders.rows.values()] == ["signature:70:1"]
    # The first comes after the delay, not at once.
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=now)).sent == 1  # 70
    assert await schedule_signature_reminder(
        uow=uow,
        application_id=9,
        person_id=person,
        client_id=client,
        title_lv="x",
        title_en="x",
        policy=POLICY,
        now=now,
    )
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=now)).sent == 0
    later = now + POLICY.first_delay
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=later)).sent == 1


async def test_an_invoice_written_again_unchanged_keeps_its_reminders_as_they_are() -> None:
    """ALTUM's systems may send the same invoice again and again (a sync): the reminder sent
    today is not sent again, the one snoozed stays snoozed, and only a user added since gets
    theirs."""
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    person, client = await signer(uow)
    prefs = await uow.notification_preferences.get(person)
    now = riga(2026, 12, 1, 12, 0)
    await uow.notification_preferences.save(
        replace(prefs, enabled=prefs.enabled | {ReminderKind.INVOICE_DUE}), now=now
    )
    await put_deal(
        uow=uow, notifier=notifier, client_id=client, number="AL-1", data=DEAL, actor="x", now=now
    )
    due = date(2026, 12, 10)
    await invoice(uow, client, due, now=now)
    sent_at = riga(2026, 12, 7, 9, 0)
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=sent_at)).sent == 1

    later = riga(2026, 12, 7, 10, 0)
    await invoice(uow, client, due, now=later)  # the same again
    assert (await fire_due(uow=uow, notifier=notifier, policy=POLICY, now=later)).sent == 0
    (told,) = [r for r in uow.reminders.rows.values() if r.kind is ReminderKind.INVOICE_DUE]
    assert told.sent_count == 1
    assert told.due_at == sent_at + timedelta(days=1)  # kept until then for «Atlikt uz rītu»

    morning = await snooze(uow=uow, person_id=person, reminder_id=told.id, policy=POLICY, now=later)
    uow.clients.add_member(person_id=99, client_id=client, role="additional", is_signatory=False)
    await invoice(uow, client, due, now=riga(2026, 12, 7, 11, 0))  # and again
    mine = {r.kind: r for r in uow.reminders.rows.values() if r.person_id == person}
    assert mine[ReminderKind.INVOICE_DUE].due_at == morning
    assert mine[ReminderKind.INVOICE_OVERDUE].due_at == riga(2026, 12, 11, 9, 0)
    theirs = sorted((r.kind, r.due_at) for r in uow.reminders.rows.values() if r.person_id == 99)
    assert theirs == [
        (ReminderKind.INVOICE_DUE, riga(2026, 12, 7, 11, 0)),
        (ReminderKind.INVOICE_OVERDUE, riga(2026, 12, 11, 9, 0)),
    ]

    # Changed after all (moved), it is scheduled anew, for both.
    await invoice(uow, client, date(2026, 12, 20), now=riga(2026, 12, 7, 12, 0))
    assert sorted(
        (r.person_id, r.kind, r.due_at, r.sent_count) for r in uow.reminders.rows.values()
    ) == [
        (person, ReminderKind.INVOICE_DUE, riga(2026, 12, 17, 9, 0), 0),
        (person, ReminderKind.INVOICE_OVERDUE, riga(2026, 12, 21, 9, 0), 0),
        (99, ReminderKind.INVOICE_DUE, riga(2026, 12, 17, 9, 0), 0),
        (99, ReminderKind.INVOICE_OVERDUE, riga(2026, 12, 21, 9, 0), 0),
    ]
