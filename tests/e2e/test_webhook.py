"""Webhook serving: the deploy step, the secret header, duplicates, database outages."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    browser,
    demo_login,
    outbox_rows,
    wait_until_confirmed,
    webhook_bot,
    webhook_settings,
)

from bot.runtime import set_webhook
from bot.settings import Settings
from emulator import EmulatorClient, EmulatorServer


@pytest.fixture
def settings(database_url: str, emulator: EmulatorServer) -> Settings:
    return webhook_settings(database_url, emulator.base_url)


@pytest.fixture
async def bot(settings: Settings, emu: EmulatorClient):  # type: ignore[no-untyped-def]
    async with webhook_bot(settings):
        print(await set_webhook(settings))
        yield


@pytest.mark.usefixtures("bot")
async def test_updates_arrive_by_webhook_with_the_secret(
    person: PersonFactory, emu: EmulatorClient, settings: Settings
) -> None:
    info = await emu.webhook_info(BOT_ID)
    assert info["url"] == settings.webhook_url
    anna = await person()
    await anna.say("/start")
    greeting, _menu = await anna.replies(2)
    assert greeting["text"].startswith("Labdien, Anna!")

    # The same server carries the login pages: log in through the webhook-served bot.
    launch = await anna.login_app()
    assert launch["url"].startswith(settings.public_url + "/link/")
    async with browser() as http:
        status, page = await demo_login(http, launch["launch_url"], "anna")
    assert status == 200 and "Anna Bērziņa" in page
    assert "Anna Bērziņa" in (await anna.reply())["text"]


@pytest.mark.usefixtures("bot")
async def test_requests_without_the_right_secret_are_refused(settings: Settings) -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Eve"},
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(settings.webhook_url, json=update, headers=headers) as response:
                assert response.status == 401
        headers = {"X-Telegram-Bot-Api-Secret-Token": settings.webhook_secret.get_secret_value()}
        async with http.post(settings.webhook_url, data=b"{nope", headers=headers) as response:
            assert response.status == 400
        async with http.get(settings.public_url + "/healthz") as response:
            assert response.status == 200


@pytest.mark.usefixtures("bot")
async def test_a_redelivered_update_has_one_effect(
    person: PersonFactory, emu: EmulatorClient, database_url: str
) -> None:
    anna = await person()
    sent = await anna.say("/start")
    await anna.replies(2)
    await wait_until_confirmed(emu)
    since = await emu.last_seq(BOT_ID)

    await emu.redeliver(BOT_ID, sent["update_id"])
    await emu.redeliver(BOT_ID, sent["update_id"])
    await wait_until_confirmed(emu)  # both copies were answered 200
    await anna.say("/help")
    await anna.reply()

    made = await emu.calls(BOT_ID, method="sendMessage", since=since)
    assert [call["params"]["text"][:16] for call in made] == ["<b>Portāla karte"]
    assert len(await outbox_rows(database_url)) == 3  # greeting, menu, portal map


async def test_set_webhook_keeps_pending_updates(
    settings: Settings, emu: EmulatorClient, person: PersonFactory
) -> None:
    anna = await person()
    await anna.say("/help")  # arrives while nobody is serving
    assert len(await emu.pending_updates(BOT_ID)) == 1
    await set_webhook(settings)
    assert (await emu.webhook_info(BOT_ID))["pending_update_count"] == 1
    async with webhook_bot(settings):
        assert (await anna.reply())["text"].startswith("Portāla karte")
    await asyncio.sleep(0)
