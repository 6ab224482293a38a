"""The pages people open in a browser: the login link's Mini App page, the identity provider's
callback and the e-mail confirmation. Served on WEB_PORT by `run` and `webhook` alike; the
runtime adds its own routes (health, Telegram's webhook, the demo's pages) to this app.

Network calls to the identity provider happen outside database transactions; every state
change and the chat messages it causes are committed together, then sent. The pages reach
the database only through the `Surface` the runtime hands them.
"""

from __future__ import annotations

from aiohttp import web

from web import confirm, email_confirm, guide, login, signing
from web.pages import allow_forms_to
from web.surface import SURFACE, Surface


def create_web_app(surface: Surface) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[SURFACE] = surface

    async def forms_only_to_the_provider(
        _request: web.Request, response: web.StreamResponse
    ) -> None:
        policy = response.headers.get("Content-Security-Policy")
        if policy is not None:
            response.headers["Content-Security-Policy"] = allow_forms_to(
                policy, surface.form_origins
            )

    web_app.on_response_prepare.append(forms_only_to_the_provider)
    routes = web_app.router
    routes.add_get("/link/{token}", login.link_page)
    routes.add_post("/link/{token}", login.link_continue)
    routes.add_get(login.CALLBACK_PATH, login.callback)
    routes.add_post(login.CALLBACK_PATH, login.callback)
    routes.add_get("/confirm/{token}", confirm.confirm_page)
    routes.add_post("/confirm/{token}", confirm.confirm_submit)
    routes.add_get(email_confirm.PATH, email_confirm.email_page)
    routes.add_post(email_confirm.PATH, email_confirm.email_submit)
    routes.add_get(guide.PATH, guide.guide_pdf)
    web_app[guide.MADE] = {}
    routes.add_get("/sign/{token}", signing.sign_page)  # issue 9: a signature's confirmation
    routes.add_post("/sign/{token}", signing.sign_details)
    routes.add_post("/sign/{token}/go", signing.sign_go)
    return web_app
