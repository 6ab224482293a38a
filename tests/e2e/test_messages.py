"""«Saziņa» through the chat: a new message with a subject, text in two parts, a checked
document with its type and today's date and a deal; the list and the thread; the document
sent back byte for byte; a draft saved and sent later; «Detalizēta meklēšana»; a forged
callback for a thread or document of another client gives nothing."""

from __future__ import annotations

from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from messages_support import DEAL, ILZE_CODE, acts_for, button_data, file_samples, open_client

from emulator import EmulatorClient, EmulatorServer


async def test_write_send_read_search_and_download(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await open_client(database_url, api)
        assert (await api.put(f"/clients/{cid}/deals/K-7", DEAL)).status == 201
        await api.put(
            f"/clients/{cid}/consultant",
            {"name": "Ieva Kļava", "email": "ieva@altum.lv", "phone": "20000001"},
        )
        await acts_for(anna, api, http, cid)

        await anna.say("/messages")
        listing = await anna.reply()
        assert "No messages yet." in listing["text"]
        assert "Ieva Kļava, ieva@altum.lv, +37120000001" in listing["text"]
        await anna.press(listing, "✉️ New message")
        assert "subject" in (await anna.reply())["text"]
        await anna.say("Pamatlīdzekļu iegāde")
        assert "«saturs»" in (await anna.reply())["text"]
        await anna.say("Labdien!")
        await anna.reply()
        await anna.say("Pielikumā rēķins.")
        compose = await anna.reply()
        assert "Labdien!\n\nPielikumā rēķins." in compose["text"]
        invoice = file_samples.pdf(text="Rekins 17")
        await emu.send_document(BOT_ID, anna.user_id, invoice, "rēķins.pdf")
        asked = await anna.reply()
        assert "«rēķins.pdf» received" in asked["text"] and "Invoice" in buttons(asked)
        await anna.press(asked, "Invoice")
        dated = await anna.reply()
        (today,) = buttons(dated)
        assert today.startswith("Today, ")
        await anna.say("31.02.2026")  # the format is right, the day is not
        assert "There is no such date" in (await anna.reply())["text"]
        await anna.press(dated, today)
        compose = await anna.reply()
        assert "📎 rēķins.pdf — Invoice" in compose["text"]
        await anna.press(compose, "🔗 Concerns a deal")
        await anna.press(await anna.reply(), "K-7 — Apgrozāmo līdzekļu aizdevums")
        compose = await anna.reply()
        assert "Concerns deal K-7" in compose["text"]
        await anna.press(compose, "📨 Send")
        sent = await anna.reply()
        assert "Sent to ALTUM" in sent["text"]

        # The thread: in order, with its document, which comes back byte for byte.
        await anna.press(sent, "📖 Open")
        thread = await anna.reply()
        assert "Pamatlīdzekļu iegāde" in thread["text"] and "Deal K-7" in thread["text"]
        assert "Sent" in thread["text"] and "Labdien!" in thread["text"]
        await anna.press(thread, "📎 rēķins.pdf")
        back = await anna.reply()
        assert back["document"]["file_name"] == "rēķins.pdf"
        assert await emu.download(BOT_ID, back["document"]["file_id"]) == invoice

        # «Atbildēt» with two photos: one document of two pages.
        await anna.press(thread, "↩️ Reply")
        await anna.reply()
        for colour in ((255, 0, 0), (0, 128, 0)):
            photo = file_samples.page_photo(colour, stored_turned=False)
            await emu.send_photo(BOT_ID, anna.user_id, photo)
            added = await anna.reply()
        assert "Page 2 added: the PDF has 2 pages now" in added["text"]
        since = await emu.last_seq(BOT_ID)
        await anna.say("Abas lapas.")
        compose, waiting = await anna.replies(2)  # the photos' buttons again, under the text
        assert "still wait to become one PDF of 2 pages" in waiting["text"]
        assert buttons(waiting) == ["➕ Add a page", "✅ Done", "✖️ Cancel"]
        await anna.press(compose, "📨 Send")  # not before «Done»
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "finish the photos" in alert["params"]["text"]
        await anna.press(waiting, "✅ Done")
        assert "one PDF of 2 pages" in (await anna.reply())["text"]
        await anna.press(await anna.reply(), "Payment order")
        dated = await anna.reply()
        await anna.press(dated, buttons(dated)[0])
        compose = await anna.reply()
        assert "Abas lapas." in compose["text"] and "📎 document-" in compose["text"]
        await anna.press(compose, "📨 Send")
        assert "Sent to ALTUM" in (await anna.reply())["text"]

        # A draft: kept, listed as «Melnraksts», sent later once.
        await anna.say("/messages")
        await anna.press(await anna.reply(), "✉️ New message")
        await anna.reply()
        await anna.say("Jautājums par grafiku")
        await anna.reply()
        await anna.say("Vai var mainīt maksājumu datumu?")
        await anna.press(await anna.reply(), "💾 Save")
        saved = await anna.reply()
        assert "draft" in saved["text"]
        await anna.say("/messages")
        listing = await anna.reply()
        assert "1. Jautājums par grafiku\n   Draft" in listing["text"]
        assert "2. Pamatlīdzekļu iegāde\n   Sent" in listing["text"]
        await anna.press(listing, "1. Jautājums par grafiku")
        draft = await anna.reply()
        await anna.press(draft, "📨 Send the draft")
        assert "Sent to ALTUM" in (await anna.reply())["text"]
        since = await emu.last_seq(BOT_ID)
        await anna.press(draft, "📨 Send the draft")  # an old button: nothing twice
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "sent already" in alert["params"]["text"]

        # Detailed search: text, then status.
        await anna.say("/messages")
        await anna.press(await anna.reply(), "🔎 Detailed search")
        panel = await anna.reply()
        await anna.press(panel, "Text")
        await anna.reply()
        await anna.say("maksājumu")
        panel = await anna.reply()
        assert "Text: maksājumu" in panel["text"]
        await anna.press(panel, "🔎 Search")
        found = await anna.reply()
        assert "Jautājums par grafiku" in found["text"]
        assert "Pamatlīdzekļu" not in found["text"]
        await anna.press(found, "🔎 Detailed search")
        panel = await anna.reply()
        await anna.press(panel, "Unread only")
        panel = await anna.reply()
        assert "Unread only: yes" in panel["text"]
        await anna.press(panel, "🔎 Search")
        assert "No messages found." in (await anna.reply())["text"]

        # Documents: the archive lists the invoice.
        await anna.say("/messages")
        await anna.press(await anna.reply(), "📂 Documents")
        archive = await anna.reply()
        assert "rēķins.pdf — Invoice" in archive["text"] and "deal K-7" in archive["text"]

        # Another client's thread and document: forged callbacks find nothing.
        open_data = button_data(thread, "📎 rēķins.pdf")
        other = await open_client(database_url, api, "40103888880")
        berta = await person("Ilze", language_code="en")
        async with browser() as http_ilze:
            await acts_for(berta, api, http_ilze, other, demo="ilze", code=ILZE_CODE)
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, berta.user_id, 1, open_data)
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "not available" in alert["params"]["text"]
        thread_data = button_data(sent, "📖 Open")
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, berta.user_id, 1, thread_data)
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "not available" in alert["params"]["text"]
        assert not await emu.calls(BOT_ID, method="sendDocument", since=since)
