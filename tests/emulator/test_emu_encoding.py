"""Updates are the JSON Telegram's Bot API documents, and keep it once queued.

The first test compares what getUpdates serves with JSON written out by hand from the Bot
API's documentation (https://core.telegram.org/bots/api: Update, Message, User, Chat,
MessageEntity, CallbackQuery, Document, ChatMemberUpdated). The others check that re-serving
answers byte for byte as "before": the plain way the emulator used to answer getUpdates and
still answers every other method, json.dumps({"ok": true, "result": [update.to_api(), …]}).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
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


@dataclass
class Scene:
    """The emulator, a raw HTTP session to it, its control client, a bot and a user."""

    server: EmulatorServer
    http: aiohttp.ClientSession
    emu: EmulatorClient
    bot: Bot
    user_id: int

    @property
    def world(self) -> BotWorld:
        return self.server.world.bot(BOT_ID)

    async def get(self, method: str, **body: Any) -> tuple[bytes, str]:
        """The raw HTTP body and Content-Type of a Bot API answer."""
        url = f"{self.server.base_url}/bot{TOKEN}/{method}"
        async with self.http.post(url, json=body) as response:
            assert response.status == 200
            return await response.read(), response.headers["Content-Type"]


@pytest_asyncio.fixture
async def scene(
    server: EmulatorServer, emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> AsyncIterator[Scene]:
    async with aiohttp.ClientSession() as http:
        yield Scene(server, http, emu, bot, user["id"])


class AnyText:
    """Any non-empty string: identifiers Telegram makes up (file ids, callback query ids)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other != ""

    def __repr__(self) -> str:
        return "<any text>"


class UnixTime:
    """An integer Unix time within the test's run."""

    def __init__(self, earliest: int, latest: int) -> None:
        self.earliest, self.latest = earliest, latest

    def __eq__(self, other: object) -> bool:
        return type(other) is int and self.earliest <= other <= self.latest

    def __repr__(self) -> str:
        return f"<Unix time {self.earliest}..{self.latest}>"


async def test_updates_are_the_json_the_bot_api_documents(scene: Scene) -> None:
    """Field names, nesting, types and which optional fields appear, written out by hand.
    Entity offsets and lengths count UTF-16 code units: 👋 is two of them."""
    emu, user_id = scene.emu, scene.user_id
    started = int(time.time())
    button = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="English 🇬🇧", callback_data="lang:en")]]
    )
    greeting = await scene.bot.send_message(
        user_id, "👋 <b>Sveiki</b>, ūdens!", parse_mode="HTML", reply_markup=button
    )
    said = await emu.send_text(BOT_ID, user_id, "👋 /start@altum_test_bot ref_42")
    pressed = await emu.press(BOT_ID, user_id, greeting.message_id, text="English 🇬🇧")
    uploaded = await emu.send_document(
        BOT_ID, user_id, b"%PDF-1.4", "rēķins.pdf", caption="Mans rēķins"
    )
    blocked = await emu.block(BOT_ID, user_id)
    date = UnixTime(started, int(time.time()) + 1)
    body, _ = await scene.get("getUpdates")

    assert json.loads(body) == {
        "ok": True,
        "result": [
            {
                "update_id": said["update_id"],
                "message": {
                    "message_id": said["message_id"],
                    "from": {
                        "id": user_id,
                        "is_bot": False,
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                        "language_code": "lv",
                    },
                    "chat": {
                        "id": user_id,
                        "type": "private",
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                    },
                    "date": date,
                    "text": "👋 /start@altum_test_bot ref_42",
                    "entities": [{"type": "bot_command", "offset": 3, "length": 21}],
                },
            },
            {
                "update_id": pressed["update_id"],
                "callback_query": {
                    "id": pressed["callback_query_id"],
                    "from": {
                        "id": user_id,
                        "is_bot": False,
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                        "language_code": "lv",
                    },
                    "message": {
                        "message_id": greeting.message_id,
                        "from": {
                            "id": BOT_ID,
                            "is_bot": True,
                            "first_name": "ALTUM Test Bot",
                            "username": "altum_test_bot",
                        },
                        "chat": {
                            "id": user_id,
                            "type": "private",
                            "first_name": "Anna",
                            "last_name": "Bērziņa",
                        },
                        "date": date,
                        "text": "👋 Sveiki, ūdens!",
                        "entities": [{"type": "bold", "offset": 3, "length": 6}],
                        "reply_markup": {
                            "inline_keyboard": [
                                [{"text": "English 🇬🇧", "callback_data": "lang:en"}]
                            ]
                        },
                    },
                    "chat_instance": AnyText(),
                    "data": "lang:en",
                },
            },
            {
                "update_id": uploaded["update_id"],
                "message": {
                    "message_id": uploaded["message_id"],
                    "from": {
                        "id": user_id,
                        "is_bot": False,
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                        "language_code": "lv",
                    },
                    "chat": {
                        "id": user_id,
                        "type": "private",
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                    },
                    "date": date,
                    "document": {
                        "file_id": uploaded["file_id"],
                        "file_unique_id": AnyText(),
                        "file_name": "rēķins.pdf",
                        "mime_type": "application/pdf",
                        "file_size": 8,
                    },
                    "caption": "Mans rēķins",
                },
            },
            {
                "update_id": blocked["update_id"],
                "my_chat_member": {
                    "chat": {
                        "id": user_id,
                        "type": "private",
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                    },
                    "from": {
                        "id": user_id,
                        "is_bot": False,
                        "first_name": "Anna",
                        "last_name": "Bērziņa",
                        "language_code": "lv",
                    },
                    "date": date,
                    "old_chat_member": {
                        "status": "member",
                        "user": {
                            "id": BOT_ID,
                            "is_bot": True,
                            "first_name": "ALTUM Test Bot",
                            "username": "altum_test_bot",
                        },
                    },
                    "new_chat_member": {
                        "status": "kicked",
                        "user": {
                            "id": BOT_ID,
                            "is_bot": True,
                            "first_name": "ALTUM Test Bot",
                            "username": "altum_test_bot",
                        },
                        "until_date": 0,  # banned for good: the person blocked the bot
                    },
                },
            },
        ],
    }


