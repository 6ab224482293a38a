"""A real aiogram Dispatcher against the emulator, by polling and by webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from emu_support import BOT_ID

from emulator import EmulatorClient

pytestmark = pytest.mark.asyncio


def build_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Latviešu", callback_data="lang:lv")]]
        )
        await message.answer("<b>Sveiki!</b> Izvēlieties valodu:", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("lang:"))
    async def choose(query: CallbackQuery) -> None:
        await query.answer("Saglabāts")
        if isinstance(query.message, Message):
            await query.message.edit_text("Valoda: latviešu")

    return router


@asynccontextmanager
async def polling(bot: Bot) -> AsyncIterator[None]:
    from aiogram.client.default import DefaultBotProperties

    bot.default = DefaultBotProperties(parse_mode="HTML")
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(task, 5)


async def test_start_press_and_edit_by_polling(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    async with polling(bot):
        sent = await emu.send_text(BOT_ID, user["id"], "/start")
        hello = await emu.next_bot_message(BOT_ID, user["id"], after=sent["message_id"])
        assert hello["text"] == "Sveiki! Izvēlieties valodu:"
        assert hello["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
        mark = await emu.last_seq(BOT_ID)
        await emu.press(BOT_ID, user["id"], hello["message_id"], text="Latviešu")
        (edit,) = await emu.calls(BOT_ID, method="editMessageText", since=mark, wait=5)
        answers = await emu.calls(BOT_ID, method="answerCallbackQuery", since=mark, wait=5)
    assert edit["ok"] and edit["result"]["text"] == "Valoda: latviešu"
    assert answers[0]["params"]["text"] == "Saglabāts"
    (shown,) = await emu.messages(BOT_ID, user["id"], after=sent["message_id"])
    assert shown["edited"] and shown["reply_markup"] is None
    polls = await emu.calls(BOT_ID, method="getUpdates")
    assert polls and all(c["params"].get("allowed_updates") for c in polls)


async def test_aiogram_webhook_handler_with_reply_in_response(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    from aiogram.client.default import DefaultBotProperties

    bot.default = DefaultBotProperties(parse_mode="HTML")
    dispatcher = Dispatcher()
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> Any:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Latviešu", callback_data="lang:lv")]]
        )
        # Returned, not awaited: aiogram puts the call into the webhook's HTTP answer.
        return message.answer("<b>Sveiki!</b> Izvēlieties valodu:", reply_markup=keyboard)

    dispatcher.include_router(router)
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, secret_token="hook-secret", handle_in_background=False
    ).register(app, path="/hook")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="hook-secret")
        sent = await emu.send_text(BOT_ID, user["id"], "/start")
        hello = await emu.next_bot_message(BOT_ID, user["id"], after=sent["message_id"])
        assert hello["text"] == "Sveiki! Izvēlieties valodu:"
        assert hello["reply_markup"]["inline_keyboard"][0][0]["text"] == "Latviešu"
        (call,) = await emu.calls(BOT_ID, method="sendMessage")
        assert call["source"] == "webhook_reply"
    finally:
        await runner.cleanup()
