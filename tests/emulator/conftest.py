"""Fixtures for the emulator's own tests: a fresh emulator, its client and a real aiogram Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from aiogram import Bot
from emu_support import BOT_ID, fast_config, make_bot

from emulator import EmulatorClient, EmulatorServer


@pytest_asyncio.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(config=fast_config()) as running:
        yield running


@pytest_asyncio.fixture
async def emu(server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.base_url) as client:
        yield client


@pytest_asyncio.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    instance = make_bot(server.base_url)
    yield instance
    await instance.session.close()


@pytest_asyncio.fixture
async def user(emu: EmulatorClient) -> dict[str, Any]:
    """A user who has already written to the bot, so the bot may message them."""
    return await emu.create_user(BOT_ID, "Anna", last_name="Bērziņa", started=True)
