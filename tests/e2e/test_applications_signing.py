"""Co-signing by the Company Register's rule, end to end: Jānis and Pēteris of SIA "Ozolkalna
Koks" may each sign only "with at least 1 more". Jānis signs and sends a disbursement request
for signing; Pēteris is asked in chat, signs from that message and submits, once even when
pressing twice at once. Dace, a user who is no representative, cannot sign nor submit, even
with forged buttons. An edit after a signature voids it and tells the signer; a refusal
reaches the preparer with its reason. The taps of the co-signature are counted."""

from __future__ import annotations

import asyncio

from api_support import Api, make_token, serving
from applications_support import (
    choose_client,
    client_with_deal,
    confirm_at_provider,
    fill_disbursement,
)
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser, buttons
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer


async def logged_in(person: PersonFactory, name: str, demo: str, role: str) -> Person:
    someone = await person(name, language_code="en")
    async with browser() as http:
        await log_in(someone, http, demo)
    await choose_client(someone, f'SIA "Ozolkalna Koks" — {role}')
    return someone


async def last_alert(emu: EmulatorClient, since: int) -> str:
    calls = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)
    return str(calls[-1]["params"].get("text") or "")


async def menu_header(someone: Person) -> str:
    await someone.say("/start")
    while "Main menu" not in (text := (await someone.reply())["text"]):
        pass
    return str(text)


async def test_two_signatories_sign_and_one_submits_once(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(
            api, ("janis", "main"), ("peteris", "additional"), ("dace", "additional")
        )
        janis = await logged_in(person, "Jānis", "janis", "main user")
        peteris = await logged_in(person, "Pēteris", "peteris", "additional user")
        dace = await logged_in(person, "Dace", "dace", "additional user")

        summary = await fill_disbursement(janis)
        assert "✍️ Sign and send for signing" in buttons(summary)
        await janis.press(summary, "✍️ Sign and send for signing")
        link = await janis.reply()
        prompt = await peteris.reply()
        status, _page = await confirm_at_provider(janis, link, "janis")
        assert status == 200
        assert "Waiting for the other signatories" in (await janis.reply())["text"]
        assert "Jānis Kalniņš asks you to sign «Disbursement request» (No. 1)" in prompt["text"]
        assert "Amount: 12,500.00 EUR" in prompt["text"]
        assert "LV80BANK0000435195001" in prompt["text"]
        assert buttons(prompt) == ["✍️ Sign", "✖️ Refuse"]
        application = (await api.get("/applications/1")).body
        assert application["status"] == "sent_for_signing"
        assert application["content_hash"] in prompt["text"]

        # The main menu's header says what waits, for whom: Pēteris is to sign, Jānis and Dace
        # are not (Jānis signed, Dace cannot).
        assert "✍️ 1 document to sign" in await menu_header(peteris)
        for nobody in (janis, dace):
            assert "to sign" not in await menu_header(nobody)

        # Dace prepares but never signs: not with a forged «Parakstīt», nor «Iesniegt ALTUM».
        short = application["content_hash"][:16]
        await emu.forge_callback(BOT_ID, dace.user_id, 1, f"fa:sg:1:-1:{short}")
        assert "signing rights" in (await dace.reply())["text"]
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, dace.user_id, 1, "fa:sub:1:-1:")
        assert "signatures the Company Register's rule requires" in await last_alert(emu, since)
        # Someone of another company, forging buttons with this application's id, finds nothing.
        marta = await person("Marta", language_code="en")
        async with browser() as http:
            await log_in(marta, http, "marta")
        for forged in (f"fa:sg:1:-1:{short}", "fa:sub:1:-1:", "fa:ed:1:0:", "fa:a:1:0:1"):
            await emu.forge_callback(BOT_ID, marta.user_id, 1, forged)
            told = await marta.reply()
            assert "not among those of the client you act for" in told["text"], forged
        assert (await api.get("/applications/1")).body["status"] == "sent_for_signing"
        # Nor can Jānis submit with his signature alone.
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, janis.user_id, 1, "fa:sub:1:-1:")
        assert "signatures the Company Register's rule requires" in await last_alert(emu, since)
        assert (await api.get("/applications/1")).body["status"] == "sent_for_signing"

        # Pēteris' link confirmed at the provider by someone else signs nothing.
        await peteris.press(prompt, "✍️ Sign")
        link = await peteris.reply()
        status, page = await confirm_at_provider(peteris, link, "janis")
        assert status == 400 and "another person" in page
        assert "another person" in (await peteris.reply())["text"]
        assert len((await api.get("/applications/1")).body["signatures"]) == 1

        # The co-signature: at most 4 taps from the message that asked, plus the provider
        # (here 3: «Parakstīt», the Mini App button, «Iesniegt ALTUM»).
        await peteris.press(prompt, "✍️ Sign")
        link = await peteris.reply()
        status, _page = await confirm_at_provider(peteris, link, "peteris")
        assert status == 200
        signed = await peteris.reply()
        assert "Everyone needed has signed" in signed["text"]
        told = await janis.reply()
        assert "Pēteris Ozols signed «Disbursement request» (No. 1)" in told["text"]
        assert "📤 Submit to ALTUM" in buttons(told)
        since = await emu.last_seq(BOT_ID)
        await asyncio.gather(
            peteris.press(signed, "📤 Submit to ALTUM"),
            peteris.press(signed, "📤 Submit to ALTUM"),
        )
        alerts = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=2)
        assert sorted(str(a["params"].get("text")) for a in alerts) == [
            "It has already been submitted.",
            "None",
        ]
        for someone in (janis, peteris, dace):
            assert "was submitted to ALTUM" in (await someone.reply())["text"]
        assert "to sign" not in await menu_header(peteris)
        done = (await api.get("/applications/1")).body
        assert done["status"] == "submitted"
        assert sorted(s["decision"] for s in done["signatures"]) == ["signed", "signed"]
        assert all(s["content_hash"] == done["content_hash"] for s in done["signatures"])
        events = [e["type"] for e in (await api.get("/events", limit=200)).body["events"]]
        assert events.count("application.submitted") == 1
        assert events.count("signature.added") == 2
        assert events.count("application.sent_for_signing") == 1


