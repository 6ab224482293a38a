"""Webhook serving: the secret header checked in constant time, 200 only after commit.

Telegram retries any answer but 2xx, for as long as it takes: so an update that cannot be
handled is set aside in quarantine and answered 200 like any other (bot/engine/intake.py). Only a
database outage is answered 503, for the update to come again.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.app import App
from bot.engine.raw_updates import update_id_of
from bot.logs import fields
from storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
APP_KEY = web.AppKey("altum_app", App)


async def handle_update(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    expected = app.settings.webhook_secret.get_secret_value().encode()
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not expected or not hmac.compare_digest(given, expected):
        return web.json_response({"ok": False}, status=401)
    try:
        raw = await request.json()
    except ValueError:
        raw = None
    update_id = update_id_of(raw)
    if update_id is None:  # not JSON, or no update: Telegram never sends such a thing
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    try:
        await app.feed_raw(raw)  # handled, or set aside in quarantine
    except DatabaseUnavailable:
        # Not committed: Telegram retries non-2xx answers, and the retry is handled then.
        return web.json_response({"ok": False, "error": "unavailable"}, status=503)
    except Exception:
        # feed_raw sets failing updates aside; should that itself fail, never make Telegram
        # send this update forever.
        log.exception("webhook: update failed", extra=fields(update_id=update_id))
    return web.json_response({"ok": True})


async def health(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        await app.database.ping()
    except Exception:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})
