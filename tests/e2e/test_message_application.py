"""«Jauna ziņa» about an application: Anna picks her client's application by number and form
title, the thread shows it (and ALTUM's API), «Detalizēta meklēšana» finds the thread by it;
a forged callback naming another client's application is refused and the message does not
carry it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser
from messages_support import acts_for, open_client

from dialogs.message_common import Msg
from emulator import EmulatorClient, EmulatorServer
from integrations.forms import load_forms
from portal import applications as apps
from portal.forms import FormKind
from portal.model import NewApplication
from storage.database import Database
from storage.repositories import SqlUnitOfWork


async def _applications(database_url: str, anna_id: int, other_client: int) -> tuple[int, int]:
    """Anna's draft at her client (through the use case) and one of another client."""
    form = load_forms().offered(FormKind.APPLICATION)[0]
    now = datetime.now(UTC)
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            own = await apps.start_application(
                uow=uow, telegram_user_id=anna_id, form=form, now=now
            )
            other = await uow.applications.add(
                NewApplication(other_client, form.id, form.version, own.prepared_by, None, now)
            )
            return own.id, other.id
    finally:
        await database.dispose()


async def test_a_message_about_an_application(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    title = load_forms().offered(FormKind.APPLICATION)[0].title.en
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await open_client(database_url, api)
        other = await open_client(database_url, api, "40103888880")
        # ALTUM's thread about nothing in particular, before Anna has access (no notice).
        posted = await api.post(
            f"/clients/{cid}/messages", {"subject": "Gada pārskats", "body": "Lūdzu, atsūtiet."}
        )
        assert posted.status == 201, posted.body
        await acts_for(anna, api, http, cid)
        own_app, other_app = await _applications(database_url, anna.user_id, other)

        await anna.say("/messages")
        await anna.press(await anna.reply(), "✉️ New message")
        await anna.reply()
        await anna.say("Par pieteikumu")
        await anna.reply()
        await anna.say("Vai pieteikumam vajag vēl dokumentus?")
        compose = await anna.reply()

        # Another client's application, forged: refused, the message stays unlinked.
        since = await emu.last_seq(BOT_ID)
        forged = Msg(action="apppick", id=other_app).pack()
        await emu.forge_callback(BOT_ID, anna.user_id, 1, forged)
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "not available" in alert["params"]["text"]
        assert not await emu.calls(BOT_ID, method="sendMessage", since=since)

        await anna.press(compose, "🔗 Concerns an application")
        choice = await anna.reply()
        assert "Which application" in choice["text"]
        await anna.press(choice, f"No. {own_app} — {title}"[:60])
        compose = await anna.reply()
        assert f"Concerns application No. {own_app}" in compose["text"]
        await anna.press(compose, "📨 Send")
        sent = await anna.reply()
        assert "Sent to ALTUM" in sent["text"]
        await anna.press(sent, "📖 Open")
        thread = await anna.reply()
        assert "Par pieteikumu" in thread["text"]
        assert f"Application No. {own_app}" in thread["text"]
        # ALTUM reads the message with the application it concerns.
        events = (await api.get("/events")).body["events"]
        (event,) = [e for e in events if e["type"] == "message.sent"]
        message = (await api.get(f"/messages/{event['message_id']}")).body
        assert message["subject"] == "Par pieteikumu"
        assert message["application_id"] == own_app

        # «Detalizēta meklēšana» by the application: only the thread about it.
        await anna.say("/messages")
        listing = await anna.reply()
        assert "Gada pārskats" in listing["text"] and "Par pieteikumu" in listing["text"]
        await anna.press(listing, "🔎 Detailed search")
        panel = await anna.reply()
        assert "Application: —" in panel["text"]
        await anna.press(panel, "Application")
        panel = await anna.reply()
        assert f"Application: No. {own_app}" in panel["text"]
        await anna.press(panel, "🔎 Search")
        found = await anna.reply()
        assert "Par pieteikumu" in found["text"]
        assert "Gada pārskats" not in found["text"]
        # The other client's application is not among the search's choices either.
        await anna.press(found, "🔎 Detailed search")
        await anna.press(await anna.reply(), "Application")
        assert "Application: —" in (await anna.reply())["text"]
