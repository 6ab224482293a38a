"""Helpers for end-to-end tests: the real bot against the emulator, driven like a person."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import select

from bot.runtime import run_polling, run_webhook
from bot.settings import Settings
from emulator import EmulatorClient
from emulator.client import WebAppLaunch
from storage.database import Database
from storage.models import OutboxMessage
from web.miniapp import origin_of

TOKEN = "987654321:altum-test-token-0123456789abcdefghijklmn"
BOT_ID = 987654321
ROOT = Path(__file__).resolve().parents[2]


def bot_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    """Every bot serves its web pages too: on a port of its own. Demo mode, because the demo
    identity provider (IDENTITY_PROVIDER's default) runs only then; tests of another provider
    turn it off."""
    port = free_port()
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": api_url,
        "database_url": database_url,
        "handler_concurrency": 16,
        "web_port": port,
        "public_url": f"http://127.0.0.1:{port}",
        "demo_mode": True,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Person:
    """A simulated Telegram user talking to the bot through the emulator."""

    emu: EmulatorClient
    user_id: int
    seen: int = 0  # the newest message id in the chat we have looked at
    transcript: list[dict[str, Any]] = field(default_factory=list)
    bot_id: int = BOT_ID

    async def say(self, text: str) -> dict[str, Any]:
        sent = await self.emu.send_text(self.bot_id, self.user_id, text)
        self.seen = max(self.seen, sent["message_id"])
        return dict(sent)

    async def reply(self, timeout: float = 10.0) -> dict[str, Any]:
        """The bot's next message after what we have seen."""
        message = await self.emu.next_bot_message(
            self.bot_id, self.user_id, after=self.seen, timeout=timeout
        )
        self.seen = message["message_id"]
        self.transcript.append(message)
        return message

    async def replies(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return [await self.reply(timeout) for _ in range(count)]

    async def press(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        return dict(
            await self.emu.press(self.bot_id, self.user_id, message["message_id"], text=text)
        )

    async def press_newest(self, text: str) -> dict[str, Any]:
        """Press a button of the bot's newest message."""
        messages = await self.emu.messages(self.bot_id, self.user_id)
        newest = [m for m in messages if m.get("from", {}).get("is_bot")][-1]
        return await self.press(newest, text)

    async def open_web_app(
        self, message: dict[str, Any], text: str | None = None, *, age_seconds: float = 0.0
    ) -> WebAppLaunch:
        """Press a Mini App button: the URL Telegram would open, with signed initData."""
        return await self.emu.open_web_app(
            self.bot_id, self.user_id, message["message_id"], text=text, age_seconds=age_seconds
        )

    async def login_app(self) -> WebAppLaunch:
        """/login, then press the «Log in» Mini App button of the answer."""
        await self.say("/login")
        return await self.open_web_app(await self.reply())

    async def message(self, message_id: int) -> dict[str, Any]:
        for message in await self.emu.messages(self.bot_id, self.user_id):
            if message["message_id"] == message_id:
                return message
        raise LookupError(message_id)


def text_update(update_id: int, user_id: int, text: str, language_code: str = "en") -> Update:
    """A private-chat text message as Telegram would deliver it, for feeding an app directly."""
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime.now(UTC),
            text=text,
            chat=Chat(id=user_id, type="private"),
            from_user=User(
                id=user_id,
                is_bot=False,
                first_name=f"User {user_id}",
                language_code=language_code,
            ),
        ),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    return bot_settings(
        database_url, api_url, webhook_secret="test-webhook-secret-0123456789", **overrides
    )


async def outbox_rows(database_url: str) -> list[OutboxMessage]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        await database.dispose()


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


async def wait_until_polling(emu: EmulatorClient, since: int = 0) -> None:
    """Until the bot has started (getMe comes right before the first getUpdates)."""
    await emu.calls(BOT_ID, method="getMe", since=since, wait=15, min=1)


async def wait_until_confirmed(emu: EmulatorClient, timeout: float = 10.0) -> None:
    """Until the bot has confirmed (processed) every update the emulator handed out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await emu.pending_updates(BOT_ID):
        if loop.time() > deadline:
            raise TimeoutError("updates still unconfirmed")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def polling_bot(
    settings: Settings, extra_routers: tuple[Any, ...] = ()
) -> AsyncIterator[None]:
    """The bot in this event loop, long polling; stopped as SIGTERM would stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop, extra_routers=extra_routers))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@contextlib.asynccontextmanager
async def webhook_bot(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_webhook(settings, stop))
    try:
        await until_healthy(settings.public_url + "/healthz", task)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def until_healthy(url: str, task: asyncio.Task[None], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the bot stopped before serving")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} not healthy")
            await asyncio.sleep(0.05)