async def test_an_edit_voids_signatures_and_a_refusal_reaches_the_preparer(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(api, ("janis", "main"), ("peteris", "additional"))
        janis = await logged_in(person, "Jānis", "janis", "main user")
        peteris = await logged_in(person, "Pēteris", "peteris", "additional user")

        summary = await fill_disbursement(janis)
        await janis.press(summary, "✍️ Sign and send for signing")
        link = await janis.reply()
        old_prompt = await peteris.reply()
        assert (await confirm_at_provider(janis, link, "janis"))[0] == 200
        await janis.reply()

        # Jānis changes the amount from the list: his signature is void, Pēteris is told.
        await janis.press_newest("📝 Applications")
        await janis.reply()
        await janis.press_newest("📋 List of applications")
        listing = await janis.reply()
        assert any("Sent for signing" in b for b in buttons(listing))
        await janis.press(listing, buttons(listing)[0])
        await janis.reply()
        await janis.press_newest("✏️ Amount")
        await janis.reply()
        await janis.say("10 000")
        summary = await janis.reply()
        assert "€10,000.00" in summary["text"]
        voided = await peteris.reply()
        assert "was changed after signing" in voided["text"]
        record = (await api.get("/applications/1")).body
        assert record["status"] == "draft" and record["content_hash"] is None
        assert [s["void"] for s in record["signatures"]] == [True]

        # The old prompt signs nothing now.
        await peteris.press(old_prompt, "✍️ Sign")
        assert "no longer the content" in (await peteris.reply())["text"]

        await janis.press(summary, "✍️ Sign and send for signing")
        link = await janis.reply()
        prompt = await peteris.reply()
        assert "Amount: 10,000.00 EUR" in prompt["text"]
        assert (await confirm_at_provider(janis, link, "janis"))[0] == 200
        await janis.reply()
        await peteris.press(prompt, "✖️ Refuse")
        assert "Why do you refuse" in (await peteris.reply())["text"]
        await peteris.say("Summa   par lielu.")
        assert "You refused to sign" in (await peteris.reply())["text"]
        refused = await janis.reply()
        assert "Pēteris Ozols refused to sign" in refused["text"]
        assert "Reason: Summa par lielu." in refused["text"]
        record = (await api.get("/applications/1")).body
        assert record["status"] == "sent_for_signing"
        decisions = [(s["decision"], s["void"], s["reason"]) for s in record["signatures"]]
        assert decisions == [
            ("signed", True, None),
            ("signed", False, None),
            ("refused", False, "Summa par lielu."),
        ]
        events = [e["type"] for e in (await api.get("/events", limit=200)).body["events"]]
        assert events.count("signature.refused") == 1


async def test_two_signers_confirming_at_once_both_count_and_it_is_withdrawn_after(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(api, ("janis", "main"), ("peteris", "additional"))
        janis = await logged_in(person, "Jānis", "janis", "main user")
        peteris = await logged_in(person, "Pēteris", "peteris", "additional user")
        summary = await fill_disbursement(janis)
        await janis.press(summary, "✍️ Sign and send for signing")
        janis_link = await janis.reply()
        prompt = await peteris.reply()
        await peteris.press(prompt, "✍️ Sign")
        peteris_link = await peteris.reply()
        results = await asyncio.gather(
            confirm_at_provider(janis, janis_link, "janis"),
            confirm_at_provider(peteris, peteris_link, "peteris"),
        )
        assert [status for status, _page in results] == [200, 200]
        record = (await api.get("/applications/1")).body
        assert sorted(s["decision"] for s in record["signatures"] if not s["void"]) == [
            "signed",
            "signed",
        ]
        # Whoever came second sees the rule met; the preparer is told Pēteris signed.
        texts = [m["text"] for m in await janis.replies(2) + [await peteris.reply()]]
        assert sum("Everyone needed has signed" in t for t in texts) >= 1

        # «Darījuma pieteikumi» of the deal lists it.
        await janis.say("/start")
        await janis.replies(2)
        await janis.press_newest("💼 My deals")
        await janis.reply()
        await janis.press_newest("📑 Active deals")
        await janis.reply()
        await janis.press_newest("K-2025-17 · Apgrozāmo līdzekļu aizdevums")
        await janis.reply()
        await janis.press_newest("📋 Deal applications")
        listed = await janis.reply()
        assert "No. 1 · Disbursement request · Sent for signing" in listed["text"]

        # The preparer withdraws it before submission: the signatures are void, Pēteris told.
        await janis.press_newest("⬅️ Back")
        await janis.reply()
        await janis.say("/start")
        await janis.replies(2)
        await janis.press_newest("📝 Applications")
        await janis.reply()
        await janis.press_newest("📋 List of applications")
        listing = await janis.reply()
        await janis.press(listing, next(b for b in buttons(listing) if b.startswith("No. 1 ·")))
        opened = await janis.reply()
        await janis.press(opened, "↩️ Withdraw")
        assert "was withdrawn" in (await janis.reply())["text"]
        assert "was withdrawn by the person who prepared it" in (await peteris.reply())["text"]
        record = (await api.get("/applications/1")).body
        assert record["status"] == "withdrawn"
        assert all(s["void"] for s in record["signatures"])
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, peteris.user_id, 1, "fa:sub:1:-1:")
        alerts = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10)
        assert "no longer be submitted" in str(alerts[-1]["params"].get("text"))
