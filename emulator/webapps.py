"""Mini Apps: what a Telegram client does when a `web_app` button is pressed.

Telegram opens the button's URL with `#tgWebAppData=<initData>&tgWebAppVersion=…` appended;
`initData` is a query string (`query_id`, `user` as JSON, `auth_date`, `signature`, `hash`)
whose `hash` is HMAC-SHA256 over its other fields, sorted, as `key=value` lines, keyed by
HMAC-SHA256("WebAppData", bot token) (core.telegram.org/bots/webapps). The emulator keeps
that derived key, not the token, so it signs exactly as Telegram would for that bot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import quote, urlencode

from .actions import ActionError
from .models import JSON, User
from .state import BotWorld

WEB_APP_VERSION = "8.0"


def web_app_key(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def init_data(world: BotWorld, user: User, *, age_seconds: float = 0.0) -> str:
    """Signed initData for `user` of this bot, as if opened `age_seconds` ago."""
    if world.web_app_key is None:
        raise ActionError(409, "the bot has not called the Bot API yet: its token is unknown")
    person: JSON = {"id": user.id, "first_name": user.first_name}
    for name in ("last_name", "username", "language_code"):
        if getattr(user, name):
            person[name] = getattr(user, name)
    person["allows_write_to_pm"] = True
    fields = {
        "query_id": "AAE" + secrets.token_urlsafe(18),
        "user": json.dumps(person, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time() - age_seconds)),
        # Telegram's Ed25519 signature for third parties; the emulator has no Telegram key,
        # so this is a placeholder of the same shape (the bot must hash it like any field).
        "signature": secrets.token_urlsafe(64),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    fields["hash"] = hmac.new(world.web_app_key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def launch_url(url: str, data: str) -> str:
    """The URL the client opens: the button's, with the launch parameters in the fragment."""
    fragment = urlencode(
        {"tgWebAppData": data, "tgWebAppVersion": WEB_APP_VERSION, "tgWebAppPlatform": "web"},
        quote_via=quote,
    )
    return f"{url}{'&' if '#' in url else '#'}{fragment}"


def open_web_app(
    world: BotWorld, user: User, message_id: int, text: str | None, age_seconds: float = 0.0
) -> JSON:
    """Press a `web_app` button (the first, or the one with this text) of a bot message."""
    message = world.find_message(user.id, message_id)
    if message is None or not message.outgoing:
        raise ActionError(400, f"message {message_id} not found (or deleted) among the bot's")
    buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
    for button in buttons:
        if "web_app" in button and (text is None or button.get("text") == text):
            url = str(button["web_app"]["url"])
            data = init_data(world, user, age_seconds=age_seconds)
            return {"url": url, "init_data": data, "launch_url": launch_url(url, data)}
    shown = [b.get("text") for b in buttons]
    raise ActionError(400, f"no web_app button {text!r} on message {message_id}; buttons: {shown}")
