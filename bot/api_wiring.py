"""Wiring the back-office API (api/) to the runtime: its transactions are ours (a unit of work
and a chat notifier whose messages go to the outbox in the same transaction, sent after
commit), its feed signal is the database's, its rate limits are in this process or Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from api import create_api
from api.context import ApiContext
from api.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from bot.app import App
from bot.notifier import ChatNotifier
from portal.ports import Notifier, UnitOfWork
from storage.database import is_unavailable
from storage.repositories import PendingMessage, SqlUnitOfWork


def api_context(app: App, stop: asyncio.Event, limiter: RateLimiter) -> ApiContext:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        rows: list[PendingMessage] = []
        async with app.database.transaction() as session:
            uow = SqlUnitOfWork(session)
            notifier = ChatNotifier(uow, app.i18n)
            yield uow, notifier
            queued = notifier.outgoing.queued
            if queued:
                rows = await app.sender.queue(uow.outbox, queued)
        await app.sender.deliver(rows)

    settings = app.settings.api
    return ApiContext(
        transaction=transaction,
        feed_signal=app.database.feed_signal,
        limiter=limiter,
        max_wait=settings.max_wait_seconds,
        recheck=settings.recheck_seconds,
        stopping=stop,
        concurrency=settings.concurrency,
    )


def mount_api(web_app: web.Application, app: App, stop: asyncio.Event) -> None:
    """The API at /api/v1 of the bot's web server."""
    settings = app.settings.api
    limiter: RateLimiter
    if app.settings.redis_url is not None:
        from redis.asyncio import Redis

        redis: Any = Redis.from_url(app.settings.redis_url.get_secret_value())
        limiter = RedisRateLimiter(
            redis, per_second=settings.rate_per_second, burst=settings.rate_burst
        )

        async def close_redis(_app: web.Application) -> None:
            await redis.aclose()

        web_app.on_cleanup.append(close_redis)
    else:
        limiter = LocalRateLimiter(per_second=settings.rate_per_second, burst=settings.rate_burst)
    api = create_api(api_context(app, stop, limiter), is_unavailable=is_unavailable)
    web_app.add_subapp("/api/v1", api)
