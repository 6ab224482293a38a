"""Running the emulator: the app factory, the in-process server, the CLI, log redaction."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from emu_support import TOKEN

from emulator import EmulatorServer, create_app
from emulator.__main__ import parse_args
from emulator.server import redact


def test_redact_hides_tokens_in_both_url_forms() -> None:
    assert redact(f"/bot{TOKEN}/getMe") == "/bot<redacted>/getMe"
    assert redact(f"/file/bot{TOKEN}/photos/a.jpg") == "/file/bot<redacted>/photos/a.jpg"
    assert redact("/control/bots/1/calls") == "/control/bots/1/calls"


def test_cli_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.username) == ("127.0.0.1", 8081, "altum_test_bot")
    assert parse_args(["--port", "0", "--latency-ms", "50"]).latency_ms == 50


@pytest.mark.asyncio
async def test_create_app_works_with_aiohttp_test_client() -> None:
    async with TestClient(TestServer(create_app())) as client:
        response = await client.get(f"/bot{TOKEN}/getMe")
        me = await response.json()
        assert me["ok"] and me["result"]["username"] == "altum_test_bot"
        bots = await (await client.get("/control/bots")).json()
        assert [b["bot_id"] for b in bots] == [int(TOKEN.split(":")[0])]


@pytest.mark.asyncio
async def test_server_binds_a_free_port_and_stops() -> None:
    server = EmulatorServer(host="127.0.0.1", port=0)
    url = await server.start()
    assert url == f"http://127.0.0.1:{server.port}" and server.port > 0
    await server.stop()
