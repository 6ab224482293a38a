"""Updates keep their JSON once queued: re-serving them answers byte for byte as before.

"Before" is the plain way the emulator used to answer getUpdates and still answers every
other method: json.dumps({"ok": true, "result": [update.to_api(), …]}), written afresh.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from emu_support import BOT_ID, TOKEN

from emulator import EmulatorClient, EmulatorServer
from emulator.botapi import Answer
from emulator.models import Encoded
from emulator.state import BotWorld

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Latviešu", callback_data="lang:lv")],
        [InlineKeyboardButton(text="English 🇬🇧", callback_data="lang:en")],
    ]
)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def world_of(server: EmulatorServer) -> BotWorld:
    return server.world.bot(BOT_ID)


def written_afresh(world: BotWorld, offset: int = 0, limit: int = 100) -> bytes:
    """The getUpdates answer as the emulator wrote it before updates kept their JSON."""
    pending = world.pending
    if offset > 0:
        pending = [u for u in pending if u.update_id >= offset]
    return json.dumps({"ok": True, "result": [u.to_api() for u in pending[:limit]]}).encode()


async def raw_call(
    http: aiohttp.ClientSession, server: EmulatorServer, method: str, **body: Any
) -> tuple[bytes, str]:
    """The raw HTTP body and Content-Type of a Bot API answer."""
    async with http.post(f"{server.base_url}/bot{TOKEN}/{method}", json=body) as response:
        assert response.status == 200
        return await response.read(), response.headers["Content-Type"]


async def queue_all_kinds(emu: EmulatorClient, bot: Bot, user: dict[str, Any]) -> None:
    """Texts (with entities, non-ASCII, a reply), a document, button presses, a block."""
    greeting = await bot.send_message(
        user["id"], "<b>Sveiki</b>, ūdens! 👋 Choose:", parse_mode="HTML", reply_markup=KEYBOARD
    )
    report = await bot.send_document(
        user["id"],
        BufferedInputFile(b"a,b\n1,2\n", filename="atskaite.csv"),
        caption="Atskaite <i>šodien</i>",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    await emu.send_text(BOT_ID, user["id"], "/start@altum_test_bot ref_42 — «ok»")
    await emu.send_text(BOT_ID, user["id"], "atbilde 🙂", reply_to_message_id=greeting.message_id)
    await emu.send_document(BOT_ID, user["id"], b"%PDF-1.4", "rēķins.pdf", caption="Mans rēķins")
    await emu.press(BOT_ID, user["id"], greeting.message_id, text="English 🇬🇧")
    await emu.press(BOT_ID, user["id"], report.message_id, data="lang:lv")
    await emu.forge_callback(BOT_ID, user["id"], 999, "stale")
    await emu.block(BOT_ID, user["id"])
    await emu.send_text(BOT_ID, user["id"], "back")  # unblocks: another my_chat_member


@pytest.mark.parametrize(
    "payload",
    [
        {"ok": True, "result": []},
        {"ok": True, "result": [{"update_id": 1, "message": {"text": 'ūdens 👋 "q" \\'}}]},
        {"ok": True, "result": True, "description": "Webhook was set"},
        {"ok": True, "result": {"a": None, "b": 1.5, "c": [1, "x", False]}, "description": "ā"},
        {"ok": True, "result": "plain"},
    ],
)
def test_spliced_answer_is_what_json_dumps_writes(payload: dict[str, Any]) -> None:
    result = payload["result"]
    if isinstance(result, list):
        encoded = Encoded.array(Encoded.of(item) for item in result)
    else:
        encoded = Encoded.of(result)
    assert encoded.value == result
    assert encoded.text == json.dumps(result).encode()
    spliced = Answer(200, payload, encoded.text)
    assert spliced.body() == Answer(200, payload).body() == json.dumps(payload).encode()


async def test_an_update_served_many_times_is_the_same_json(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    await queue_all_kinds(emu, bot, user)
    world = world_of(server)
    kinds = {u.kind for u in world.pending}
    assert kinds == {"message", "callback_query", "my_chat_member"}
    expected = written_afresh(world)
    _, json_type = await raw_call(http, server, "getMe")
    for _ in range(30):  # the bot confirms nothing, so every answer serves them all again
        body, content_type = await raw_call(http, server, "getUpdates")
        assert body == expected
        assert content_type == json_type == "application/json; charset=utf-8"
    assert len(json.loads(expected)["result"]) == len(world.pending) == 9


async def test_edits_after_queueing_leave_queued_updates_as_they_were(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    """Queued updates share objects with messages; edits must replace them, not change them."""
    greeting = await bot.send_message(user["id"], "Choose:", reply_markup=KEYBOARD)
    report = await bot.send_document(
        user["id"], BufferedInputFile(b"x", "x.txt"), caption="v1", reply_markup=KEYBOARD
    )
    await emu.press(BOT_ID, user["id"], greeting.message_id, text="Latviešu")
    await emu.press(BOT_ID, user["id"], report.message_id, text="Latviešu")
    first, _ = await raw_call(http, server, "getUpdates")
    shown = [u["callback_query"]["message"] for u in json.loads(first)["result"]]
    assert [m.get("text") or m.get("caption") for m in shown] == ["Choose:", "v1"]

    await bot.edit_message_text(
        "Izvēlies:", chat_id=user["id"], message_id=greeting.message_id, parse_mode="HTML"
    )
    await bot.edit_message_caption(
        chat_id=user["id"], message_id=report.message_id, caption="<b>v2</b>", parse_mode="HTML"
    )
    await bot.edit_message_reply_markup(
        chat_id=user["id"], message_id=report.message_id, reply_markup=KEYBOARD
    )
    await bot.delete_message(user["id"], greeting.message_id)
    again, _ = await raw_call(http, server, "getUpdates")
    assert again == first == written_afresh(world_of(server))


async def test_limit_and_offsets_slice_as_before(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    await queue_all_kinds(emu, bot, user)
    world = world_of(server)
    ids = [u.update_id for u in world.pending]
    await raw_call(http, server, "getUpdates")  # every update now has its JSON made

    body, _ = await raw_call(http, server, "getUpdates", limit=2)
    assert body == written_afresh(world, limit=2)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[:2]

    body, _ = await raw_call(http, server, "getUpdates", offset=ids[3], limit=3)
    assert body == written_afresh(world, offset=ids[3], limit=3)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[3:6]

    body, _ = await raw_call(http, server, "getUpdates", offset=-2)
    assert body == written_afresh(world)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[-2:]

    body, _ = await raw_call(http, server, "getUpdates", offset=ids[-1] + 1)
    assert body == b'{"ok": true, "result": []}'


async def test_allowed_updates_still_filter_what_is_served(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    body, _ = await raw_call(http, server, "getUpdates", allowed_updates=["callback_query"])
    assert body == b'{"ok": true, "result": []}'
    await queue_all_kinds(emu, bot, user)
    body, _ = await raw_call(http, server, "getUpdates")
    served = json.loads(body)["result"]
    assert [next(k for k in u if k != "update_id") for u in served] == ["callback_query"] * 3
    assert body == written_afresh(world_of(server))

    await raw_call(http, server, "getUpdates", allowed_updates=[])  # back to the default
    await emu.send_text(BOT_ID, user["id"], "now wanted")
    body, _ = await raw_call(http, server, "getUpdates")
    assert json.loads(body)["result"][-1]["message"]["text"] == "now wanted"
    assert body == written_afresh(world_of(server))


async def test_a_redelivered_update_is_the_same_json(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    greeting = await bot.send_message(user["id"], "Choose:", reply_markup=KEYBOARD)
    pressed = await emu.press(BOT_ID, user["id"], greeting.message_id, text="Latviešu")
    first, _ = await raw_call(http, server, "getUpdates")
    confirmed, _ = await raw_call(http, server, "getUpdates", offset=pressed["update_id"] + 1)
    assert confirmed == b'{"ok": true, "result": []}'
    await bot.edit_message_text("Changed", chat_id=user["id"], message_id=greeting.message_id)
    await emu.redeliver(BOT_ID, pressed["update_id"])
    again, _ = await raw_call(http, server, "getUpdates")
    assert again == first == written_afresh(world_of(server))


async def test_calls_log_keeps_the_served_result(
    server: EmulatorServer,
    http: aiohttp.ClientSession,
    emu: EmulatorClient,
    bot: Bot,
    user: dict[str, Any],
) -> None:
    await queue_all_kinds(emu, bot, user)
    body, _ = await raw_call(http, server, "getUpdates", limit=4)
    (call,) = await emu.calls(BOT_ID, method="getUpdates")
    assert call["ok"] and call["status"] == 200
    assert call["result"] == json.loads(body)["result"]
    assert call["params"] == {"limit": 4}
    everything, _ = await raw_call(http, server, "getUpdates")
    assert await emu.pending_updates(BOT_ID) == json.loads(everything)["result"]
