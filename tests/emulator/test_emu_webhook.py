"""Webhook delivery: secret header, retries, per-chat order, replies carrying a method."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web
from emu_support import BOT_ID

from emulator import EmulatorClient

pytestmark = pytest.mark.asyncio
Reply = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


class Receiver:
    """A tiny webhook endpoint recording what it gets; `reply` decides the answer."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Reply | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.read())
        update = await request.json()
        self.received.append(update)
        self.headers.append(dict(request.headers))
        if self.reply is not None:
            return await self.reply(request, update)
        return web.json_response({})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def texts(self) -> list[str]:
        return [u["message"]["text"] for u in self.received if "message" in u]


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    await hook.start()
    yield hook
    await hook.stop()


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_delivers_with_the_secret_header(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t_-X")
    sent = await emu.send_text(BOT_ID, user["id"], "via webhook")
    await eventually(lambda: len(receiver.received) == 1)
    assert receiver.received[0]["update_id"] == sent["update_id"]
    assert receiver.headers[0]["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t_-X"
    assert receiver.headers[0]["Content-Type"] == "application/json"
    for _ in range(100):
        info = await bot.get_webhook_info()
        if info.pending_update_count == 0:
            break
        await asyncio.sleep(0.02)
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_retries_until_the_webhook_accepts(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    answers = [500, 502]

    async def flaky(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        if answers:
            return web.Response(status=answers.pop(0))
        return web.json_response({})

    receiver.reply = flaky
    await bot.set_webhook(receiver.url)
    sent = await emu.send_text(BOT_ID, user["id"], "persist")
    await eventually(lambda: len(receiver.received) == 3)
    assert {u["update_id"] for u in receiver.received} == {sent["update_id"]}
    await asyncio.sleep(0.05)  # the emulator acknowledges right after reading the answer
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.last_error_date is not None
    assert info.pending_update_count == 0


async def test_unreachable_webhook_keeps_updates_pending(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/nobody-listens")
    await emu.send_text(BOT_ID, user["id"], "lost?")
    for _ in range(100):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.02)
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    (update,) = await bot.get_updates()  # nothing was lost
    assert update.message is not None and update.message.text == "lost?"


async def test_one_chat_in_order_different_chats_in_parallel(
    emu: EmulatorClient, bot: Bot, receiver: Receiver
) -> None:
    in_flight: dict[int, int] = {}
    overlap_seen = asyncio.Event()

    async def slow(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        chat = update["message"]["chat"]["id"]
        in_flight[chat] = in_flight.get(chat, 0) + 1
        assert in_flight[chat] == 1, "two updates of one chat were in flight at once"
        if len([c for c, n in in_flight.items() if n]) > 1:
            overlap_seen.set()
        await asyncio.sleep(0.05)
        in_flight[chat] -= 1
        return web.json_response({})

    receiver.reply = slow
    first = await emu.create_user(BOT_ID, "Anna", started=True)
    second = await emu.create_user(BOT_ID, "Jānis", started=True)
    for i in range(4):
        await emu.send_text(BOT_ID, first["id"], f"a{i}")
        await emu.send_text(BOT_ID, second["id"], f"b{i}")
    await bot.set_webhook(receiver.url)
    await eventually(lambda: len(receiver.received) == 8)
    texts = receiver.texts()
    assert [t for t in texts if t.startswith("a")] == ["a0", "a1", "a2", "a3"]
    assert [t for t in texts if t.startswith("b")] == ["b0", "b1", "b2", "b3"]
    assert overlap_seen.is_set()


async def test_webhook_reply_can_carry_a_method(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    async def answer(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        chat = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat, "text": "pong"})

    receiver.reply = answer
    await bot.set_webhook(receiver.url)
    sent = await emu.send_text(BOT_ID, user["id"], "ping")
    reply = await emu.next_bot_message(BOT_ID, user["id"], after=sent["message_id"])
    assert reply["text"] == "pong"
    (call,) = await emu.calls(BOT_ID, method="sendMessage")
    assert call["source"] == "webhook_reply" and call["chat_id"] == user["id"]


async def test_redelivery_sends_the_same_update_again(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    sent = await emu.send_text(BOT_ID, user["id"], "once")
    await eventually(lambda: len(receiver.received) == 1)
    await emu.redeliver(BOT_ID, sent["update_id"])
    await eventually(lambda: len(receiver.received) == 2)
    assert receiver.received[0] == receiver.received[1]


async def test_drop_pending_updates(emu: EmulatorClient, bot: Bot, user: dict[str, Any]) -> None:
    await emu.send_text(BOT_ID, user["id"], "old news")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []
    info = await emu.webhook_info(BOT_ID)
    assert info["url"] == "" and info["pending_update_count"] == 0


async def test_webhook_payload_is_plain_update_json(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    await emu.send_text(BOT_ID, user["id"], "/start")
    await eventually(lambda: len(receiver.received) == 1)
    update = receiver.received[0]
    assert set(update) == {"update_id", "message"}
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    json.dumps(update)  # nothing exotic inside


async def test_webhook_body_is_the_update_as_json_dumps_writes_it(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any], receiver: Receiver
) -> None:
    """Each POST (first try, retry, redelivery) carries the same bytes as json.dumps gives."""
    answers = [500]

    async def flaky(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        return web.Response(status=answers.pop(0)) if answers else web.json_response({})

    receiver.reply = flaky
    await bot.set_webhook(receiver.url)
    sent = await emu.send_text(BOT_ID, user["id"], "/start ūdens 👋")
    await eventually(lambda: len(receiver.received) == 2)
    await emu.redeliver(BOT_ID, sent["update_id"])
    await eventually(lambda: len(receiver.received) == 3)
    expected = json.dumps(receiver.received[0]).encode()
    assert receiver.bodies == [expected] * 3
    assert {h["Content-Type"] for h in receiver.headers} == {"application/json"}
    assert {h["Content-Length"] for h in receiver.headers} == {str(len(expected))}
