"""The real `altum-bot run` process logging JSON lines: after a login and a registration whose
e-mail the SMTP server refuses, no line (message or structured field) carries the recipient's
address, a personal code, the bot token or a one-time link's token."""

from __future__ import annotations

import asyncio
import json

from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    TOKEN,
    BotProcess,
    bot_settings,
    browser,
    outbox_rows,
    wait_until_polling,
)
from registration_walk import log_in, register_ozolkalna
from smtp_support import SmtpCapture

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import SmtpSettings
from emulator import EmulatorClient, EmulatorServer

RECIPIENT = "Anna@ozolkalns.lv"  # what register_ozolkalna types, as the bot stores it


async def until_refused(database_url: str) -> None:
    for _ in range(300):
        if any(row.kind == "email" and row.failed_at for row in await outbox_rows(database_url)):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the e-mail was not refused")


async def test_json_logs_keep_personal_data_and_secrets_out_of_every_field(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        smtp.reject(RECIPIENT)
        settings = bot_settings(
            database_url,
            emulator.base_url,
            log_json=True,
            smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, SMTP_FROM="ALTUM <bot@altum.lv>"),
        )
        process = BotProcess(settings)
        try:
            since = await emu.last_seq(BOT_ID)
            process.start()
            await wait_until_polling(emu, since)
            async with browser() as http:
                await log_in(anna, http, "anna")
            await register_ozolkalna(anna, emu)
            await until_refused(database_url)
            exit_code = await asyncio.to_thread(process.terminate)
            output = process.output()
        finally:
            process.stop_quietly()
    assert exit_code == 0, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line["message"] == "outbox: e-mail refused"]
    assert refused, output
    # The SMTP server's answer named the recipient; the field keeps the rest of it.
    assert "550" in refused[0]["error"] and "<e-mail>" in refused[0]["error"]
    secrets = [RECIPIENT, RECIPIENT.lower(), "120584", TOKEN, TOKEN.split(":")[1]]
    secrets += await login_tokens(emu, anna.user_id)
    for secret in secrets:
        assert secret not in output, secret


async def login_tokens(emu: EmulatorClient, user_id: int) -> list[str]:
    """The one-time tokens of the login links (Mini App buttons) the bot sent this person."""
    tokens = []
    for message in await emu.messages(BOT_ID, user_id):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            urls = [b.get("web_app", {}).get("url", "") for b in row]
            tokens += [url.rsplit("/", 1)[1] for url in urls if "/link/" in url]
    assert tokens
    return tokens
