"""A long answer typed in parts keeps every part; «Notīrīt tekstu» drops them all in one tap
(a mistyped first part need not stay), and the answer is then typed again. A form opened and
left untouched is not counted as a draft in the menu's header."""

from __future__ import annotations

from api_support import Api, make_token, serving
from applications_support import choose_client, client_with_deal
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, buttons
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorServer


async def open_micro_loan(anna: Person, api: Api) -> None:
    """Anna, main user of SIA "Ozolkalna Koks", at a new micro-loan's first question."""
    await client_with_deal(api, ("anna", "main"))
    async with browser() as http:
        await log_in(anna, http, "anna")
    await choose_client(anna, 'SIA "Ozolkalna Koks" — galvenais lietotājs')
    await anna.press_newest("📝 Pieteikumi")
    await anna.reply()
    await anna.press_newest("➕ Jauns pieteikums")
    await anna.press(await anna.reply(), "Mikroaizdevums")
    await anna.reply()


async def test_a_long_text_in_parts_is_cleared_and_typed_again(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await open_micro_loan(anna, api)
        for answer in ("25 000", "36"):
            await anna.say(answer)
            await anna.reply()
        await anna.press_newest("Investīcijas")
        asked = await anna.reply()
        assert "Aprakstiet, kam tieši" in asked["text"]
        assert "🗑 Notīrīt tekstu" not in buttons(asked)  # nothing typed yet

        await anna.say("Jaunas kokapstrādes iekārtas iegāde (KĻŪDA)")
        await anna.reply()
        await anna.say("un tās uzstādīšana ražotnē.")
        both = await anna.reply()
        assert "KĻŪDA" in both["text"] and "uzstādīšana" in both["text"]
        # A forged action this question has no use for: asked again, the text kept.
        (clear,) = [
            button["callback_data"]
            for row in both["reply_markup"]["inline_keyboard"]
            for button in row
            if button["text"] == "🗑 Notīrīt tekstu"
        ]
        await anna.emu.forge_callback(
            anna.bot_id, anna.user_id, both["message_id"], clear.replace(":clr:", ":tog:")
        )
        both = await anna.reply()
        assert "KĻŪDA" in both["text"] and "🗑 Notīrīt tekstu" in buttons(both)
        await anna.press(both, "🗑 Notīrīt tekstu")
        cleared, again = await anna.replies(2)
        assert cleared["text"] == "Teksts ir notīrīts — ierakstiet to vēlreiz."
        assert "Aprakstiet, kam tieši" in again["text"] and "KĻŪDA" not in again["text"]
        assert "🗑 Notīrīt tekstu" not in buttons(again)

        await anna.say("Jaunas kokapstrādes iekārtas iegāde un uzstādīšana ražotnē.")
        typed = await anna.reply()
        assert "KĻŪDA" not in typed["text"]
        await anna.press(typed, "✔️ Gatavs")
        after = await anna.reply()
        assert "Aprakstiet, kam tieši" not in after["text"]  # the next question


async def test_the_menu_counts_a_draft_once_something_is_typed_in_it(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """A form opened and left with nothing typed is no work waiting; one answer makes it a
    draft in the main menu's header."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await open_micro_loan(anna, api)
        await anna.say("/start")
        _greeting, menu = await anna.replies(2)
        assert "melnrakst" not in menu["text"]

        await anna.press_newest("📝 Pieteikumi")
        await anna.reply()
        await anna.press_newest("📋 Pieteikumu saraksts")
        listing = await anna.reply()
        (draft,) = [b for b in buttons(listing) if b.startswith("Nr. ")]
        await anna.press(listing, draft)
        await anna.reply()  # the first question again
        await anna.say("25 000")
        await anna.reply()
        await anna.say("/start")
        _greeting, menu = await anna.replies(2)
        assert "📝 1 melnraksts" in menu["text"]
