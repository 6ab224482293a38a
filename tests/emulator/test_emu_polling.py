"""getMe and getUpdates: offsets, long polling, conflicts, allowed_updates."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from emu_support import BOT_ID, TOKEN, make_bot

from emulator import EmulatorClient, EmulatorServer

pytestmark = pytest.mark.asyncio


async def test_get_me_reports_the_bot_from_the_token(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == "altum_test_bot"


async def test_configured_username_shows_in_get_me(emu: EmulatorClient, bot: Bot) -> None:
    await emu.configure_bot(BOT_ID, username="altum_demo_bot", first_name="ALTUM")
    me = await bot.get_me()
    assert (me.username, me.first_name) == ("altum_demo_bot", "ALTUM")


async def test_second_bot_gets_its_own_world(server: EmulatorServer, emu: EmulatorClient) -> None:
    other = make_bot(server.base_url, "555:BBF-another-emulator-token_0123456789abc")
    try:
        await emu.create_user(BOT_ID, "Only in the first world", started=True)
        me = await other.get_me()  # the first bot seen got the default username
        assert me.username == "bot555_bot"
        assert await emu.users(555) == []
        assert {b["bot_id"] for b in await emu.bots()} >= {555, BOT_ID}
    finally:
        await other.session.close()


async def test_update_ids_start_at_a_random_base_and_increase(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    first = await emu.send_text(BOT_ID, user["id"], "one")
    second = await emu.send_text(BOT_ID, user["id"], "two")
    assert 100_000 <= first["update_id"] <= 900_000
    assert second["update_id"] == first["update_id"] + 1
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]


async def test_offset_confirms_and_drops_older_updates(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = [await emu.send_text(BOT_ID, user["id"], f"m{i}") for i in range(3)]
    assert len(await bot.get_updates()) == 3
    assert len(await bot.get_updates()) == 3  # nothing confirmed yet: served again
    rest = await bot.get_updates(offset=sent[1]["update_id"])
    assert [u.message.text for u in rest if u.message] == ["m1", "m2"]
    assert len(await bot.get_updates()) == 2  # m0 is gone for good
    assert await bot.get_updates(offset=sent[2]["update_id"] + 1) == []
    assert await emu.pending_updates(BOT_ID) == []


async def test_negative_offset_keeps_only_the_newest(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    for i in range(4):
        await emu.send_text(BOT_ID, user["id"], f"m{i}")
    newest = await bot.get_updates(offset=-1)
    assert [u.message.text for u in newest if u.message] == ["m3"]
    assert len(await bot.get_updates()) == 1


async def test_limit_is_clamped_like_telegram(
    server: EmulatorServer, emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    for i in range(3):
        await emu.send_text(BOT_ID, user["id"], f"m{i}")
    assert len(await bot.get_updates(limit=2)) == 2
    # aiogram never sends limit=0; a JSON body may, and Telegram clamps it to 1.
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}/bot{TOKEN}/getUpdates"
        async with http.post(url, json={"limit": 0}) as response:
            answer = await response.json()
    assert answer["ok"] and len(answer["result"]) == 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    await emu.send_text(BOT_ID, user["id"], "hello")
    updates = await poll
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert time.monotonic() - started < 3


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


async def test_second_poller_terminates_the_first(bot: Bot, server: EmulatorServer) -> None:
    twin = make_bot(server.base_url)
    try:
        first = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(twin.get_updates(timeout=1))
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await first
        assert await second == []
    finally:
        await twin.session.close()


async def test_user_text_gets_bot_command_entities(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.send_text(BOT_ID, user["id"], "/start@altum_test_bot ref_42")
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None and message.from_user is not None
    assert message.chat.id == user["id"] and message.chat.type == "private"
    assert message.from_user.first_name == "Anna" and message.from_user.language_code == "lv"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [
        ("bot_command", 0, 21)
    ]


async def test_allowed_updates_filter_what_is_queued(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    assert await bot.get_updates(allowed_updates=["message", "callback_query"]) == []
    await emu.block(BOT_ID, user["id"])  # my_chat_member: not wanted now
    sent = await emu.send_text(BOT_ID, user["id"], "back again")  # unblocks: my_chat_member too
    kinds = [u.event_type for u in await bot.get_updates()]
    assert kinds == ["message"]
    assert sent["queued"]


async def test_blocking_sends_my_chat_member_by_default(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.block(BOT_ID, user["id"])
    (update,) = await bot.get_updates()
    change = update.my_chat_member
    assert change is not None
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "kicked")


async def test_reset_gives_a_fresh_world(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.send_text(BOT_ID, user["id"], "hi")
    await emu.reset(BOT_ID)
    assert await emu.users(BOT_ID) == []
    assert await bot.get_updates() == []
    assert (await bot.get_me()).id == BOT_ID  # the same token is still accepted
