"""App factory and an in-process runner for the emulator."""

from __future__ import annotations

import logging
import re
import socket

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from . import botapi, control, webchat
from .botapi import WORLD_KEY
from .state import EmulatorConfig, World
from .webhook import Deliveries

DELIVERIES_KEY = web.AppKey("emulator_deliveries", Deliveries)
_TOKEN_IN_PATH = re.compile(r"^/(file/)?bot[^/]*")


def redact(path: str) -> str:
    """Hide the token: /bot123:ABC/sendMessage -> /bot<redacted>/sendMessage."""
    return _TOKEN_IN_PATH.sub(lambda m: f"/{m.group(1) or ''}bot<redacted>", path)


class RedactingAccessLogger(AbstractAccessLogger):
    """aiohttp's access log, minus the bot token that every Bot API URL contains."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, redact(request.path), response.status, time * 1000
        )


def create_app(config: EmulatorConfig | None = None) -> web.Application:
    # Uploads of up to 50 MB must reach the handler to get Telegram's own answer.
    world = World(config)
    app = web.Application(
        client_max_size=world.config.max_upload_bytes + 1024 * 1024,
        middlewares=[control.control_errors],
    )
    deliveries = Deliveries(world)
    world.on_create = deliveries.attach
    app[WORLD_KEY] = world
    app[DELIVERIES_KEY] = deliveries
    botapi.add_routes(app)
    control.add_routes(app)
    webchat.add_routes(app)

    async def on_shutdown(app: web.Application) -> None:
        for bot in world.bots.values():
            bot.closed = True  # long-polls return now instead of holding shutdown
            bot.notifier.notify()
        await deliveries.close()

    app.on_shutdown.append(on_shutdown)
    return app


class EmulatorServer:
    """Run the emulator inside the current event loop (tests, benchmarks, demos)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        access_log: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.config = config or EmulatorConfig()
        self.app = create_app(self.config)
        self.access_log = access_log
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def world(self) -> World:
        return self.app[WORLD_KEY]

    async def start(self) -> str:
        """Start serving; returns the base URL with the real bound port."""
        logger = logging.getLogger("emulator.access")
        self._runner = web.AppRunner(
            self.app,
            access_log_class=RedactingAccessLogger,
            access_log=logger if self.access_log else None,
            shutdown_timeout=2.0,
            handle_signals=False,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.base_url = f"http://{self.host}:{self.port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
