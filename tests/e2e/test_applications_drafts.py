"""Drafts and the list, end to end: a micro-loan application answered in part and saved
resumes after the bot restarts at the very question where it stopped; an old question's
button is answered clearly and changes nothing; «Atpakaļ» goes back; «Pieteikumu saraksts»
shows the newest first, a page at a time, filtered by status; «Atcelt» deletes a draft."""

from __future__ import annotations

from api_support import Api, make_token, serving
from applications_support import DEAL, choose_client, client_with_deal, confirm_at_provider
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from messages_support import file_samples
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer


async def test_a_saved_draft_resumes_after_a_restart_and_the_list_pages_and_filters(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        cid = await client_with_deal(api, ("anna", "main"))
        async with browser() as http:
            await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        await anna.press_newest("📝 Applications")
        await anna.reply()
        await anna.press_newest("➕ New application")
        products = await anna.reply()
        assert "Micro-loan" in buttons(products)
        await anna.press(products, "Micro-loan")
        first = await anna.reply()
        assert (
            "question 1 of" in first["text"]
            and "How much would you like to borrow" in (first["text"])
        )
        assert "⬅️ Back" not in buttons(first)  # nothing before the first question
        await anna.say("1 234 €")  # below the form's minimum
        assert "2,000" in (await anna.reply())["text"]
        await anna.reply()
        await anna.say("25 000")
        second = await anna.reply()
        assert "For how many months" in second["text"] and "⬅️ Back" in buttons(second)
        await anna.press(second, "⬅️ Back")
        again = await anna.reply()
        assert "How much would you like to borrow" in again["text"]
        assert "Now: €25,000.00" in again["text"]
        await anna.say("30 000")
        term = await anna.reply()
        await anna.say("36")
        choice = await anna.reply()
        assert "What is the loan for?" in choice["text"]
        await anna.press(choice, "💾 Save draft")
        assert "Draft No. 1 is saved" in (await anna.reply())["text"]

    # Days later, after a restart: the list, the draft, and the very question it stopped at.
    restarted = bot_settings(database_url, emulator.base_url)
    async with serving(restarted), Api(restarted.public_url, token) as api:
        since = await emu.last_seq(BOT_ID)
        await anna.press(term, "⬅️ Back")  # a button of a question answered since
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert alert["params"]["text"] == "That question is no longer asked."
        assert "What is the loan for?" in (await anna.reply())["text"]  # asked where it is
        await anna.say("/start")
        greeting, _menu = await anna.replies(2)
        assert greeting["text"] == "Hello, Anna!"  # logged in: no introduction again
        await anna.press_newest("📝 Applications")
        await anna.reply()
        await anna.press_newest("📋 List of applications")
        listing = await anna.reply()
        (item,) = [b for b in buttons(listing) if b.startswith("No. 1")]
        assert "Micro-loan · Draft" in item
        await anna.press(listing, item)
        resumed = await anna.reply()
        assert "question 3 of" in resumed["text"] and "What is the loan for?" in resumed["text"]
        await anna.press(resumed, "Investment")
        assert "Describe exactly" in (await anna.reply())["text"]

        # Five more drafts: the list shows five, the newest first, and pages on.
        for _ in range(5):
            await anna.say("/start")
            await anna.replies(2)
            await anna.press_newest("📝 Applications")
            await anna.reply()
            await anna.press_newest("➕ New application")
            await anna.reply()
            await anna.press_newest("Start-up loan")
            await anna.reply()
        await anna.press_newest("💾 Save draft")
        await anna.reply()
        await anna.say("/start")
        await anna.replies(2)
        await anna.press_newest("📝 Applications")
        await anna.reply()
        await anna.press_newest("📋 List of applications")
        listing = await anna.reply()
        items = [b for b in buttons(listing) if b.startswith("No. ")]
        assert [i.split(" ·")[0] for i in items] == ["No. 6", "No. 5", "No. 4", "No. 3", "No. 2"]
        assert "More ›" in buttons(listing)
        await anna.press(listing, "More ›")
        rest = await anna.reply()
        assert [b.split(" ·")[0] for b in buttons(rest) if b.startswith("No. ")] == ["No. 1"]
        await anna.press(rest, "Sent for signing")
        assert "No applications here yet." in (await anna.reply())["text"]
        await anna.press_newest("Draft")
        drafts = await anna.reply()
        assert len([b for b in buttons(drafts) if b.startswith("No. ")]) == 5

        # A closed deal is among «Vēsturiskie darījumi», with no new application on it.
        closed = {**DEAL, "status": "closed", "end_date": "2025-12-31"}
        assert (await api.put(f"/clients/{cid}/deals/K-2020-1", closed)).status == 201
        await anna.reply()  # the new deal is told in chat
        await anna.say("/start")
        await anna.replies(2)
        await anna.press_newest("💼 My deals")
        await anna.reply()
        await anna.press_newest("🕘 Historical deals")
        history = await anna.reply()
        assert [b for b in buttons(history) if b.startswith("K-")] == [
            "K-2020-1 · Apgrozāmo līdzekļu aizdevums"
        ]
        await anna.press(history, "K-2020-1 · Apgrozāmo līdzekļu aizdevums")
        deal = await anna.reply()
        assert buttons(deal) == ["📋 Deal applications", "⬅️ Back"]
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, anna.user_id, 1, "dl:form:2:0")  # forged: refused
        assert "only on an active deal" in (await anna.reply())["text"]
        await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)

        # «Atcelt» deletes a draft.
        await anna.press(drafts, next(b for b in buttons(drafts) if b.startswith("No. 6")))
        question = await anna.reply()
        await anna.press(question, "✖️ Cancel")
        assert "cancelled and its draft deleted" in (await anna.reply())["text"]
        assert (await api.get("/applications/6")).status == 404
        assert (await api.get("/applications/5")).body["status"] == "draft"


