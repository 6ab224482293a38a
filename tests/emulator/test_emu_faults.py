"""Injected faults as aiogram sees them: rate limits, server errors, drops, latency."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from emu_support import BOT_ID

from emulator import EmulatorClient

pytestmark = pytest.mark.asyncio


async def test_rate_limit_reaches_aiogram_as_retry_after(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=3, count=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(user["id"], "hi")
        assert caught.value.retry_after == 3
        assert "Too Many Requests: retry after 3" in str(caught.value)
    assert (await bot.send_message(user["id"], "hi")).text == "hi"  # the fault is used up
    assert await emu.faults(BOT_ID) == []
    calls = await emu.calls(BOT_ID, method="sendMessage")
    assert [(c["status"], c["fault"]) for c in calls] == [(429, True), (429, True), (200, False)]
    assert len(await emu.messages(BOT_ID, user["id"])) == 1  # faults send nothing


async def test_server_errors_and_html_gateway_pages(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.add_fault(BOT_ID, "*", status=500)
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    await emu.add_fault(BOT_ID, "getMe", status=502, body="<html>502 Bad Gateway</html>")
    with pytest.raises(ClientDecodeError):
        await bot.get_me()
    await emu.add_fault(BOT_ID, "getMe", status=400, description="Bad Request: injected")
    with pytest.raises(TelegramBadRequest, match="injected"):
        await bot.get_me()
    assert (await bot.get_me()).id == BOT_ID


async def test_dropped_connection_is_a_network_error(emu: EmulatorClient, bot: Bot) -> None:
    await emu.add_fault(BOT_ID, "getMe", drop=True)
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    (call,) = await emu.calls(BOT_ID, method="getMe")
    assert call["status"] == 0 and call["fault"]


async def test_latency_fault_and_global_latency(emu: EmulatorClient, bot: Bot) -> None:
    await emu.add_fault(BOT_ID, "getMe", latency_ms=300)
    started = time.monotonic()
    assert (await bot.get_me()).id == BOT_ID  # slow, but answered
    assert time.monotonic() - started >= 0.3
    await emu.update_settings(latency_ms=200)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2
    await emu.update_settings(latency_ms=0)


async def test_clear_faults(emu: EmulatorClient, bot: Bot) -> None:
    await emu.add_fault(BOT_ID, "getMe", status=500, count=5)
    assert len(await emu.faults(BOT_ID)) == 1
    await emu.clear_faults(BOT_ID)
    assert (await bot.get_me()).id == BOT_ID
