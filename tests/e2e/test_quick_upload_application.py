"""«Kas tas ir?» → «Par pieteikumu» (issue 10 item 3): a file sent outside any dialog goes to
ALTUM in a message about one of the client's applications. Not offered without one; one is
offered by its number at once; several sit behind «About an application», the one ALTUM asks
more of first and before «New message». ALTUM reads the message about the application and
fetches the file byte for byte; another client's application (forged) and a deleted one
(a stale button) are refused and change nothing."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser, buttons
from messages_support import acts_for, file_samples, open_client
from test_quick_upload import Counted

from dialogs.message_common import Msg
from emulator import EmulatorClient, EmulatorServer
from integrations.forms import load_forms
from portal.clients import person_of
from portal.forms import FormKind
from portal.model import ApplicationStatus, NewApplication
from storage.database import Database
from storage.repositories import SqlUnitOfWork

WHAT = "What is it?"
LIST = "📋 About an application"
NEW = "✉️ New message to ALTUM"


async def _application(
    database_url: str, client_id: int, prepared_by: int, status: ApplicationStatus
) -> int:
    """An application of the client in `status`, as the form dialog and ALTUM leave it."""
    form = load_forms().offered(FormKind.APPLICATION)[0]
    now = datetime.now(UTC)
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            added = await uow.applications.add(
                NewApplication(client_id, form.id, form.version, prepared_by, None, now)
            )
            await uow.applications.save(
                replace(added, status=status, submitted_at=now, content_hash="0" * 64)
            )
            return added.id
    finally:
        await database.dispose()


async def _delete(database_url: str, client_id: int, application_id: int) -> None:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            await SqlUnitOfWork(session).applications.delete(client_id, application_id)
    finally:
        await database.dispose()


async def _person_id(database_url: str, telegram_user_id: int) -> int:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return await person_of(uow=SqlUnitOfWork(session), telegram_user_id=telegram_user_id)
    finally:
        await database.dispose()


async def _what_is_it(emu: EmulatorClient, anna: Person, data: bytes, name: str) -> dict[str, Any]:
    await emu.send_document(BOT_ID, anna.user_id, data, name)
    what = await anna.reply(timeout=30)
    assert WHAT in what["text"], what["text"]
    return what


async def _refused(emu: EmulatorClient, anna: Person, message_id: int, data: str) -> str:
    """A forged or stale press: its alert; nothing is sent to the chat."""
    since = await emu.last_seq(BOT_ID)
    await emu.forge_callback(BOT_ID, anna.user_id, message_id, data)
    (alert,) = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)
    assert alert["params"].get("show_alert") is True
    assert not await emu.calls(BOT_ID, method="sendMessage", since=since, wait=0.5)
    return str(alert["params"]["text"])


async def test_a_file_about_an_application(
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
        await acts_for(anna, api, http, cid)
        preparer = await _person_id(database_url, anna.user_id)

        # No application yet: the target is not offered.
        what = await _what_is_it(emu, anna, file_samples.pdf(text="Izzina"), "izzina.pdf")
        assert not [b for b in buttons(what) if "application" in b], buttons(what)
        await anna.say("/cancel")
        await anna.replies(2)

        # A submitted one (newest), one ALTUM asks more of, a draft, another client's.
        info = await _application(database_url, cid, preparer, ApplicationStatus.INFO_NEEDED)
        submitted = await _application(database_url, cid, preparer, ApplicationStatus.SUBMITTED)
        draft = await _application(database_url, cid, preparer, ApplicationStatus.DRAFT)
        foreign = await _application(database_url, other, preparer, ApplicationStatus.SUBMITTED)

        # File, «About an application», the application, type, today, «Send»: 6 actions.
        cost = Counted(anna, emu)
        data = file_samples.pdf(text="Papildu informacija")
        cost.taps += 1
        what = await _what_is_it(emu, anna, data, "papildu.pdf")
        shown = buttons(what)
        assert shown.index(LIST) < shown.index(NEW)  # ALTUM asks: the likely choice first
        await cost.press(what, LIST)
        listing = await anna.reply()
        assert "Which application" in listing["text"]
        assert "Additional information needed" in listing["text"]
        assert buttons(listing)[:2] == [
            f"❗ No. {info} — {title}"[:60],
            f"No. {submitted} — {title}"[:60],
        ]
        assert not [b for b in buttons(listing) if f"No. {draft} " in b or f"No. {foreign} " in b]

        # Another client's application, forged on the list: refused, nothing changes.
        forged = Msg(action="qapp", id=foreign).pack()
        assert "not available" in await _refused(emu, anna, listing["message_id"], forged)
        drafted = Msg(action="qapp", id=draft).pack()  # a draft's file goes into its form
        assert "not available" in await _refused(emu, anna, listing["message_id"], drafted)

        await cost.press(listing, buttons(listing)[0])
        kinds = await anna.reply()
        assert "What document is it" in kinds["text"]
        await cost.press(kinds, "Invoice")
        dated = await anna.reply()
        await cost.press(dated, buttons(dated)[0])
        compose = await anna.reply()
        assert f"Concerns application No. {info}" in compose["text"]
        assert "papildu.pdf" in compose["text"]
        await cost.press(compose, "📨 Send")
        assert "Sent to ALTUM" in (await anna.reply())["text"]
        assert cost.taps == 6, cost.taps

        # ALTUM's view: the message concerns the application; the document, byte for byte.
        events = (await api.get("/events")).body["events"]
        (sent,) = [e for e in events if e["type"] == "message.sent"]
        message = (await api.get(f"/messages/{sent['message_id']}")).body
        assert message["application_id"] == info
        assert message["subject"] == f"Invoice — application No. {info}"
        (uploaded,) = [e for e in events if e["type"] == "document.uploaded"]
        document = (await api.get(f"/documents/{uploaded['document_id']}")).body
        assert document["doc_type"] == "invoice"
        assert base64.b64decode(document["content_base64"]) == data

        # A stale list: the application is deleted meanwhile; refused, and «Kas tas ir?» is
        # still asked (the new message is still there to choose).
        what = await _what_is_it(emu, anna, file_samples.pdf(text="Otrais"), "otrais.pdf")
        await anna.press(what, LIST)
        listing = await anna.reply()
        await _delete(database_url, cid, submitted)
        stale = Msg(action="qapp", id=submitted).pack()
        assert "not available" in await _refused(emu, anna, listing["message_id"], stale)
        await anna.press(what, NEW)
        assert "What document is it" in (await anna.reply())["text"]
        await anna.say("/cancel")
        await anna.replies(2)

        # One application left: offered by its number at once, the fewest taps.
        what = await _what_is_it(emu, anna, file_samples.pdf(text="Tresais"), "tresais.pdf")
        assert f"📋 About application No. {info}" in buttons(what)
        assert LIST not in buttons(what)

        events = (await api.get("/events")).body["events"]
        assert len([e for e in events if e["type"] == "message.sent"]) == 1
        assert [e for e in events if e["client_id"] == other] == []