async def test_every_kind_of_question_up_to_the_files_a_product_application_needs(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """The start-up loan's questions: an optional date skipped, long texts in parts, a percent,
    money, an integer, a choice, yes/no, a multi choice toggled, a condition that asks about a
    guarantor, a personal code, contacts; then its business plan: «Gatavs» without a file is
    refused, and the draft is kept; the files sent in the chat, it is signed and submitted."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(api, ("anna", "main"))
        async with browser() as http:
            await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        await anna.press_newest("📝 Applications")
        await anna.reply()
        await anna.press_newest("➕ New application")
        await anna.reply()
        await anna.press_newest("Start-up loan")
        steps: list[tuple[str, str]] = [
            ("press", "⏭ Skip"),
            ("say", "A sawmill for small"),
            ("say", "orders of local timber."),
            ("press", "✔️ Done"),
            ("say", "Ten years in forestry."),
            ("press", "✔️ Done"),
            ("say", "15 %"),
            ("say", "20 000"),
            ("say", "60"),
            ("press", "Investment"),
            ("say", "A band saw and a drying kiln."),
            ("press", "✔️ Done"),
            ("press", "Yes"),
            ("press", "⬜ Vehicles or equipment"),
            ("press", "⬜ Cash deposit"),
            ("press", "✔️ Done"),
            ("press", "⏭ Skip"),
            ("press", "Yes"),
            ("press", "A natural person"),
            ("say", "Kārlis Priede"),
            ("say", "120584-12349"),
            ("say", "Anna Bērziņa"),
            ("say", "+371 2000 0000"),
            ("say", "anna@ozolkalns.lv"),
            ("press", "No"),
            ("press", "No"),
        ]
        await anna.reply()
        for how, what in steps:
            if how == "press":
                await anna.press_newest(what)
            else:
                await anna.say(what)
            await anna.reply()
        plan = await anna.message(anna.seen)
        assert "Attach" in plan["text"] or "business plan" in plan["text"].lower()
        assert "Send it as a document or a photo" in plan["text"] or "Send them" in plan["text"]
        await anna.press_newest("✔️ Done")
        assert "Please send at least one file." in (await anna.reply())["text"]
        asked = await anna.reply()
        assert "Attach the business plan" in asked["text"]
        record = (await api.get("/applications/1")).body
        assert record["status"] == "draft"
        answers = record["answers"]
        assert answers["registered_on"] is None
        assert answers["business_idea"] == "A sawmill for small\norders of local timber."
        assert answers["own_contribution"] == "15" and answers["amount"] == "20000.00"
        assert answers["term_months"] == 60 and answers["purpose"] == "investment"
        assert answers["collateral"] == ["deposit", "equipment"]
        assert answers["guarantor_kind"] == "person"
        assert answers["guarantor_personal_code"] == "12058412349"
        assert answers["de_minimis"] is False and "business_plan" not in answers

        # The files, sent in the chat (issue 9 item 1); then signed and submitted.
        plan_pdf = file_samples.pdf(text="Biznesa plans")
        await emu.send_document(BOT_ID, anna.user_id, plan_pdf, "biznesa plāns.pdf")
        assert "📎 Attached: biznesa plāns.pdf" in (await anna.reply())["text"]
        await anna.reply()
        await anna.press_newest("✔️ Done")
        assert "cash-flow forecast" in (await anna.reply())["text"]
        flow_pdf = file_samples.pdf(text="Naudas plusma")
        await emu.send_document(BOT_ID, anna.user_id, flow_pdf, "plūsma.pdf")
        await anna.replies(2)
        await anna.press_newest("✔️ Done")
        assert "CVs" in (await anna.reply())["text"]
        await anna.press_newest("⏭ Skip")
        summary = await anna.reply()
        assert "check the answers" in summary["text"] and "biznesa plāns.pdf" in summary["text"]
        await anna.press(summary, "✍️ Sign and submit")
        status, page = await confirm_at_provider(anna, await anna.reply(), "anna")
        assert status == 200 and "Signed." in page, page
        assert "was submitted to ALTUM" in (await anna.reply())["text"]
        record = (await api.get("/applications/1")).body
        assert record["status"] == "submitted" and len(record["attachment_ids"]) == 2
