"""Documents from the phone outside any dialog: «Kas tas ir?». ALTUM asks for a document;
the client photographs two pages and answers in at most 8 taps from the push; three photos
become one three-page PDF that ALTUM fetches back byte for byte; a small photo is warned
about; a file that breaks the rules is refused in the person's language."""

from __future__ import annotations

import base64
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser, buttons
from messages_support import acts_for, file_samples, open_client

from emulator import EmulatorClient, EmulatorServer
from integrations.files import page_count


class Counted:
    """The person's actions (a button pressed, a text or file sent): the task's cost."""

    def __init__(self, someone: Person, emu: EmulatorClient) -> None:
        self.someone, self.emu, self.taps = someone, emu, 0

    async def press(self, message: dict[str, object], text: str) -> None:
        self.taps += 1
        await self.someone.press(message, text)

    async def photo(self, data: bytes) -> None:
        self.taps += 1
        await self.emu.send_photo(BOT_ID, self.someone.user_id, data)


async def test_photos_answer_altum_in_few_taps_and_come_back_as_one_pdf(
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
        await acts_for(anna, api, http, cid)

        # ALTUM asks; from the push to sent: two photos, «Done», the thread, type, date, send.
        asked = await api.post(
            f"/clients/{cid}/messages",
            {"subject": "Pieņemšanas akts", "body": "Lūdzu, atsūtiet parakstīto aktu."},
        )
        thread_id = asked.body["thread_id"]
        await anna.reply()  # the push
        cost = Counted(anna, emu)
        await cost.photo(file_samples.page_photo((255, 0, 0), stored_turned=False))
        first = await anna.reply()
        assert "Page 1 added: the PDF has 1 page now" in first["text"]
        await cost.photo(file_samples.page_photo((0, 255, 0), stored_turned=True))
        second = await anna.reply()
        assert "Page 2 added: the PDF has 2 pages now" in second["text"]
        assert buttons(second)[:2] == ["➕ Add a page", "✅ Done"]
        await cost.press(second, "✅ Done")
        assert "one PDF of 2 pages" in (await anna.reply())["text"]
        what = await anna.reply()
        assert "What is it?" in what["text"]
        assert buttons(what)[0] == "↩️ Answer: Pieņemšanas akts"  # the likely choice first
        await cost.press(what, "↩️ Answer: Pieņemšanas akts")
        kinds = await anna.reply()
        await cost.press(kinds, "Acceptance certificate")
        dated = await anna.reply()
        await cost.press(dated, buttons(dated)[0])
        compose = await anna.reply()
        assert "Acceptance certificate" in compose["text"]
        await cost.press(compose, "📨 Send")
        assert "Sent to ALTUM" in (await anna.reply())["text"]
        assert cost.taps <= 8, cost.taps

        events = (await api.get("/events")).body["events"]
        (sent,) = [e for e in events if e["type"] == "message.sent"]
        assert sent["thread_id"] == thread_id
        (uploaded,) = [e for e in events if e["type"] == "document.uploaded"]
        two_pages = (await api.get(f"/documents/{uploaded['document_id']}")).body
        assert two_pages["kind"] == "pdf" and two_pages["doc_type"] == "acceptance"
        path = tmp_path / "two.pdf"
        path.write_bytes(base64.b64decode(two_pages["content_base64"]))
        assert page_count(path) == 2

        # Three photos as a new message; the PDF in chat and through the API are the same.
        for colour in ((255, 0, 0), (0, 0, 0), (255, 255, 0)):
            await emu.send_photo(
                BOT_ID, anna.user_id, file_samples.page_photo(colour, stored_turned=False)
            )
            await anna.reply()
        await anna.press_newest("✅ Done")
        await anna.reply()
        what = await anna.reply()
        await anna.press(what, "✉️ New message to ALTUM")
        await anna.press(await anna.reply(), "Invoice")
        dated = await anna.reply()
        await anna.press(dated, buttons(dated)[0])
        await anna.reply()  # the message, ready to send
        await anna.say("Rēķins par decembri.")
        await anna.press(await anna.reply(), "📨 Send")
        sent_reply = await anna.reply()
        await anna.press(sent_reply, "📖 Open")
        thread = await anna.reply()
        assert "Invoice" in thread["text"] and "Rēķins par decembri." in thread["text"]
        (attachment,) = [b for b in buttons(thread) if b.startswith("📎")]
        await anna.press(thread, attachment)
        in_chat = await emu.download(BOT_ID, (await anna.reply())["document"]["file_id"])
        events = (await api.get("/events")).body["events"]
        last = [e for e in events if e["type"] == "document.uploaded"][-1]
        three_pages = (await api.get(f"/documents/{last['document_id']}")).body
        assert base64.b64decode(three_pages["content_base64"]) == in_chat
        path.write_bytes(in_chat)
        assert page_count(path) == 3
        message = (await api.get(f"/messages/{last['message_id']}")).body
        assert message["subject"] == "Invoice" and message["thread_id"] != thread_id

        # A small photo: a warning with the advice to send it as a file.
        await emu.send_photo(BOT_ID, anna.user_id, file_samples.picture("jpeg", (400, 300)))
        warned = await anna.reply()
        assert "small" in warned["text"] and "as a file" in warned["text"]
        await anna.reply()  # page 1 added
        await anna.say("/cancel")
        await anna.replies(2)

        # A program named .pdf: refused, in the person's language.
        await emu.send_document(BOT_ID, anna.user_id, file_samples.pe_executable(), "rekins.pdf")
        refused = await anna.reply()
        assert "program" in refused["text"]
        # Downloaded before the transaction, kept or refused: nothing is left in staging.
        assert list((tmp_path / "files" / "staging").iterdir()) == []
