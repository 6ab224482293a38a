"""Serving: long polling or webhooks, the outbox sweeper, and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.app import App, create_app
from bot.logs import fields
from bot.metrics import Scrape, metrics_app
from bot.ops.file_sweeper import FileSweeper
from bot.ops.housekeeping import housekeeping
from bot.settings import Settings
from bot.surfaces import create_http_app
from bot.transport.polling import Poller
from integrations.files import ContentStore
from storage.migrate import ensure_current

log = logging.getLogger(__name__)


def stop_on_signals() -> asyncio.Event:
    """SIGTERM/SIGINT set the event: updates in flight finish, then we exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _start(
    settings: Settings, extra_routers: tuple[Any, ...] = (), *, freeze_heap: bool = False
) -> App:
    app = create_app(settings, extra_routers=extra_routers)
    try:
        await ensure_current(app.database.engine)
        await app.set_commands()
    except BaseException:
        await app.close()
        raise
    if freeze_heap:
        freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Hide what start-up built from the cycle collector, for the life of the process.

    Modules, pydantic schemas, SQLAlchemy mappers and catalogues are some 280,000 objects
    that never die, and every full collection walked them all: a 200-250 ms pause under
    load, the bot's worst latency (docs/performance.md). Only the process's owner may do
    this (the CLI): in a test process it would also freeze the tests' own objects.
    """
    gc.collect()
    gc.freeze()


async def run_polling(
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    extra_routers: tuple[Any, ...] = (),
    freeze_heap: bool = False,
) -> None:
    stop = stop or stop_on_signals()
    app = await _start(settings, extra_routers, freeze_heap=freeze_heap)
    async with _serving(app, stop, webhook=False):
        me = await app.bot.get_me()
        log.info("polling", extra=fields(bot=me.username))
        await Poller(app).run(stop)


async def run_webhook(
    settings: Settings, stop: asyncio.Event | None = None, *, freeze_heap: bool = False
) -> None:
    stop = stop or stop_on_signals()
    if not settings.webhook_secret.get_secret_value():
        raise ValueError("WEBHOOK_SECRET is not set")
    app = await _start(settings, freeze_heap=freeze_heap)
    async with _serving(app, stop, webhook=True):
        log.info("serving webhooks", extra=fields(path=settings.webhook_path))
        await stop.wait()


@contextlib.asynccontextmanager
async def _serving(app: App, stop: asyncio.Event, *, webhook: bool) -> AsyncIterator[None]:
    """The web server (pages, health, webhook), the outbox sender, housekeeping and the file
    sweeper."""
    settings = app.settings
    background = [
        asyncio.create_task(app.sender.run(stop)),
        asyncio.create_task(app.pushes.run(stop)),
        asyncio.create_task(app.reminders.run(stop)),
        asyncio.create_task(
            FileSweeper(
                app.database,
                ContentStore(settings.files.dir),
                every=settings.files.sweep_seconds,
                grace=timedelta(hours=settings.files.sweep_grace_hours),
            ).run(stop)
        ),
        asyncio.create_task(housekeeping(app.database, stop, every=settings.housekeeping_seconds)),
    ]
    runner = web.AppRunner(
        create_http_app(app, webhook=webhook, stop=stop),
        handle_signals=False,
        access_log=None,  # URLs carry one-time tokens
        shutdown_timeout=30,
    )
    metrics: web.AppRunner | None = None
    if settings.metrics_port is not None:  # off by default; a listener of its own
        scrape = Scrape(app.metrics, app.database, token=settings.metrics_token.get_secret_value())
        metrics = web.AppRunner(metrics_app(scrape), handle_signals=False, access_log=None)
    try:
        await runner.setup()
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        log.info("web server", extra=fields(host=settings.web_host, port=settings.web_port))
        if metrics is not None:
            await metrics.setup()
            await web.TCPSite(metrics, settings.metrics_host, settings.metrics_port).start()
            log.info(
                "metrics", extra=fields(host=settings.metrics_host, port=settings.metrics_port)
            )
        yield
    finally:
        stop.set()
        if metrics is not None:
            await metrics.cleanup()
        await runner.cleanup()  # stops accepting, lets requests in flight finish
        await asyncio.gather(*background, return_exceptions=True)
        await app.close()
        log.info("stopped")


async def set_webhook(settings: Settings, *, delete: bool = False) -> str:
    """A deploy step: never run on start-up and never drops pending updates."""
    app = create_app(settings)
    try:
        if delete:
            await app.bot.delete_webhook(drop_pending_updates=False)
            return "webhook deleted; pending updates kept"
        secret = settings.webhook_secret.get_secret_value()
        if not secret:
            raise ValueError("WEBHOOK_SECRET is not set")
        await app.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
            max_connections=settings.handler_concurrency,
        )
        info = await app.bot.get_webhook_info()
        return f"webhook set to {info.url}; pending updates: {info.pending_update_count}"
    finally:
        await app.close()
