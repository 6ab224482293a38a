"""The HTTP surfaces' wiring: what the web pages are handed (`web.surface.Surface`), and the
one aiohttp app on WEB_PORT that serves them beside the runtime's own routes (health,
Telegram's webhook, the demo's pages) and the back-office API (/api/v1, wired in
`bot.api_wiring`). The pages reach the database only through here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from bot.api_wiring import mount_api
from bot.app import App
from bot.delivery.demo_mail import DemoMailbox
from bot.identity import form_origins
from bot.ops import demo_pages
from bot.transport.webhook import APP_KEY, handle_update, health
from dialogs.outgoing import Outgoing
from integrations.identity.demo import AUTHORIZE_PATH, DemoProvider
from portal.miniapp import secret_key
from portal.ports import UnitOfWork
from storage.database import DatabaseUnavailable
from storage.repositories import PendingMessage, SqlUnitOfWork
from web import create_web_app
from web.miniapp import frame_ancestors
from web.surface import Surface, Transactions, Unavailable

T = TypeVar("T")


def transactions(app: App) -> Transactions:
    """One transaction per call; the chat messages `work` queues go to the outbox in it and
    are sent after commit."""

    async def run(work: Callable[[UnitOfWork, Outgoing], Awaitable[T]], /) -> T:
        outgoing = Outgoing(chat_id=None)
        rows: list[PendingMessage] = []
        try:
            async with app.database.transaction() as session:
                uow = SqlUnitOfWork(session)
                result = await work(uow, outgoing)
                if outgoing.queued:
                    rows = await app.sender.queue(uow.outbox, outgoing.queued)
            await app.sender.deliver(rows)
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
    )


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
