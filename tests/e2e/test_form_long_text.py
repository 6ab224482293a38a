"""A long answer typed in parts keeps every part; «Notīrīt tekstu» drops them all in one tap
(a mistyped first part need not stay), and the answer is then typed again."""

from __future__ import annotations

from api_support import Api, make_token, serving
from applications_support import choose_client, client_with_deal
from conftest import PersonFactory
from e2e_support import bot_settings, browser, buttons
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorServer


async def test_a_long_text_in_parts_is_cleared_and_typed_again(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(api, ("anna", "main"))
        async with browser() as http:
            await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — galvenais lietotājs')
        await anna.press_newest("📝 Pieteikumi")
        await anna.reply()
        await anna.press_newest("➕ Jauns pieteikums")
        await anna.press(await anna.reply(), "Mikroaizdevums")
        await anna.reply()
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
