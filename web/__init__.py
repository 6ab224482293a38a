"""The bot's web endpoint: login links, the identity provider's callback, e-mail
confirmations, health, and (in webhook mode) Telegram's webhook. One server on WEB_PORT.

Network calls to the identity provider happen outside database transactions; every state
change and the chat messages it causes are committed together, then sent.
"""

from __future__ import annotations

from aiohttp import web

from bot.app import App
from bot.delivery.demo_mail import DemoMailbox
from bot.identity import form_origins
from bot.ops import demo_pages as demo
from bot.transport.webhook import APP_KEY, handle_update, health
from integrations.identity.demo import AUTHORIZE_PATH, DemoProvider
from web import confirm, login
from web.pages import allow_forms_to


def create_web_app(app: App, *, webhook: bool) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    origins = form_origins(app.settings)

    async def forms_only_to_the_provider(
        _request: web.Request, response: web.StreamResponse
    ) -> None:
        policy = response.headers.get("Content-Security-Policy")
        if policy is not None:
            response.headers["Content-Security-Policy"] = allow_forms_to(policy, origins)

    web_app.on_response_prepare.append(forms_only_to_the_provider)
    routes = web_app.router
    routes.add_get("/healthz", health)
    routes.add_get("/link/{token}", login.link_page)
    routes.add_post("/link/{token}", login.link_continue)
    routes.add_get(login.CALLBACK_PATH, login.callback)
    routes.add_post(login.CALLBACK_PATH, login.callback)
    routes.add_get("/confirm/{token}", confirm.confirm_page)
    routes.add_post("/confirm/{token}", confirm.confirm_submit)
    if isinstance(app.identity, DemoProvider):
        routes.add_get(AUTHORIZE_PATH, demo.demo_authorize_page)
        routes.add_post(AUTHORIZE_PATH, demo.demo_authorize)
    if isinstance(app.mailer, DemoMailbox):
        routes.add_get("/demo/mail", demo.demo_mail)
    if webhook:
        routes.add_post(app.settings.webhook_path, handle_update)
    return web_app
