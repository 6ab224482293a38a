"""Registering a new client through the chat: Company Register check, contacts, voice
password, terms, and the e-mail link (a real SMTP server) that makes the client active."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons, outbox_rows, polling_bot
from registration_walk import (
    confirmation_link,
    load_register,
    log_in,
    register_ozolkalna,
    settings_with_mail,
)
from smtp_support import SmtpCapture
from sqlalchemy import select, update

from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow, Client, Membership, OutboxMessage, Registration


async def test_a_signatory_registers_a_company_confirmed_by_email(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await load_register(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        async with polling_bot(settings), browser() as http:
            await log_in(anna, http, "anna")
            await register_ozolkalna(anna, emu)
            (mail,) = await smtp.wait_for(1)
            assert mail["To"] == "Anna@ozolkalns.lv"
            assert "Ozolkalna Koks" in mail["Subject"]
            link = confirmation_link(mail)
            assert link.startswith(settings.public_url)

            # Nothing is active until the link is opened: GET only shows a button.
            async with http.get(link) as page:
                assert page.status == 200 and "Apstiprināt" in await page.text()
            await anna.say("/client")
            assert "do not act for any ALTUM client" in (await anna.reply())["text"]

            async with http.post(link) as page:
                assert page.status == 200 and "Ozolkalna Koks" in await page.text()
            confirmed = await anna.reply()
            assert "is registered. You are its main user." in confirmed["text"]
            menu = await anna.reply()
            assert 'SIA "Ozolkalna Koks" — main user, signatory' in menu["text"]
            async with http.post(link) as page:  # a link confirms once
                assert page.status == 410

            await anna.say("/client")
            listed = await anna.reply()
            assert buttons(listed)[0] == '✅ SIA "Ozolkalna Koks" — main user, signatory'

            # After logging out and in again the client is chosen anew, and both land in
            # the client's activity log.
            await anna.say("/logout")
            await anna.replies(2)
            await log_in(anna, http, "anna")
            await anna.say("/client")
            listed = await anna.reply()
            await anna.press(listed, buttons(listed)[0])
            chosen = await anna.reply()
            assert 'You now act for SIA "Ozolkalna Koks"' in chosen["text"]

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            client = await session.scalar(select(Client))
            assert client is not None and client.registration_number == "40103999940"
            assert client.representation_rule == "individually"
            assert client.voice_password_hash and "Ozols" not in client.voice_password_hash
            assert client.voice_password_hash.startswith("scrypt$")
            assert client.terms_accepted_at is not None
            membership = await session.scalar(select(Membership))
            assert membership is not None and membership.role == "main"
            actions = set(
                await session.scalars(
                    select(ActivityEventRow.action).where(ActivityEventRow.client_id == client.id)
                )
            )
            assert {
                "client.registered",
                "client.confirmed",
                "person.unlinked",
                "person.linked",
                "client.switched",
            } <= actions
            # Kept after the e-mail confirmation, for ALTUM's review (REGISTRATION_REVIEW).
            registration = await session.scalar(select(Registration))
            assert registration is not None and registration.client_id == client.id
            assert registration.status == "awaiting_review"
    finally:
        await database.dispose()


async def test_non_signatories_closed_and_unknown_companies_are_refused(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await load_register(database_url)
    dace = await person("Dace", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with polling_bot(settings), browser() as http:
        await log_in(dace, http, "dace")
        for number, complaint in (
            ("40103777710", "not a person with signing rights"),  # council member only
            ("40003666620", "struck off or liquidated"),
            ("40103123407", "has no company with this number"),  # valid checksum
        ):
            await dace.say("/register")
            await dace.reply()
            await dace.press_newest("🏢 A legal entity (company)")
            await dace.reply()
            await dace.say(number)
            assert buttons(await dace.reply()) == ["Importēt no UR"]
            await dace.press_newest("Importēt no UR")
            assert complaint in (await dace.reply())["text"]


async def test_mail_is_retried_while_smtp_is_down_and_nothing_is_lost(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await load_register(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        await smtp.stop()
        async with polling_bot(settings), browser() as http:
            await log_in(anna, http, "anna")
            await register_ozolkalna(anna, emu)
            failed = await email_row(database_url, lambda row: row.attempts >= 1)
            assert failed.sent_at is None and failed.last_error  # tried, and it failed
            assert smtp.messages == []
            await smtp.start()
            (mail,) = await smtp.wait_for(1, timeout=20)
            link = confirmation_link(mail)
            async with http.post(link) as page:
                assert page.status == 200
            sent = await email_row(database_url, lambda row: row.sent_at is not None)
            assert sent.id == failed.id and sent.attempts >= 1  # the same row, sent on a retry


async def email_row(
    database_url: str, ready: Callable[[OutboxMessage], bool], timeout: float = 10
) -> OutboxMessage:
    """The one e-mail row in the outbox, once `ready` says so."""
    async with asyncio.timeout(timeout):
        while True:
            rows = [row for row in await outbox_rows(database_url) if row.kind == "email"]
            if len(rows) == 1 and ready(rows[0]):
                return rows[0]
            await asyncio.sleep(0.1)


async def test_a_blocked_membership_hides_the_client_and_its_buttons(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await load_register(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        async with polling_bot(settings), browser() as http:
            await log_in(anna, http, "anna")
            await register_ozolkalna(anna, emu)
            (mail,) = await smtp.wait_for(1)
            link = confirmation_link(mail)
            async with http.post(link) as page:
                assert page.status == 200
            await anna.replies(2)
            await anna.say("/client")
            listing = await anna.reply()

            database = Database(database_url)
            try:
                async with database.transaction() as session:
                    await session.execute(update(Membership).values(status="blocked"))
            finally:
                await database.dispose()

            since = await emu.last_seq(BOT_ID)
            await anna.press(listing, buttons(listing)[0])
            (alert,) = await emu.calls(
                BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
            )
            assert "no longer have access" in alert["params"]["text"]
            again = await anna.reply()
            assert "do not act for any ALTUM client" in again["text"]
            await anna.say("/start")
            await anna.reply()
            assert "No client chosen" in (await anna.reply())["text"]


async def test_unconfirmed_registrations_expire_and_are_deleted(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await load_register(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp).model_copy(
            update={"housekeeping_seconds": 0.1}
        )
        async with polling_bot(settings), browser() as http:
            await log_in(anna, http, "anna")
            await register_ozolkalna(anna, emu)
            (mail,) = await smtp.wait_for(1)
            link = confirmation_link(mail)
            database = Database(database_url)
            try:
                async with database.transaction() as session:
                    await session.execute(
                        update(Registration).values(
                            expires_at=datetime.now(UTC) - timedelta(seconds=1)
                        )
                    )
                for _ in range(100):
                    async with database.transaction() as session:
                        if await session.scalar(select(Registration)) is None:
                            break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the expired registration was not deleted")
            finally:
                await database.dispose()
            async with http.post(link) as page:
                assert page.status == 410
            await anna.say("/client")
            assert "do not act for any ALTUM client" in (await anna.reply())["text"]


async def test_a_person_registers_themselves_as_a_natural_person_client(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    emily = await person("Emily", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        async with polling_bot(settings), browser() as http:
            await log_in(emily, http, "emily")
            await emily.say("/register")
            await emily.reply()
            await emily.press_newest("👤 Me, as a natural person")
            assert "address" in (await emily.reply())["text"]
            await emily.say("Rīga, Brīvības iela 1-2, LV-1010")
            await emily.reply()
            await emily.say("emily@example.lv")
            await emily.reply()
            await emily.say("29999999")
            await emily.reply()
            for _ in range(2):
                await emily.say("Zaļš koks 77")
                await emily.reply()
            await emily.press_newest("I agree")
            summary = await emily.reply()
            assert "Emily Ozola (natural person)" in summary["text"]
            await emily.press_newest("Reģistrēties")
            await emily.reply()
            (mail,) = await smtp.wait_for(1)
            link = confirmation_link(mail)
            async with http.post(link) as page:
                assert page.status == 200
            assert "Emily Ozola" in (await emily.reply())["text"]
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            client = await session.scalar(select(Client))
            assert client is not None and client.kind == "natural_person"
            assert client.personal_code == "07118214568" and client.registration_number is None
    finally:
        await database.dispose()


async def test_registering_after_being_logged_out_elsewhere_asks_to_log_in(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await load_register(database_url)
    phone = await person("Anna", language_code="en")
    laptop = await person("Anna L", language_code="en")
    async with polling_bot(bot_settings(database_url, emulator.base_url)), browser() as http:
        await log_in(phone, http, "anna")
        await phone.say("/register")
        await phone.reply()
        await phone.press_newest("🏢 A legal entity (company)")
        await phone.reply()
        await phone.say("40103999940")
        check = await phone.reply()
        await log_in(laptop, http, "anna")  # the phone's link ends
        assert "no longer linked to you" in (await phone.reply())["text"]
        await phone.press(check, "Importēt no UR")
        assert "First log in" in (await phone.reply())["text"]
