"""docker/Caddyfile served by a real Caddy: the bot's paths reach the bot, everything else is
404, and every answer tells browsers to keep to https (HSTS).

The site address is plain http on a free local port (a test has no certificate for a real
host), and the replicas Caddy looks up by name (`dynamic a bot 8080`) become a stand-in for
the bot on 127.0.0.1: the rest is the Caddyfile as production runs it. Needs the `caddy`
binary (.ci/run installs Debian's). scripts/compose-check runs it with two real replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from e2e_support import ROOT, free_port

CADDYFILE = ROOT / "docker" / "Caddyfile"
HSTS = "max-age=31536000"


def adapted(port: int, upstream: int, storage: Path) -> dict[str, Any]:
    """The Caddyfile as Caddy reads it, pointed at the stand-in, admin API off."""
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (.ci/run installs it)")
    answer = subprocess.run(
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, "PUBLIC_HOST": f"http://127.0.0.1:{port}"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    dynamic = '"dynamic_upstreams":{"name":"bot","port":"8080"'
    assert dynamic in answer.stdout, answer.stdout
    stand_in = f'"dynamic_upstreams":{{"name":"127.0.0.1","port":"{upstream}"'
    config: dict[str, Any] = json.loads(answer.stdout.replace(dynamic, stand_in))
    for server in config["apps"]["http"]["servers"].values():
        server["listen"] = [f"127.0.0.1:{port}"]
    config["admin"] = {"disabled": True}
    config["storage"] = {"module": "file_system", "root": str(storage)}
    return config


@contextlib.asynccontextmanager
async def stand_in_bot() -> AsyncIterator[int]:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=f"bot {request.method} {request.path}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def caddy(config: dict[str, Any], folder: Path, port: int) -> AsyncIterator[None]:
    path = folder / "caddy.json"
    path.write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        shutil.which("caddy") or "caddy",
        "run",
        "--config",
        str(path),
        env={**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            if process.returncode is not None:
                raise RuntimeError("caddy exited")
            await asyncio.sleep(0.05)
        yield
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_caddy_passes_the_bots_paths_and_sends_hsts_everywhere(tmp_path: Path) -> None:
    port = free_port()
    async with stand_in_bot() as upstream:
        config = adapted(port, upstream, tmp_path / "data")
        async with caddy(config, tmp_path, port), aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            for method, path in (
                ("POST", "/telegram/webhook"),
                ("GET", "/link/abc"),
                ("GET", "/auth/callback"),
                ("POST", "/confirm/xyz"),
                ("GET", "/healthz"),
            ):
                async with http.request(method, base + path) as response:
                    assert response.status == 200, path
                    assert await response.text() == f"bot {method} {path}"
                    assert response.headers.get("Strict-Transport-Security") == HSTS, path
            for path in ("/", "/demo/mail", "/demo/authorize", "/link"):
                async with http.get(base + path) as response:
                    assert response.status == 404, path
                    assert response.headers.get("Strict-Transport-Security") == HSTS, path
