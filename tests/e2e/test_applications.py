"""Applications end to end, through the emulator and the back-office API: a sole signatory
prepares a disbursement request on a deal, question by question (a wrong answer refused and
asked again, the date picked in the calendar, a long text in two messages, an answer changed
from the summary), signs and submits it in one flow; ALTUM reads it and sets its status, which
the chat is told. The taps beyond the typed answers are counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pypdfium2 as pdfium
from api_support import Api, make_token, serving
from applications_support import confirm_at_provider
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, buttons, outbox_rows
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer

ANNA_CODE = "120584-12349"  # the demo provider's Anna Bērziņa: signs alone
DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000.50",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}


class Taps:
    """Counts button presses (the task cost), apart from the answers typed."""

    def __init__(self, someone: Person) -> None:
        self.someone = someone
        self.count = 0

    async def press(self, text: str) -> None:
        self.count += 1
        await self.someone.press_newest(text)


async def client_with_deal(api: Api) -> int:
    opened = await api.post("/clients", {"registration_number": "40103999940"})
    assert opened.status == 201, opened.body
    cid = int(opened.body["id"])
    granted = await api.post(f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"})
    assert granted.status == 201, granted.body
    assert (await api.put(f"/clients/{cid}/deals/K-2025-17", DEAL)).status == 201
    return cid


async def choose_client(someone: Person) -> None:
    await someone.say("/client")
    await someone.reply()
    await someone.press_newest('SIA "Ozolkalna Koks" — main user')
    await someone.replies(2)


async def test_a_sole_signatory_prepares_signs_and_submits_a_disbursement(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await client_with_deal(api)
        await log_in(anna, http, "anna")
        await choose_client(anna)
        taps = Taps(anna)

        await anna.say("/start")
        await anna.replies(2)
        await taps.press("💼 My deals")
        await anna.reply()
        await taps.press("📑 Active deals")
        await anna.reply()
        await taps.press("K-2025-17 · Apgrozāmo līdzekļu aizdevums")
        deal = await anna.reply()
        assert "€80,000.50" in deal["text"]
        await taps.press("➕ New deal application")
        await anna.reply()
        await taps.press("Disbursement request")
        question = await anna.reply()
        assert "question 1 of" in question["text"] and "What amount" in question["text"]
        assert "💾 Save draft" in buttons(question) and "✖️ Cancel" in buttons(question)

        await anna.say("90 000")  # above the deal's undrawn balance
        refusal = await anna.reply()
        assert "80,000.50" in refusal["text"]
        assert "What amount" in (await anna.reply())["text"]  # asked again
        await anna.say("12 500,00")
        assert "Which account" in (await anna.reply())["text"]
        await anna.say("LV80 BANK 0000 4351 9500 1")
        picker = await anna.reply()
        assert "On which date" in picker["text"]
        today = datetime.now(UTC).date()
        # The calendar shows this month; tomorrow may be in the next one.
        day = str(today.day + 1) if today.day < 28 else None
        if day is None:
            await anna.say("01.01." + str(today.year + 1))
        else:
            await taps.press(day)
        purpose = await anna.reply()
        assert "What will the money be used for?" in purpose["text"]
        await anna.say("Raw timber for")
        part = await anna.reply()
        assert "What will the money be used for?" in part["text"] and "Raw timber" in part["text"]
        await anna.say("the spring season.")
        await anna.reply()
        await taps.press("✔️ Done")
        files = await anna.reply()
        assert "Attach the invoices" in files["text"]
        await taps.press("⏭ Skip")
        summary = await anna.reply()
        assert "check the answers" in summary["text"]
        assert "€12,500.00" in summary["text"]
        assert "Raw timber for\nthe spring season." in summary["text"]

        # Any answer changed in two taps: its button, then the answer.
        await taps.press("✏️ Amount")
        assert "What amount" in (await anna.reply())["text"]
        await anna.say("12 000")
        summary = await anna.reply()
        assert "€12,000.00" in summary["text"]
        assert "✍️ Sign and submit" in buttons(summary)

        await taps.press("✍️ Sign and submit")
        link = await anna.reply()
        assert "confirm who you are at the identity provider within 5 minutes" in link["text"]
        assert buttons(link) == ["🔐 Confirm and sign"]
        assert (await api.get("/applications/1")).body["signatures"] == []  # not yet
        taps.count += 1  # the Mini App button
        status, page = await confirm_at_provider(anna, link, "anna")
        assert status == 200 and "Signed." in page, page
        told = await anna.reply()
        assert "was submitted to ALTUM" in told["text"] and "€12,000.00" in told["text"]
        # With it, the submitted application as a PDF: the file ALTUM gets from the API.
        sent = await anna.reply()
        assert sent["document"]["file_name"] == "application-1.pdf"
        in_chat = await emu.download(987654321, sent["document"]["file_id"])
        # The link's secret is not kept once sent: the outbox holds it scrubbed.
        secret = button_web_app_url(link).rsplit("/", 1)[1]
        kept = [json.dumps(row.payload) for row in await outbox_rows(database_url)]
        assert any("/sign/[redacted]" in p for p in kept) and not any(secret in p for p in kept)
        # From the main menu to «Iesniegt ALTUM»: at most 10 taps beyond the typed answers and
        # the identity provider (the two taps that changed an answer are not part of it).
        assert taps.count - 2 <= 10, taps.count

        # A second tap on the summary's button submits nothing more.
        since = await emu.last_seq(987654321)
        await anna.press(summary, "✍️ Sign and submit")
        alerts = await emu.calls(
            987654321, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "no longer be changed" in (alerts[0]["params"].get("text") or "")

        listing = (await api.get("/applications/1")).body
        assert listing["status"] == "submitted" and listing["client_id"] == cid
        assert listing["answers"]["amount"] == "12000.00"
        assert listing["answers"]["target_iban"] == "LV80BANK0000435195001"
        assert len(listing["content_hash"]) == 64
        (signature,) = listing["signatures"]
        assert signature["decision"] == "signed"
        assert signature["content_hash"] == listing["content_hash"]

        # The submitted application as a PDF: answers, the signer with the time, the hash.
        text = await pdf_text(settings.public_url, token, 1)
        for expected in (
            'SIA "Ozolkalna Koks"',
            "Naudas līdzekļu izsniegšana",
            "12 000,00 EUR",
            "LV80BANK0000435195001",
            "Anna Bērziņa",
            "parakstīja",
            listing["content_hash"],
        ):
            assert expected in text, expected
        assert in_chat == await pdf_bytes(settings.public_url, token, 1)  # byte for byte

        in_review = await api.post(
            "/applications/1/status", {"status": "in_review", "comment": "Pārbaudām."}
        )
        assert in_review.status == 200, in_review.body
        told = await anna.reply()
        assert "Under review" in told["text"] and "Pārbaudām." in told["text"]
        # The same again (ALTUM's retry after a lost answer): nothing changes, no one is told
        # again; the next change is the next thing Anna hears.
        again = await api.post(
            "/applications/1/status", {"status": "in_review", "comment": " Pārbaudām. "}
        )
        assert again.status == 200 and again.body == in_review.body
        info = await api.post("/applications/1/status", {"status": "info_needed"})
        assert info.status == 200, info.body
        told = await anna.reply()
        assert "Under review" not in told["text"] and "Pārbaudām." not in told["text"]
        bad = await api.post("/applications/1/status", {"status": "draft"})
        assert bad.status == 422
        assert (await api.get("/applications/99")).status == 404

        events = (await api.get("/events", after=0, limit=100)).body["events"]
        kinds = [e["type"] for e in events]
        assert kinds.count("signature.added") == 1 and kinds.count("application.submitted") == 1


async def pdf_text(public_url: str, token: str, application_id: int) -> str:
    """The PDF's text, every page, read back with pdfium."""
    return pdf_bytes_text(await pdf_bytes(public_url, token, application_id))