def written_afresh(world: BotWorld, offset: int = 0, limit: int = 100) -> bytes:
    """The getUpdates answer as the emulator wrote it before updates kept their JSON."""
    pending = world.pending
    if offset > 0:
        pending = [u for u in pending if u.update_id >= offset]
    return json.dumps({"ok": True, "result": [u.to_api() for u in pending[:limit]]}).encode()


async def queue_all_kinds(scene: Scene) -> None:
    """Texts (with entities, non-ASCII, a reply), a document, button presses, a block."""
    emu, bot, user_id = scene.emu, scene.bot, scene.user_id
    greeting = await bot.send_message(
        user_id, "<b>Sveiki</b>, ūdens! 👋 Choose:", parse_mode="HTML", reply_markup=KEYBOARD
    )
    report = await bot.send_document(
        user_id,
        BufferedInputFile(b"a,b\n1,2\n", filename="atskaite.csv"),
        caption="Atskaite <i>šodien</i>",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    await emu.send_text(BOT_ID, user_id, "/start@altum_test_bot ref_42 — «ok»")
    await emu.send_text(BOT_ID, user_id, "atbilde 🙂", reply_to_message_id=greeting.message_id)
    await emu.send_document(BOT_ID, user_id, b"%PDF-1.4", "rēķins.pdf", caption="Mans rēķins")
    await emu.press(BOT_ID, user_id, greeting.message_id, text="English 🇬🇧")
    await emu.press(BOT_ID, user_id, report.message_id, data="lang:lv")
    await emu.forge_callback(BOT_ID, user_id, 999, "stale")
    await emu.block(BOT_ID, user_id)
    await emu.send_text(BOT_ID, user_id, "back")  # unblocks: another my_chat_member


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


async def test_an_update_served_many_times_is_the_same_json(scene: Scene) -> None:
    await queue_all_kinds(scene)
    world = scene.world
    kinds = {u.kind for u in world.pending}
    assert kinds == {"message", "callback_query", "my_chat_member"}
    expected = written_afresh(world)
    _, json_type = await scene.get("getMe")
    for _ in range(30):  # the bot confirms nothing, so every answer serves them all again
        body, content_type = await scene.get("getUpdates")
        assert body == expected
        assert content_type == json_type == "application/json; charset=utf-8"
    assert len(json.loads(expected)["result"]) == len(world.pending) == 9


async def test_edits_after_queueing_leave_queued_updates_as_they_were(scene: Scene) -> None:
    """Queued updates share objects with messages; edits must replace them, not change them."""
    greeting = await scene.bot.send_message(scene.user_id, "Choose:", reply_markup=KEYBOARD)
    report = await scene.bot.send_document(
        scene.user_id, BufferedInputFile(b"x", "x.txt"), caption="v1", reply_markup=KEYBOARD
    )
    await scene.emu.press(BOT_ID, scene.user_id, greeting.message_id, text="Latviešu")
    await scene.emu.press(BOT_ID, scene.user_id, report.message_id, text="Latviešu")
    first, _ = await scene.get("getUpdates")
    shown = [u["callback_query"]["message"] for u in json.loads(first)["result"]]
    assert [m.get("text") or m.get("caption") for m in shown] == ["Choose:", "v1"]

    await scene.bot.edit_message_text(
        "Izvēlies:", chat_id=scene.user_id, message_id=greeting.message_id, parse_mode="HTML"
    )
    await scene.bot.edit_message_caption(
        chat_id=scene.user_id, message_id=report.message_id, caption="<b>v2</b>", parse_mode="HTML"
    )
    await scene.bot.edit_message_reply_markup(
        chat_id=scene.user_id, message_id=report.message_id, reply_markup=KEYBOARD
    )
    await scene.bot.delete_message(scene.user_id, greeting.message_id)
    again, _ = await scene.get("getUpdates")
    assert again == first == written_afresh(scene.world)


async def test_limit_and_offsets_slice_as_before(scene: Scene) -> None:
    await queue_all_kinds(scene)
    world = scene.world
    ids = [u.update_id for u in world.pending]
    await scene.get("getUpdates")  # every update now has its JSON made

    body, _ = await scene.get("getUpdates", limit=2)
    assert body == written_afresh(world, limit=2)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[:2]

    body, _ = await scene.get("getUpdates", offset=ids[3], limit=3)
    assert body == written_afresh(world, offset=ids[3], limit=3)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[3:6]

    body, _ = await scene.get("getUpdates", offset=-2)
    assert body == written_afresh(world)
    assert [u["update_id"] for u in json.loads(body)["result"]] == ids[-2:]

    body, _ = await scene.get("getUpdates", offset=ids[-1] + 1)
    assert body == b'{"ok": true, "result": []}'


async def test_allowed_updates_still_filter_what_is_served(scene: Scene) -> None:
    body, _ = await scene.get("getUpdates", allowed_updates=["callback_query"])
    assert body == b'{"ok": true, "result": []}'
    await queue_all_kinds(scene)
    body, _ = await scene.get("getUpdates")
    served = json.loads(body)["result"]
    assert [next(k for k in u if k != "update_id") for u in served] == ["callback_query"] * 3
    assert body == written_afresh(scene.world)

    await scene.get("getUpdates", allowed_updates=[])  # back to the default
    await scene.emu.send_text(BOT_ID, scene.user_id, "now wanted")
    body, _ = await scene.get("getUpdates")
    assert json.loads(body)["result"][-1]["message"]["text"] == "now wanted"
    assert body == written_afresh(scene.world)


async def test_a_redelivered_update_is_the_same_json(scene: Scene) -> None:
    greeting = await scene.bot.send_message(scene.user_id, "Choose:", reply_markup=KEYBOARD)
    pressed = await scene.emu.press(BOT_ID, scene.user_id, greeting.message_id, text="Latviešu")
    first, _ = await scene.get("getUpdates")
    confirmed, _ = await scene.get("getUpdates", offset=pressed["update_id"] + 1)
    assert confirmed == b'{"ok": true, "result": []}'
    await scene.bot.edit_message_text(
        "Changed", chat_id=scene.user_id, message_id=greeting.message_id
    )
    await scene.emu.redeliver(BOT_ID, pressed["update_id"])
    again, _ = await scene.get("getUpdates")
    assert again == first == written_afresh(scene.world)


async def test_calls_log_keeps_the_served_result(scene: Scene) -> None:
    await queue_all_kinds(scene)
    body, _ = await scene.get("getUpdates", limit=4)
    (call,) = await scene.emu.calls(BOT_ID, method="getUpdates")
    assert call["ok"] and call["status"] == 200
    assert call["result"] == json.loads(body)["result"]
    assert call["params"] == {"limit": 4}
    everything, _ = await scene.get("getUpdates")
    assert await scene.emu.pending_updates(BOT_ID) == json.loads(everything)["result"]
