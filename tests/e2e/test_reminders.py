"""Reminders through the bot: invoices arriving through the back-office API schedule theirs
at Riga's dates, the person opts in in «Paziņojumu iestatījumi», the scheduler (with a clock
the test sets) sends them through the push sender, quiet hours hold them until morning,
«Atlikt uz rītu» moves one to tomorrow, a kind turned off sends nothing, and a paid invoice
has none left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api_support import Api, make_token, serving
from applications_support import choose_client, client_with_deal, fill_disbursement
from conftest import PersonFactory
from e2e_support import BOT_ID, TOKEN, bot_settings, browser, buttons
from registration_walk import log_in
from sqlalchemy import select

from bot.delivery.outbox import OutboxSender
from bot.delivery.reminders import ReminderScheduler
from bot.delivery.telegram import create_bot
from bot.i18n import create_i18n
from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer
from portal import quiet_hours
from portal.model import NewReminder, ReminderKind
from storage.database import Database
from storage.reminder_models import NotificationPreference, ReminderRow
from storage.repositories import SqlUnitOfWork

ANNA_CODE = "120584-12349"  # the demo provider's Anna Bērziņa
DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}
# Due on 30 March 2027: summer time starts on the 28th, so nine in Riga is 07:00 UTC three
# days before and 06:00 UTC the day after.
INVOICE = {"amount": "1250.5", "due_date": "2027-03-30"}


async def reminders(database_url: str) -> list[tuple[str, datetime, int]]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = await session.scalars(select(ReminderRow).order_by(ReminderRow.due_at))
            return [(row.kind, row.due_at, row.sent_count) for row in rows]
    finally:
        await database.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def press_and_wait(emu: EmulatorClient, anna: Any, message: dict[str, Any], text: str) -> str:
    """Press a button; the text the callback was answered with."""
    since = await emu.last_seq(BOT_ID)
    await anna.press(message, text)
    answers = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)
    return str(answers[0]["params"].get("text", ""))


async def test_invoice_reminders_at_riga_dates_quiet_hours_snooze_and_preferences(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    clock = Clock()
    # The scheduler of another process, on a clock of the test's: the bot's own sends the
    # pushes it queues.
    bot = create_bot(TOKEN, emulator.base_url)
    database = Database(database_url)
    sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
    scheduler = ReminderScheduler(
        database, sender, create_i18n(), policy=settings.reminder_policy, every=60, clock=clock
    )
    try:
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
            await api.post(f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"})
            await log_in(anna, http, "anna")
            assert (await api.put(f"/clients/{cid}/deals/K-1", DEAL)).status == 201
            await anna.reply()  # the new deal

            # Invoice reminders are for those who opt in.
            await anna.say("/notifications")
            screen = await anna.reply()
            assert "⬜ Invoices before the due date" in buttons(screen)
            assert "Quiet hours (Riga time): 21:00–08:00" in screen["text"]
            assert await press_and_wait(emu, anna, screen, "⬜ Invoices before the due date") == (
                "Saved."
            )
            screen = await anna.message(screen["message_id"])
            assert "✅ Invoices before the due date" in buttons(screen)
            await press_and_wait(emu, anna, screen, "⬜ Overdue invoices")

            assert (await api.put(f"/clients/{cid}/deals/K-1/invoices/R-1", INVOICE)).status == 201
            await anna.reply()  # the new invoice
            assert await reminders(database_url) == [
                ("invoice_due", datetime(2027, 3, 27, 7, 0, tzinfo=UTC), 0),
                ("invoice_overdue", datetime(2027, 3, 31, 6, 0, tzinfo=UTC), 0),
            ]

            # Nothing before its time; at nine in Riga three days before, the reminder.
            clock.now = datetime(2027, 3, 27, 6, 59, tzinfo=UTC)
            assert await scheduler.tick() == 0
            clock.now = datetime(2027, 3, 27, 7, 0, tzinfo=UTC)
            assert await scheduler.tick() == 1
            reminder = await anna.reply()
            assert "invoice No. R-1 of deal No. K-1" in reminder["text"]
            assert "€1,250.50" in reminder["text"] and "30.03.2027" in reminder["text"]
            assert buttons(reminder) == ["🌅 Remind me tomorrow morning", "⬅️ Main menu"]

            # «Atlikt uz rītu»: tomorrow (the real one: the bot's clock) when quiet hours end.
            answer = await press_and_wait(emu, anna, reminder, "🌅 Remind me tomorrow morning")
            morning = quiet_hours.tomorrow_morning(
                datetime.now(UTC), quiet_hours.parse("21:00-08:00")
            )
            assert answer == f"I will remind you again on {morning:%d.%m.%Y} 08:00."
            assert ("invoice_due", morning, 0) in await reminders(database_url)
            assert buttons(await anna.message(reminder["message_id"])) == []

            # ALTUM's systems send the same invoice again (a sync): its reminders stay as they
            # are, the snoozed one at tomorrow's morning (scheduled anew, the one told would
            # be due again at once: told again at every write).
            snoozed = await reminders(database_url)
            assert (await api.put(f"/clients/{cid}/deals/K-1/invoices/R-1", INVOICE)).status == 200
            assert await reminders(database_url) == snoozed

            # Turned off: the snoozed one ends without a word when it falls due.
            screen = await anna.message(screen["message_id"])
            await press_and_wait(emu, anna, screen, "✅ Invoices before the due date")
            clock.now = morning
            assert await scheduler.tick() == 0
            assert [kind for kind, _, _ in await reminders(database_url)] == ["invoice_overdue"]

            # The day after the due date, in the quiet hours: it waits for the morning.
            clock.now = datetime(2027, 3, 31, 19, 30, tzinfo=UTC)  # 22:30 in Riga
            assert await scheduler.tick() == 0
            assert await reminders(database_url) == [
                ("invoice_overdue", datetime(2027, 4, 1, 5, 0, tzinfo=UTC), 0)
            ]
            clock.now = datetime(2027, 4, 1, 5, 0, tzinfo=UTC)
            assert await scheduler.tick() == 1
            overdue = await anna.reply()
            assert "was due on 30.03.2027 and is not marked as paid yet" in overdue["text"]

            # Paid: no reminder of it is left.
            paid = {**INVOICE, "paid": True, "paid_on": "2027-04-01"}
            assert (await api.put(f"/clients/{cid}/deals/K-1/invoices/R-1", paid)).status == 200
            assert await reminders(database_url) == []
    finally:
        await database.dispose()
        await bot.session.close()


async def forged(emu: EmulatorClient, someone: Any, message_id: int, data: str) -> dict[str, Any]:
    since = await emu.last_seq(BOT_ID)
    await emu.forge_callback(BOT_ID, someone.user_id, message_id, data)
    (answer,) = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)
    return dict(answer["params"])


async def test_forged_and_stale_buttons_change_nothing(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    janis = await person("Jānis", language_code="en")
    stranger = await person("Stranger", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"})
        await log_in(anna, http, "anna")
        await log_in(janis, http, "janis")
        await api.put(f"/clients/{cid}/deals/K-1", DEAL)
        await api.put(f"/clients/{cid}/deals/K-1/invoices/R-1", INVOICE)
        before = await reminders(database_url)
        assert len(before) == 2  # Anna's: Jānis has no access to the client
        await anna.say("/notifications")
        screen = await anna.reply()
        reminder_id = await reminder_ids(database_url)

        # Jānis presses Anna's «Atlikt uz rītu»; Anna presses one that does not exist.
        answer = await forged(emu, janis, screen["message_id"], f"rs:{reminder_id}")
        assert answer["text"] == "This reminder is no longer active." and answer["show_alert"]
        answer = await forged(emu, anna, screen["message_id"], "rs:999999")
        assert answer["text"] == "This reminder is no longer active."
        # Kinds and quiet hours that do not exist.
        assert (await forged(emu, anna, screen["message_id"], "nt:everything:1"))["text"] == (
            "This button no longer works."
        )
        assert (await forged(emu, anna, screen["message_id"], "nq:zz"))["text"] == (
            "This button no longer works."
        )
        # A double tap (or a stale screen's button) asks for a state, so it changes nothing twice.
        for _ in range(2):
            await forged(emu, anna, screen["message_id"], "nt:invoice_due:1")
        assert await enabled_kinds(database_url) == ["invoice_due", "signature"]
        # Someone not logged in is asked to log in.
        await forged(emu, stranger, screen["message_id"], f"rs:{reminder_id}")
        assert "First log in" in (await stranger.reply())["text"]
        assert await reminders(database_url) == before


async def reminder_ids(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return int(await session.scalar(select(ReminderRow.id).limit(1)) or 0)
    finally:
        await database.dispose()


async def enabled_kinds(database_url: str) -> list[str]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            row = await session.scalar(select(NotificationPreference))
            return [] if row is None else list(row.enabled_kinds)
    finally:
        await database.dispose()


async def test_a_repeating_reminder_stops_at_its_count_or_when_cancelled(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """The generic port as a signing use case will use it: scheduled by key, repeated, ended
    by its count or by cancelling the key's prefix."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    clock = Clock()
    bot = create_bot(TOKEN, emulator.base_url)
    database = Database(database_url)
    sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
    scheduler = ReminderScheduler(
        database, sender, create_i18n(), policy=settings.reminder_policy, every=60, clock=clock
    )
    try:
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
            await api.post(f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"})
            await log_in(anna, http, "anna")
            start = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # 12:00 in Riga
            async with database.transaction() as session:
                uow = SqlUnitOfWork(session)
                person_id = (await uow.accounts.get(anna.user_id)).person_id  # type: ignore[union-attr]
                assert person_id is not None
                for application in (7, 8):
                    await uow.reminders.schedule(
                        NewReminder(
                            key=f"signature:{application}:{person_id}",
                            kind=ReminderKind.SIGNATURE,
                            person_id=person_id,
                            client_id=cid,
                            due_at=start,
                            repeat=timedelta(hours=24),
                            max_count=2,
                            details={"title": "Naudas līdzekļu izsniegšana"},
                        ),
                        now=start,
                    )
                await uow.reminders.cancel_prefix("signature:8:")  # withdrawn
            for day in range(3):
                clock.now = start + timedelta(days=day)
                assert await scheduler.tick() == (1 if day < 2 else 0)
                if day < 2:
                    told = await anna.reply()
                    assert "«Naudas līdzekļu izsniegšana»" in told["text"]
                    assert "gaida jūsu parakstu" in told["text"]
                    assert buttons(told)[0] == "🌅 Atlikt uz rītu"
            assert await reminders(database_url) == []
    finally:
        await database.dispose()
        await bot.session.close()


async def test_a_signature_reminder_names_the_form_in_each_signers_language(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """Dace sends a disbursement request for signing; Jānis reads Latvian, Pēteris English:
    each one's reminder names the form in their own language."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    clock = Clock()
    bot = create_bot(TOKEN, emulator.base_url)
    database = Database(database_url)
    sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
    scheduler = ReminderScheduler(
        database, sender, create_i18n(), policy=settings.reminder_policy, every=60, clock=clock
    )
    try:
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            await client_with_deal(
                api, ("janis", "main"), ("peteris", "additional"), ("dace", "additional")
            )
            janis = await person("Jānis", language_code="lv")
            await log_in(janis, http, "janis")
            await choose_client(janis, 'SIA "Ozolkalna Koks" — galvenais lietotājs')
            peteris = await person("Pēteris", language_code="en")
            await log_in(peteris, http, "peteris")
            await choose_client(peteris, 'SIA "Ozolkalna Koks" — additional user')
            dace = await person("Dace", language_code="en")
            await log_in(dace, http, "dace")
            await choose_client(dace, 'SIA "Ozolkalna Koks" — additional user')

            summary = await fill_disbursement(dace)
            await dace.press(summary, "📨 Send for signing")
            await dace.reply()
            assert "«Naudas līdzekļu izsniegšana»" in (await janis.reply())["text"]
            assert "«Disbursement request»" in (await peteris.reply())["text"]

            # When they fall due (after the quiet hours, if they fall in them), both are told.
            sent = 0
            for _ in range(2):
                if sent == 0:
                    clock.now = max(due for _, due, _ in await reminders(database_url))
                    sent = await scheduler.tick()
            assert sent == 2
            latvian = (await janis.reply())["text"]
            assert "«Naudas līdzekļu izsniegšana»" in latvian and "gaida jūsu parakstu" in latvian
            english = (await peteris.reply())["text"]
            assert "«Disbursement request»" in english and "waits for your signature" in english
            assert "Naudas" not in english
    finally:
        await database.dispose()
        await bot.session.close()
