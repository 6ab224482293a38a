"""Helpers shared by the emulator tests (imported by name; not a test module)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from emulator import EmulatorConfig

BOT_ID = 987654321
TOKEN = f"{BOT_ID}:AAF-emulator-test-token_0123456789abcdef"


class QuickSession(AiohttpSession):
    """aiogram's session sleeps 250 ms on close for TLS; plain loopback HTTP needn't."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(base_url: str, token: str = TOKEN) -> Bot:
    return Bot(token, session=QuickSession(api=TelegramAPIServer.from_base(base_url)))


def fast_config(**overrides: Any) -> EmulatorConfig:
    """Short webhook retries so the tests stay quick."""
    values: dict[str, Any] = {
        "webhook_retry_initial": 0.05,
        "webhook_retry_max": 0.2,
        "webhook_timeout": 2.0,
    }
    values.update(overrides)
    return EmulatorConfig(**values)
