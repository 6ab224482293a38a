"""Webhook serving: the secret header checked in constant time, 200 only after commit."""

from __future__ import annotations

import hmac
import logging

from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.app import App
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
        update = Update.model_validate(await request.json(), context={"bot": app.bot})
    except (ValueError, ValidationError):
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    try:
        await app.feed(update)
    except DatabaseUnavailable:
        # Not committed: Telegram retries non-2xx answers, and the retry is handled then.
        return web.json_response({"ok": False, "error": "unavailable"}, status=503)
    except Exception:
        log.exception("webhook: update failed", extra=fields(update_id=update.update_id))
    return web.json_response({"ok": True})


async def health(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        await app.database.ping()
    except Exception:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})
