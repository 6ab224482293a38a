"""The user guide as a PDF (`GET /guide/{lang}.pdf`): the same for everyone in a language and
holding nothing personal, so it is public; made once per language and process (from the
section registry, `dialogs.guide`) by what the wiring hands over as `Surface.guide`."""

from __future__ import annotations

import asyncio

from aiohttp import web

from portal import languages
from web.surface import SURFACE

PATH = "/guide/{lang}.pdf"
MADE: web.AppKey[dict[str, bytes]] = web.AppKey("altum_guide_pdfs", dict)  # by language


async def guide_pdf(request: web.Request) -> web.Response:
    surface = request.app[SURFACE]
    lang = request.match_info["lang"]
    if surface.guide is None or lang not in languages.SUPPORTED:
        raise web.HTTPNotFound
    made = request.app[MADE]
    pdf = made.get(lang)
    if pdf is None:
        pdf = made[lang] = await asyncio.to_thread(surface.guide, lang)  # CPU: off the loop
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="altum-guide-{lang}.pdf"'},
    )
