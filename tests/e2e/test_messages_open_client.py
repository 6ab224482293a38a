"""«Atvērt» on a notice of another client than the one the chat acts for: the chat acts for
that client from then on, and says so, in the person's language, as /client says it; a notice
of the client already chosen opens its thread without a word about clients."""

from __future__ import annotations

from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, buttons
from messages_support import ANNA_CODE, acts_for, open_client

from emulator import EmulatorServer

JANIS_CODE = "030379-15671"  # the demo provider's Jānis Kalniņš


async def menu_text(someone: Person) -> str:
    await someone.say("/start")
    while "Main menu" not in (text := str((await someone.reply())["text"])):
        pass
    return text


async def test_open_on_another_clients_notice_says_the_client_changed(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    janis = await person("Jānis", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        own = await open_client(database_url, api)
        other = await open_client(database_url, api, "40103888880")
        await acts_for(anna, api, http, own)
        async with browser() as http_janis:
            await acts_for(janis, api, http_janis, own, demo="janis", code=JANIS_CODE)
        for someone, code in ((anna, ANNA_CODE), (janis, JANIS_CODE)):
            granted = await api.post(
                f"/clients/{other}/users", {"personal_code": code, "role": "additional"}
            )
            assert granted.status == 201, granted.body
            await someone.reply()  # ALTUM made you an additional user of …
        own_name = (await api.get(f"/clients/{own}")).body["name"]
        other_name = (await api.get(f"/clients/{other}")).body["name"]

        # A message of the client the chats act for: «Atvērt» opens it, nothing else is said.
        await api.post(f"/clients/{own}/messages", {"subject": "Gada pārskats", "body": "Labi."})
        pushed = await anna.reply()
        await janis.reply()
        await anna.press(pushed, "📖 Open")
        thread = await anna.reply()
        assert "Labi." in thread["text"] and "act for" not in thread["text"]

        # One of the other client: each chat now acts for it, and says so before the thread,
        # in its own language.
        await api.post(f"/clients/{other}/messages", {"subject": "Līgums", "body": "Paraksts."})
        pushed = await anna.reply()
        assert buttons(pushed)[0] == "📖 Open"
        await anna.press(pushed, "📖 Open")
        told = await anna.reply()
        assert f"You now act for {other_name} (additional user" in told["text"]
        assert "Paraksts." in (await anna.reply())["text"]
        menu = await menu_text(anna)
        assert other_name in menu and own_name not in menu

        pushed = await janis.reply()
        assert buttons(pushed)[0] == "📖 Atvērt"
        await janis.press(pushed, "📖 Atvērt")
        told = await janis.reply()
        assert f"Tagad jūs darbojaties klienta {other_name} vārdā (papildu" in told["text"]
        assert "Paraksts." in (await janis.reply())["text"]

        # Opening it again, already acting for that client: nothing said about clients.
        await janis.press(pushed, "📖 Atvērt")
        assert "Paraksts." in (await janis.reply())["text"]
