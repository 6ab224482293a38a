"""The web chat for people: one self-contained page driving the control API."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

PAGE = Path(__file__).with_name("static") / "chat.html"


async def chat_page(request: web.Request) -> web.Response:
    # Read per request so edits to the page show up without a restart.
    return web.Response(
        text=PAGE.read_text(encoding="utf-8"),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", chat_page)
    app.router.add_get("/chat", chat_page)
