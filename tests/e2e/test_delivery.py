"""Delivery guarantees through the emulator: duplicates, flood limits, outages, blocked users."""

from __future__ import annotations

import asyncio

import pytest
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    bot_settings,
    outbox_rows,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
)

from emulator import EmulatorClient, EmulatorServer


@pytest.fixture
async def bot(database_url: str, emulator: EmulatorServer, emu: EmulatorClient):  # type: ignore[no-untyped-def]
    async with polling_bot(bot_settings(database_url, emulator.base_url)):
        await wait_until_polling(emu)
        yield


@pytest.mark.usefixtures("bot")
async def test_a_429_is_waited_out_and_the_reply_still_arrives(
    person: PersonFactory, emu: EmulatorClient
) -> None:
    anna = await person()
    await emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=1, count=1)
    since = await emu.last_seq(BOT_ID)
    await anna.say("/help")
    assert (await anna.reply())["text"].startswith("Portāla karte")
    attempts = await emu.calls(BOT_ID, method="sendMessage", since=since)
    assert [call["status"] for call in attempts] == [429, 200]
    assert attempts[1]["time"] - attempts[0]["time"] >= 0.95  # retry_after honoured


@pytest.mark.usefixtures("bot")
async def test_server_errors_and_dropped_connections_are_retried(
    person: PersonFactory, emu: EmulatorClient
) -> None:
    anna = await person()
    await emu.add_fault(BOT_ID, "sendMessage", status=502, count=2)
    await emu.add_fault(BOT_ID, "sendMessage", drop=True, count=1)
    since = await emu.last_seq(BOT_ID)
    await anna.say("/help")
    assert (await anna.reply())["text"].startswith("Portāla karte")
    statuses = [c["status"] for c in await emu.calls(BOT_ID, method="sendMessage", since=since)]
    assert statuses == [502, 502, 0, 200]


@pytest.mark.usefixtures("bot")
async def test_a_user_who_blocked_the_bot_is_not_retried_forever(
    person: PersonFactory, emu: EmulatorClient, database_url: str
) -> None:
    anna, janis = await person("Anna"), await person("Jānis")
    # Anna blocks the bot between writing and the reply.
    await emu.add_fault(
        BOT_ID, "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    await anna.say("/help")
    await wait_until_confirmed(emu)
    await janis.say("/help")
    assert (await janis.reply())["text"].startswith("Portāla karte")  # others unaffected
    await wait_until_confirmed(emu)
    await asyncio.sleep(1.5)  # a sweep or two
    refused = await emu.calls(BOT_ID, method="sendMessage", chat_id=anna.user_id)
    assert [call["status"] for call in refused] == [403]
    failed = [row for row in await outbox_rows(database_url) if row.chat_id == anna.user_id]
    assert len(failed) == 1 and failed[0].failed_at is not None
    assert "blocked" in (failed[0].last_error or "")


async def test_an_update_that_failed_for_the_database_is_not_confirmed_by_a_later_one(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """Anna's update hits a database outage; Jānis's later one succeeds. Anna's must not be
    confirmed with his: it is fetched again and answered."""
    from bot import app as app_module
    from storage.database import DatabaseUnavailable

    failed_once: set[int] = set()
    original_feed = app_module.App.feed

    async def flaky_feed(self: app_module.App, update):  # type: ignore[no-untyped-def]
        if update.message and update.message.text == "/help" and not failed_once:
            failed_once.add(update.update_id)
            raise DatabaseUnavailable("simulated outage")
        return await original_feed(self, update)

    app_module.App.feed = flaky_feed  # type: ignore[method-assign]
    try:
        anna, janis = await person("Anna"), await person("Jānis")
        await anna.say("/help")
        await janis.say("/start")
        async with polling_bot(bot_settings(database_url, emulator.base_url)):
            assert (await janis.reply())["text"].startswith("Labdien, Jānis")
            assert (await anna.reply(timeout=15))["text"].startswith("Portāla karte")
            await wait_until_confirmed(emu)
    finally:
        app_module.App.feed = original_feed  # type: ignore[method-assign]
    assert len(failed_once) == 1
