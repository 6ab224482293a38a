"""Walking a person through login and registration, shared by the registration and demo tests."""

from __future__ import annotations

from email.message import EmailMessage

import aiohttp
from e2e_support import Person, bot_settings, buttons, demo_login
from smtp_support import SmtpCapture, links_in

from bot.ops.demo import DEMO_DATA as SAMPLE  # the Company Register samples
from bot.ops.ur_import import run_import
from bot.settings import Settings, SmtpSettings
from emulator import EmulatorClient


async def log_in(someone: Person, http: aiohttp.ClientSession, demo_person: str) -> None:
    status, _ = await demo_login(http, (await someone.login_app())["launch_url"], demo_person)
    assert status == 200
    await someone.replies(2)  # "linked as …", then the clients to choose from


async def register_ozolkalna(someone: Person, emu: EmulatorClient) -> None:
    await someone.say("/register")
    assert "Who is the new client?" in (await someone.reply())["text"]
    await someone.press_newest("🏢 A legal entity (company)")
    assert "registration number" in (await someone.reply())["text"]
    await someone.say("40103999941")
    assert "not a valid registration number" in (await someone.reply())["text"]
    await someone.say("40103999940")
    assert buttons(await someone.reply()) == ["Importēt no UR"]
    await someone.press_newest("Importēt no UR")
    company = await someone.reply()
    assert 'SIA "Ozolkalna Koks"' in company["text"]
    assert "Cēsis, Rīgas iela 10" in company["text"]
    assert "signs alone" in company["text"]
    await someone.press_newest("Continue")
    assert "e-mail" in (await someone.reply())["text"]
    await someone.say("anna@")
    assert "does not look like an e-mail" in (await someone.reply())["text"]
    await someone.say("Anna@Ozolkalns.LV")
    assert "phone" in (await someone.reply())["text"]
    await someone.say("12")
    assert "does not look like a phone" in (await someone.reply())["text"]
    await someone.say("+371 2000 0000")
    assert "voice password" in (await someone.reply())["text"]
    weak = await someone.say("12345678")
    assert "too weak" in (await someone.reply())["text"]
    strong = await someone.say("Ozols mežā 2024")
    assert "once more" in (await someone.reply())["text"]
    repeated = await someone.say("Ozols mežā 2024")
    terms = await someone.reply()
    assert "Terms of use" in terms["text"]
    deleted = await emu.calls(someone.bot_id, method="deleteMessage", chat_id=someone.user_id)
    assert {c["params"]["message_id"] for c in deleted} >= {
        weak["message_id"],
        strong["message_id"],
        repeated["message_id"],
    }
    await someone.press_newest("I agree")
    summary = await someone.reply()
    assert "Anna@ozolkalns.lv" in summary["text"] and "+37120000000" in summary["text"]
    assert "Ozols" not in summary["text"].split("Voice password")[1]
    await someone.press_newest("Reģistrēties")
    done = await someone.reply()
    assert "Pabeidziet reģistrāciju apmeklējot e-pastā nosūtīto saiti!" in done["text"]


async def load_register(database_url: str) -> None:
    """The sample Company Register, whose companies the walks register."""
    await run_import(database_url, SAMPLE / "register.csv", SAMPLE / "officers.csv")


def settings_with_mail(database_url: str, api_url: str, smtp: SmtpCapture) -> Settings:
    return bot_settings(
        database_url,
        api_url,
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, SMTP_FROM="ALTUM <bot@altum.test>"),
    )


def confirmation_link(mail: EmailMessage) -> str:
    """The one confirmation link in a registration e-mail."""
    (link,) = [url for url in links_in(mail) if "/confirm/" in url]
    return link


async def register_company(someone: Person, number: str, email: str) -> None:
    """The shortest walk through registering a company the person signs for."""
    await someone.say("/register")
    await someone.reply()
    await someone.press_newest("🏢 A legal entity (company)")
    await someone.reply()
    await someone.say(number)
    await someone.reply()
    await someone.press_newest("Importēt no UR")
    checked = await someone.reply()
    assert "Matched by your name" in checked["text"], checked["text"]
    await someone.press_newest("Continue")
    await someone.reply()
    await someone.say(email)
    await someone.reply()
    await someone.say("+371 2000 0000")
    await someone.reply()
    for _ in range(2):
        await someone.say("Ozols mežā 2024")
        await someone.reply()
    await someone.press_newest("I agree")
    await someone.reply()
    await someone.press_newest("Reģistrēties")
    assert "Pabeidziet reģistrāciju" in (await someone.reply())["text"]
