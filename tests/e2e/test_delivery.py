"""Delivery guarantees through the emulator: duplicates, flood limits, outages, blocked users."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram import F, Router
from aiogram.types import Message
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    bot_settings,
    outbox_rows,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
)

from dialogs.outgoing import Outgoing
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


async def test_an_answer_fetched_before_an_update_finished_does_not_hand_it_over_again(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polling fetches again while an update is in flight; if that answer comes back after
    the update finished (and was confirmed), it still carries the update: not handled again."""
    slow = Router(name="slow")

    @slow.message(F.text == "slow")
    async def take_time(message: Message, outgoing: Outgoing) -> None:
        await asyncio.sleep(0.2)
        outgoing.send("done")

    anna = await person()
    caplog.set_level(logging.INFO, logger="bot")
    async with polling_bot(bot_settings(database_url, emulator.base_url), extra_routers=(slow,)):
        await wait_until_polling(emu)
        await anna.say("slow")
        await anna.reply()
        await wait_until_confirmed(emu)
        await asyncio.sleep(0.1)
        # The poll already waiting is not delayed; the next one, sent mid-update, is.
        await emu.add_fault(BOT_ID, "getUpdates", latency_ms=600, count=1)
        await anna.say("slow")
        assert (await anna.reply())["text"] == "done"
        await asyncio.sleep(1.0)  # until the delayed answer is in, and handled
        answered = (await emu.calls(BOT_ID, method="sendMessage"))[-1]
        late = [
            call
            for call in await emu.calls(BOT_ID, method="getUpdates")
            if call["time"] > answered["time"]
            and any(item["message"]["text"] == "slow" for item in call["result"] or [])
        ]
    assert late  # an answer that came after the reply did carry the finished update
    assert not [r for r in caplog.records if "duplicate update" in r.getMessage()]
    assert [m["text"] for m in await emu.messages(BOT_ID, anna.user_id) if m["from"]["is_bot"]] == [
        "done",
        "done",
    ]