class BotProcess:
    """`altum-bot run` as a real process, for kill -9 and SIGTERM."""

    def __init__(self, settings: Settings, command: str = "run") -> None:
        self.env = {
            **os.environ,
            "BOT_TOKEN": settings.bot_token.get_secret_value(),
            "TELEGRAM_API_URL": settings.telegram_api_url,
            "DATABASE_URL": settings.database_url,
            "OUTBOX_LEASE_SECONDS": str(settings.outbox_lease_seconds),
            "WEBHOOK_SECRET": settings.webhook_secret.get_secret_value(),
            "WEB_PORT": str(settings.web_port),
            "PUBLIC_URL": settings.public_url,
            "IDENTITY_PROVIDER": settings.identity.provider,
            "DEMO_MODE": str(settings.demo_mode).lower(),
            "LOG_LEVEL": "INFO",
            "LOG_JSON": str(settings.log_json).lower(),
        }
        if "host" in settings.smtp.model_fields_set:  # a test's SMTP server, not the default
            self.env |= {
                "SMTP_HOST": settings.smtp.host,
                "SMTP_PORT": str(settings.smtp.port),
                "SMTP_FROM": settings.smtp.from_,
            }
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = Path(sys.executable).with_name("altum-bot")
        self.process = subprocess.Popen(
            [str(executable), self.command],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def output(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")

    def stop_quietly(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.asynccontextmanager
async def running_demo(database_path: Path) -> AsyncIterator[tuple[EmulatorClient, str]]:
    """`altum-bot demo` in this event loop, on free ports, once its bot polls: the emulator's
    client (its web chat at `emu.base_url`) and the bot's web address. (The emulator logs a
    call when it ends: the first getUpdates only after its long poll, so getMe, which comes
    right before it, says the bot is up; updates sent meanwhile wait for that poll.)"""
    from bot.ops.demo import BOT_ID as DEMO_BOT_ID
    from bot.ops.demo import run_demo

    emulator_port, web_port = free_port(), free_port()
    stop = asyncio.Event()
    demo = asyncio.create_task(
        run_demo(
            port=emulator_port,
            web_port=web_port,
            database_url=f"sqlite:///{database_path}",
            stop=stop,
        )
    )
    try:
        async with EmulatorClient(f"http://127.0.0.1:{emulator_port}") as emu:
            for _ in range(300):  # the demo starts the emulator, its users, then polling
                assert not demo.done(), demo.result()
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    users = await emu.users(DEMO_BOT_ID)
                    if users and await emu.calls(DEMO_BOT_ID, method="getMe"):
                        break
                await asyncio.sleep(0.05)
            yield emu, f"http://127.0.0.1:{web_port}"
    finally:
        stop.set()
        await asyncio.wait_for(demo, timeout=30)


def button_url(message: dict[str, Any], text: str | None = None) -> str:
    """The URL of a URL button (the first, or the one with this text)."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "url" in button and (text is None or button["text"] == text):
                return str(button["url"])
    raise LookupError(f"no URL button in {message.get('text')!r}")


def browser() -> aiohttp.ClientSession:
    """A browser stand-in. `unsafe=True`: the servers are on IP addresses, whose cookies
    aiohttp's jar would otherwise drop."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def mini_app_post(
    http: aiohttp.ClientSession,
    launch_url: str,
    *,
    init_data: str | None = None,
    origin: str | None = None,
    allow_redirects: bool = True,
    headers: dict[str, str] | None = None,
) -> contextlib.AbstractAsyncContextManager[aiohttp.ClientResponse]:
    """What the Mini App page's script does in a browser: post the initData from the URL's
    fragment (or `init_data`) back to the page's URL, with the headers a browser adds (our
    page's origin, or `origin`)."""
    url, _, fragment = launch_url.partition("#")
    if init_data is None:
        init_data = dict(parse_qsl(fragment)).get("tgWebAppData", "")
    own = origin is None
    sent = {
        "Origin": origin_of(url) if own else str(origin),
        "Sec-Fetch-Site": "same-origin" if own else "cross-site",
        **(headers or {}),
    }
    return http.post(
        url, data={"init_data": init_data}, headers=sent, allow_redirects=allow_redirects
    )


async def demo_login(http: aiohttp.ClientSession, launch_url: str, person: str) -> tuple[int, str]:
    """Open the chat's login Mini App, let it post its initData, pick a demo person; the
    final page."""
    async with http.get(launch_url) as response:
        assert response.status == 200, await response.text()
    async with mini_app_post(http, launch_url) as response:  # to the demo provider's page
        assert response.status == 200, await response.text()
        authorize = str(response.url)
    query = dict(parse_qsl(urlsplit(authorize).query))
    async with http.post(authorize.split("?", 1)[0], data={**query, "person": person}) as response:
        return response.status, await response.text()
