"""The HTTP surfaces' wiring: what the web pages (`web.surface.Surface`) and the back-office
API (`api.context.ApiContext`) are handed, and the one aiohttp app on WEB_PORT that serves
them beside the runtime's own routes (health, Telegram's webhook, the demo's pages). Neither
surface imports storage: they reach the database only through the transactions made here,
whose chat messages go to the outbox in the same transaction and are sent after commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiohttp import web

from api import PREFIX, create_api
from api.context import ApiContext, ApiFiles
from api.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from bot.app import App
from bot.delivery.demo_mail import DemoMailbox
from bot.delivery.notifier import ChatNotifier
from bot.guide import user_guide
from bot.identity import form_origins
from bot.ops import demo_pages
from bot.transport.webhook import APP_KEY, handle_update, health
from dialogs.outgoing import Outgoing
from integrations.files import ContentStore, FileInspector
from integrations.forms import load_forms
from integrations.identity.demo import AUTHORIZE_PATH, DemoProvider
from integrations.pdf import FpdfWriter
from portal.application_pdf import Printing
from portal.miniapp import secret_key
from portal.ports import Notifier, UnitOfWork
from storage.database import DatabaseUnavailable, is_unavailable
from storage.repositories import PendingMessage, SqlUnitOfWork
from web import create_web_app
from web.miniapp import frame_ancestors
from web.surface import Surface, Transactions, Unavailable

T = TypeVar("T")


@asynccontextmanager
async def _committed(app: App) -> AsyncIterator[tuple[UnitOfWork, Outgoing]]:
    """One transaction; the chat messages queued on the `Outgoing` are written to the outbox
    in it and sent after commit. Nothing is written or sent if the body raises."""
    outgoing = Outgoing(chat_id=None)
    rows: list[PendingMessage] = []
    async with app.database.transaction() as session:
        uow = SqlUnitOfWork(session)
        yield uow, outgoing
        if outgoing.queued:
            rows = await app.sender.queue(uow.outbox, outgoing.queued)
    await app.sender.deliver(rows)


# --- web/: the pages people open in a browser -----------------------------------------------


def transactions(app: App) -> Transactions:
    """One transaction per call of `work(uow, outgoing)`; a database outage comes out as
    `web.surface.Unavailable`."""

    async def run(work: Callable[[UnitOfWork, Outgoing], Awaitable[T]], /) -> T:
        try:
            async with _committed(app) as (uow, outgoing):
                result = await work(uow, outgoing)
        except DatabaseUnavailable as unavailable:
            raise Unavailable(str(unavailable)) from unavailable
        return result

    return run


def web_surface(app: App) -> Surface:
    settings = app.settings
    return Surface(
        transaction=transactions(app),
        i18n=app.i18n,
        identity=app.identity,
        public_url=settings.public_url,
        mini_app_key=secret_key(settings.bot_token.get_secret_value()),
        frame_ancestors=frame_ancestors(
            production=settings.is_production, bot_api_url=settings.telegram_api_url
        ),
        form_origins=form_origins(settings),
        limits=settings.limits,
        registration_review=settings.registration.review == "required",
        at_least_counts=settings.registration.at_least_counts,
        guide=user_guide(app.i18n, settings),
        forms=load_forms(),
        printing=Printing(pdf=FpdfWriter(), store=ContentStore(settings.files.dir)),
    )


# --- api/: the back-office API for ALTUM's systems ------------------------------------------


def api_context(app: App, stop: asyncio.Event, limiter: RateLimiter) -> ApiContext:
    """The API's transactions yield a unit of work and a notifier that renders notices in
    each person's language (`bot.delivery.notifier`) into the same outbox."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        async with _committed(app) as (uow, outgoing):
            yield uow, ChatNotifier(uow, app.i18n, outgoing)

    settings = app.settings.api
    return ApiContext(
        transaction=transaction,
        feed_signal=app.database.feed_signal,
        limiter=limiter,
        max_wait=settings.max_wait_seconds,
        recheck=settings.recheck_seconds,
        stopping=stop,
        concurrency=settings.concurrency,
        forms=load_forms(),
        files=ApiFiles(
            store=ContentStore(app.settings.files.dir),
            inspector=FileInspector(),
            rules=app.settings.files.rules(),
        ),
        pdf=FpdfWriter(),
        reminder_policy=app.settings.reminder_policy,
        # SQLite's one writer takes the batches in turn: a second worker would only queue,
        # and a batch is cut short after 5 ms so that the chat's updates wait little for it.
        batch_workers=1
        if app.database.is_sqlite
        else min(settings.write_transactions, settings.concurrency),
        batch_budget=0.005 if app.database.is_sqlite else None,
        before_batch=_chat_first(app, settings.yield_to_chat_ms / 1000)
        if settings.yield_to_chat_ms
        else None,
        shed_after=settings.shed_after_seconds,
    )


def _chat_first(app: App, within: float) -> Callable[[], Awaitable[None]]:
    """The API's write batches start once the chat has no update in the database, or after
    `within` seconds (a busy chat delays the API's writes, it never stops them)."""

    async def wait() -> None:
        await app.batches.quiet(within=within)

    return wait


def mount_api(web_app: web.Application, app: App, stop: asyncio.Event) -> None:
    """The API at /api/v1; its rate limits in this process, or in Redis when it is set."""
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
    web_app.add_subapp(PREFIX, api)


# --- the one web server -----------------------------------------------------------------------


def create_http_app(
    app: App, *, webhook: bool, stop: asyncio.Event | None = None
) -> web.Application:
    """The web pages, health (for load balancers and the container), the demo's stand-ins
    when they are in use, the back-office API, and in webhook mode Telegram's webhook.
    `stop` ends the API's long polls at shutdown."""
    web_app = create_web_app(web_surface(app))
    web_app[APP_KEY] = app
    routes = web_app.router
    routes.add_get("/healthz", health)
    if isinstance(app.identity, DemoProvider):
        routes.add_get(AUTHORIZE_PATH, demo_pages.demo_authorize_page)
        routes.add_post(AUTHORIZE_PATH, demo_pages.demo_authorize)
    if isinstance(app.mailer, DemoMailbox):
        routes.add_get("/demo/mail", demo_pages.demo_mail)
    if webhook:
        routes.add_post(app.settings.webhook_path, handle_update)
    mount_api(web_app, app, stop or asyncio.Event())
    return web_app
