"""Files in forms, through the chat: a disbursement request's «Pamatojošie dokumenti» take a
PDF sent in the chat, checked by the upload pipeline; a file the question does not take is
refused with the reason; «Gatavs» goes on, the request is signed and submitted, and ALTUM
finds the attachment's document id in the application and fetches the very bytes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_support import Api, make_token, serving
from applications_support import (
    choose_client,
    client_with_deal,
    confirm_at_provider,
    new_disbursement,
)
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from messages_support import file_samples
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer


async def test_a_pdf_attached_to_a_form_reaches_altum(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        await client_with_deal(api, ("anna", "main"))
        await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        await new_disbursement(anna)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        for typed in ("12 500", "LV80BANK0000435195001", tomorrow.strftime("%d.%m.%Y")):
            await anna.say(typed)
            await anna.reply()
        await anna.say("Raw timber for the spring season.")
        await anna.reply()
        await anna.press_newest("✔️ Done")
        asked = await anna.reply()
        assert "Attach the invoices" in asked["text"] and "✔️ Done" in buttons(asked)

        # A file the pipeline refuses: the reason, and the question again.
        await emu.send_document(BOT_ID, anna.user_id, b"<html><script>x</script></html>", "a.pdf")
        refused = await anna.reply()
        assert "Attach the invoices" not in refused["text"]
        assert "Attach the invoices" in (await anna.reply())["text"]

        invoice = file_samples.pdf(text="Rekins 17")
        await emu.send_document(BOT_ID, anna.user_id, invoice, "rēķins.pdf")
        attached = await anna.reply()
        assert "📎 Attached: rēķins.pdf" in attached["text"]
        again = await anna.reply()
        assert "Attach the invoices" in again["text"] and "Now: rēķins.pdf" in again["text"]
        # The same file twice is one attachment, said so.
        await emu.send_document(BOT_ID, anna.user_id, invoice, "rēķins.pdf")
        assert "already attached" in (await anna.reply())["text"]
        await anna.reply()

        await anna.press_newest("✔️ Done")
        summary = await anna.reply()
        assert "check the answers" in summary["text"] and "rēķins.pdf" in summary["text"]
        await anna.press(summary, "✍️ Sign and submit")
        link = await anna.reply()
        status, page = await confirm_at_provider(anna, link, "anna")
        assert status == 200 and "Signed." in page, page
        assert "was submitted to ALTUM" in (await anna.reply())["text"]

        application = (await api.get("/applications/1")).body
        assert application["status"] == "submitted"
        (document_id,) = application["attachment_ids"]
        (kept,) = application["answers"]["supporting_documents"]
        assert kept["document_id"] == document_id and kept["name"] == "rēķins.pdf"
        document = (await api.get(f"/documents/{document_id}")).body
        assert document["client_id"] == application["client_id"]
        assert base64.b64decode(document["content_base64"]) == invoice


async def test_a_file_sent_outside_the_form_goes_to_a_drafts_attachment_question(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    """«Kas tas ir?» offers the draft that is asking for a file; choosing it attaches the file
    there and the form goes on at that question (issue 10 item 3)."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        await client_with_deal(api, ("anna", "main"))
        await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        await new_disbursement(anna)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        for typed in ("12 500", "LV80BANK0000435195001", tomorrow.strftime("%d.%m.%Y")):
            await anna.say(typed)
            await anna.reply()
        await anna.say("Raw timber for the spring season.")
        await anna.reply()
        await anna.press_newest("✔️ Done")
        await anna.reply()
        await anna.press_newest("💾 Save draft")
        assert "is saved" in (await anna.reply())["text"]

        invoice = file_samples.pdf(text="Rekins 18")
        await emu.send_document(BOT_ID, anna.user_id, invoice, "rēķins.pdf")
        what = await anna.reply()
        assert "What is it?" in what["text"]
        target = "📝 To application No. 1: Supporting documents"
        assert target in buttons(what)
        await anna.press(what, target)
        assert "📎 Attached: rēķins.pdf" in (await anna.reply())["text"]
        again = await anna.reply()
        assert "Attach the invoices" in again["text"] and "Now: rēķins.pdf" in again["text"]
        # The old button again attaches nothing more (the count below stays one).
        await anna.press(what, target)
        await anna.press_newest("✔️ Done")
        summary = await anna.reply()
        assert "check the answers" in summary["text"] and "rēķins.pdf" in summary["text"]

        draft = (await api.get("/applications/1")).body
        assert draft["status"] == "draft" and len(draft["attachment_ids"]) == 1


async def test_a_file_of_a_cancelled_draft_leaves_the_clients_documents(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    """The upload belonged to the draft only: «Atcelt» deletes the draft and the document the
    file became, so neither «Dokumenti» nor ALTUM's API finds it afterwards. A document sent
    to ALTUM in a message stays."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await client_with_deal(api, ("anna", "main"))
        await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        # ALTUM's message with a document: the client's document, whatever happens to drafts.
        letter = file_samples.pdf(text="Grafiks")
        posted = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "Grafiks",
                "body": "Pielikumā.",
                "attachments": [
                    {
                        "name": "grafiks.pdf",
                        "content_base64": base64.b64encode(letter).decode(),
                        "doc_type": "contract",
                        "prepared_on": "2026-12-01",
                    }
                ],
            },
        )
        assert posted.status == 201, posted.body
        (kept,) = posted.body["documents"]
        await anna.reply()

        await new_disbursement(anna)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        for typed in ("12 500", "LV80BANK0000435195001", tomorrow.strftime("%d.%m.%Y")):
            await anna.say(typed)
            await anna.reply()
        await anna.say("Raw timber for the spring season.")
        await anna.reply()
        await anna.press_newest("✔️ Done")
        await anna.reply()
        await emu.send_document(BOT_ID, anna.user_id, file_samples.pdf(text="Rekins 19"), "r.pdf")
        assert "📎 Attached: r.pdf" in (await anna.reply())["text"]
        await anna.reply()
        (attached,) = (await api.get("/applications/1")).body["attachment_ids"]
        assert (await api.get(f"/documents/{attached}")).status == 200

        await anna.press_newest("✖️ Cancel")
        assert "cancelled and its draft deleted" in (await anna.reply())["text"]
        assert (await api.get("/applications/1")).status == 404
        assert (await api.get(f"/documents/{attached}")).status == 404
        assert (await api.get(f"/documents/{kept['id']}")).status == 200
        await anna.say("/messages")
        await anna.press(await anna.reply(), "📂 Documents")
        listing = await anna.reply()
        assert "grafiks.pdf" in listing["text"] and "r.pdf" not in listing["text"]