async def pdf_bytes(public_url: str, token: str, application_id: int) -> bytes:
    async with aiohttp.ClientSession() as http:
        url = f"{public_url}/api/v1/applications/{application_id}/pdf"
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200 and response.content_type == "application/pdf"
            return await response.read()


def pdf_bytes_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def test_in_latvian_the_portals_words(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """The same request in Latvian: the portal's labels, amounts as Latvians write them."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        await client_with_deal(api)
        await log_in(anna, http, "anna")
        await anna.say("/client")
        await anna.reply()
        await anna.press_newest('SIA "Ozolkalna Koks" — galvenais lietotājs')
        menu = (await anna.replies(2))[-1]
        assert "📝 Pieteikumi" in buttons(menu) and "💼 Mani darījumi" in buttons(menu)
        await anna.press(menu, "💼 Mani darījumi")
        await anna.reply()
        await anna.press_newest("📑 Aktīvie darījumi")
        await anna.reply()
        await anna.press_newest("K-2025-17 · Apgrozāmo līdzekļu aizdevums")
        deal = await anna.reply()
        assert "Atlikums: 80\xa0000,50\xa0€" in deal["text"]  # Babel: no-break spaces
        assert buttons(deal)[:2] == ["📋 Darījuma pieteikumi", "➕ Jauns darījuma pieteikums"]
        await anna.press(deal, "➕ Jauns darījuma pieteikums")
        await anna.reply()
        await anna.press_newest("Naudas līdzekļu izsniegšana")
        question = await anna.reply()
        assert "1. jautājums no" in question["text"] and "Kādu summu" in question["text"]
        assert buttons(question) == ["💾 Saglabāt melnrakstu", "✖️ Atcelt"]
        await anna.say("90 000")
        assert "80\xa0000,50" in (await anna.reply())["text"]
        await anna.reply()
        await anna.say("12 000")
        await anna.reply()
        await anna.say("LV80BANK0000435195001")
        dates = await anna.reply()
        assert "⬅️ Atpakaļ" in buttons(dates)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        await anna.say(tomorrow.strftime("%d.%m.%Y"))
        await anna.reply()
        await anna.say("Kokmateriāli pavasara sezonai.")
        more = await anna.reply()
        assert "✔️ Gatavs" in buttons(more)
        await anna.press(more, "✔️ Gatavs")
        files = await anna.reply()
        assert "⏭ Izlaist" in buttons(files)
        await anna.press(files, "⏭ Izlaist")
        summary = await anna.reply()
        assert "pārbaudiet atbildes" in summary["text"] and "12\xa0000,00\xa0€" in summary["text"]
        assert "✍️ Parakstīt un iesniegt" in buttons(summary)
        assert "💾 Saglabāt melnrakstu" in buttons(summary) and "✖️ Atcelt" in buttons(summary)
        await anna.press(summary, "✍️ Parakstīt un iesniegt")
        link = await anna.reply()
        assert buttons(link) == ["🔐 Apstiprināt un parakstīt"]
        assert "minūšu laikā apstipriniet, ka tas esat jūs" in link["text"]


def button_web_app_url(message: dict[str, object]) -> str:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return str(markup["inline_keyboard"][0][0]["web_app"]["url"])
