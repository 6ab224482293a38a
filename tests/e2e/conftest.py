from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from e2e_support import BOT_ID, Person
from sqlalchemy.engine import make_url
from tcp_proxy import TcpProxy

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


@pytest.fixture
async def proxied_postgres(database_url: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    """The test database behind a proxy that can cut it (PostgreSQL only)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a TCP proxy can only cut a server database")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    yield url.set(host="127.0.0.1", port=port).render_as_string(False), proxy
    await proxy.stop()
