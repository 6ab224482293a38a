from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from e2e_support import BOT_ID, Person

from emulator import EmulatorClient, EmulatorServer


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer() as server:
        yield server


@pytest.fixture
async def emu(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.base_url) as client:
        yield client


PersonFactory = Callable[..., Awaitable[Person]]


@pytest.fixture
def person(emu: EmulatorClient) -> PersonFactory:
    async def make(first_name: str = "Anna", language_code: str | None = "lv") -> Person:
        user = await emu.create_user(BOT_ID, first_name, language_code=language_code)
        return Person(emu=emu, user_id=user["id"])

    return make
