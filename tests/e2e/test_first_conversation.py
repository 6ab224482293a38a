"""The first conversation, driven through the emulator: updates in, Bot API calls out."""

from __future__ import annotations

import pytest
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, buttons, polling_bot, wait_until_polling

from emulator import EmulatorClient, EmulatorServer

# Before logging in: log in, help, language (sections join as the person logs in).
LV_MENU = ["🔐 Pieslēgties", "ℹ️ Palīdzība un portāla karte", "🌐 Valoda"]
EN_MENU = ["🔐 Log in", "ℹ️ Help and portal map", "🌐 Language"]


@pytest.fixture
async def bot(database_url: str, emulator: EmulatorServer, emu: EmulatorClient):  # type: ignore[no-untyped-def]
    async with polling_bot(bot_settings(database_url, emulator.base_url)):
        await wait_until_polling(emu)
        yield


@pytest.mark.usefixtures("bot")
async def test_start_greets_in_latvian_and_shows_the_menu(person: PersonFactory) -> None:
    anna = await person("Anna", "lv")
    await anna.say("/start")
    greeting, menu = await anna.replies(2)
    assert greeting["text"].startswith("Labdien, Anna!")
    assert "mans.altum.lv" in greeting["text"]
    assert menu["text"].startswith("Galvenā izvēlne")
    assert buttons(menu) == LV_MENU


@pytest.mark.usefixtures("bot")
async def test_telegram_language_is_used_until_the_person_chooses(person: PersonFactory) -> None:
    emily = await person("Emily", "en")
    await emily.say("/start")
    greeting, menu = await emily.replies(2)
    assert greeting["text"].startswith("Hello, Emily!")
    assert buttons(menu) == EN_MENU

    hans = await person("Hans", "de")  # a language we do not speak: Latvian
    await hans.say("/start")
    assert (await hans.reply())["text"].startswith("Labdien, Hans!")


@pytest.mark.usefixtures("bot")
async def test_names_are_escaped_in_html(person: PersonFactory) -> None:
    mallory = await person("<b>Mal & lory</b>", "en")
    await mallory.say("/start")
    greeting = await mallory.reply()
    assert greeting["text"].startswith("Hello, <b>Mal & lory</b>!")  # shown literally


async def test_language_choice_switches_and_persists_across_restarts(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    async with polling_bot(settings):
        await wait_until_polling(emu)
        anna = await person("Anna", "lv")
        await anna.say("/language")
        prompt = await anna.reply()
        assert prompt["text"] == "Izvēlieties, kādā valodā ar jums sazināties:"
        assert buttons(prompt) == ["🇱🇻 Latviešu", "🇬🇧 English"]
        since = await emu.last_seq(BOT_ID)
        await anna.press(prompt, "🇬🇧 English")
        menu = await anna.reply()
        assert buttons(menu) == EN_MENU
        answered = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=5)
        assert answered[0]["params"]["text"] == "Language changed."
        edited = await anna.message(prompt["message_id"])
        assert edited["text"] == "Language: 🇬🇧 English"
        assert buttons(edited) == []

    since = await emu.last_seq(BOT_ID)
    async with polling_bot(settings):  # a new process would see the same
        await wait_until_polling(emu, since)
        await anna.say("/help")
        assert (await anna.reply())["text"].startswith("Portal map")


@pytest.mark.usefixtures("bot")
async def test_help_is_the_portal_map_by_command_and_by_button(person: PersonFactory) -> None:
    anna = await person("Anna", "lv")
    await anna.say("/help")
    portal_map = await anna.reply()
    assert portal_map["text"].startswith("Portāla karte")
    assert "/language" in portal_map["text"] and "/cancel" in portal_map["text"]
    assert buttons(portal_map)[-1] == "⬅️ Galvenā izvēlne"  # after the guide, support, log out

    await anna.press(portal_map, "⬅️ Galvenā izvēlne")
    menu = await anna.reply()
    await anna.press(menu, "ℹ️ Palīdzība un portāla karte")
    assert (await anna.reply())["text"] == portal_map["text"]


@pytest.mark.usefixtures("bot")
async def test_cancel_leaves_the_language_dialog(person: PersonFactory) -> None:
    anna = await person("Anna", "lv")
    await anna.say("/cancel")
    nothing, menu = await anna.replies(2)
    assert nothing["text"] == "Nav nekā, ko atcelt."
    await anna.press(menu, "🌐 Valoda")
    await anna.reply()
    await anna.say("angliski lūdzu")  # typed instead of pressing
    nudge = await anna.reply()
    assert nudge["text"].startswith("Lūdzu, izvēlieties valodu")
    assert buttons(nudge) == ["🇱🇻 Latviešu", "🇬🇧 English"]
    await anna.say("/cancel")
    cancelled, menu = await anna.replies(2)
    assert cancelled["text"] == "Atcelts. Nekas netika mainīts."
    await anna.say("angliski lūdzu")  # no longer in the dialog: the general answer
    assert (await anna.reply())["text"].startswith("Es strādāju ar pogām un komandām")


@pytest.mark.usefixtures("bot")
async def test_free_text_unknown_commands_and_files_get_helpful_answers(
    person: PersonFactory, emu: EmulatorClient
) -> None:
    anna = await person("Anna", "lv")
    await anna.say("Sveiki! Kā pieteikties aizdevumam?")
    answer = await anna.reply()
    assert "/help" in answer["text"] and buttons(answer) == LV_MENU
    await anna.say("/aizdevums")
    assert (await anna.reply())["text"].startswith("Šādu komandu es nezinu")
    # A file outside any dialog goes to ALTUM («Kas tas ir?»): first, who is sending it.
    await emu.send_photo(BOT_ID, anna.user_id, b"\xff\xd8\xff" + b"0" * 2000)
    assert (await anna.reply())["text"].startswith("Vispirms pieslēdzieties")


@pytest.mark.usefixtures("bot")
@pytest.mark.parametrize("data", ["m:transfer_money", "lang:ru", "garbage", "m:", "x" * 64])
async def test_forged_and_stale_buttons_get_a_polite_answer_and_change_nothing(
    person: PersonFactory, emu: EmulatorClient, data: str
) -> None:
    anna = await person("Anna", "lv")
    await anna.say("/start")
    _greeting, menu = await anna.replies(2)
    since = await emu.last_seq(BOT_ID)
    await emu.forge_callback(BOT_ID, anna.user_id, menu["message_id"], data)
    answers = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=5)
    assert answers[0]["params"]["text"].startswith("Šī poga vairs nav derīga")
    assert answers[0]["params"]["show_alert"] in (True, "true")
    await anna.say("/help")  # the next reply in Latvian: nothing changed
    assert (await anna.reply())["text"].startswith("Portāla karte")
    made = [call["method"] for call in await emu.calls(BOT_ID, since=since)]
    assert made.count("sendMessage") == 1 and "editMessageText" not in made


@pytest.mark.usefixtures("bot")
async def test_the_command_menu_is_set_in_both_languages(emu: EmulatorClient) -> None:
    commands = await emu.commands(BOT_ID)
    by_language = {entry.get("language_code") or "": entry["commands"] for entry in commands}
    assert [c["command"] for c in by_language[""]] == [
        "start",
        "login",
        "client",
        "register",
        "messages",
        "help",
        "language",
        "notifications",
        "cancel",
        "logout",
    ]
    assert by_language["lv"][6]["description"] == "Mainīt valodu"
    assert by_language["en"][6]["description"] == "Change the language"
    assert by_language[""] == by_language["lv"]  # Latvian is the default
