"""Webhook delivery: POST each pending update, in order per chat, retrying until accepted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp

from .botapi import execute
from .models import Update
from .params import params_from_body
from .state import BotWorld, World

log = logging.getLogger("emulator.webhook")


class WebhookDeliverer:
    """Runs while a bot has a webhook; one in-flight update per chat, max_connections total."""

    def __init__(self, world: BotWorld, session: aiohttp.ClientSession) -> None:
        self.world = world
        self.session = session
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._inflight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self._inflight.clear()

    async def _run(self) -> None:
        world = self.world
        while world.webhook.url and not world.closed:
            seen: set[int] = set()
            for update in list(world.pending):
                if len(self._inflight) >= world.webhook.max_connections:
                    break
                chat = update.chat_id
                if chat in seen:
                    continue  # only the oldest pending update of a chat may go out
                seen.add(chat)
                if chat not in self._inflight:
                    self._inflight[chat] = asyncio.create_task(self._deliver(update))
            await world.notifier.wait(1.0)

    async def _deliver(self, update: Update) -> None:
        world = self.world
        delay = world.config.webhook_retry_initial
        try:
            while world.webhook.url and not world.closed and update in world.pending:
                error = await self._post(update)
                if error is None:
                    world.acknowledge(update)
                    return
                world.webhook.last_error_date = int(time.time())
                world.webhook.last_error_message = error
                world.changed()
                await asyncio.sleep(delay)
                delay = min(delay * 2, world.config.webhook_retry_max)
        finally:
            self._inflight.pop(update.chat_id, None)
            world.notifier.notify()  # the next update of this chat may go now

    async def _post(self, update: Update) -> str | None:
        """Deliver once; None on success, else Telegram-style last_error_message."""
        hook = self.world.webhook
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.world.config.webhook_timeout)
        try:
            async with self.session.post(
                hook.url, data=update.encoded.text, headers=headers, timeout=timeout
            ) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                content_type = response.headers.get("Content-Type", "")
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {type(exc).__name__}"
        await self._run_reply(content_type, body)
        return None

    async def _run_reply(self, content_type: str, body: bytes) -> None:
        """A webhook may answer with a method call in its body, as Telegram allows."""
        if not body.strip() or ("json" not in content_type and "multipart" not in content_type):
            return
        try:
            params = params_from_body(content_type, body)
        except ValueError:
            return
        method = params.get_str("method")
        if method:
            del params.values["method"]
            await execute(self.world, method, params, source="webhook_reply")


class Deliveries:
    """Starts and stops a WebhookDeliverer per bot as webhooks are set and deleted."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.session: aiohttp.ClientSession | None = None
        self.deliverers: dict[int, WebhookDeliverer] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    def attach(self, bot: BotWorld) -> None:
        bot.on_webhook_change = lambda: self.sync(bot)
        self.sync(bot)  # after a reset this stops the old world's deliverer

    def sync(self, bot: BotWorld) -> None:
        current = self.deliverers.get(bot.bot_id)
        if current is not None and current.world is not bot:
            self._stop_later(self.deliverers.pop(bot.bot_id))
            current = None
        if bot.webhook.url and not bot.closed:
            if self.session is None:
                self.session = aiohttp.ClientSession()
            if current is None:
                current = self.deliverers[bot.bot_id] = WebhookDeliverer(bot, self.session)
            current.start()
        elif current is not None:
            self._stop_later(self.deliverers.pop(bot.bot_id))

    def _stop_later(self, deliverer: WebhookDeliverer) -> None:
        task = asyncio.create_task(deliverer.stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def close(self) -> None:
        for deliverer in list(self.deliverers.values()):
            await deliverer.stop()
        self.deliverers.clear()
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
            self.session = None
