"""Who opened a Telegram Mini App: the `initData` Telegram hands the page, checked as Telegram
documents (core.telegram.org/bots/webapps, "Validating data received via the Mini App").

Telegram signs `initData` with a key derived from the bot's token, so only Telegram (and we)
can make it: a page that posts valid `initData` naming user 42 was opened in Telegram by user
42, from a button of this bot, at `auth_date`. A URL copied into a browser carries none, and
another bot's Mini App signs with another key. Anything that binds a web page to the Telegram
user who asked (logging in, confirming a signature) checks it here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl

# Telegram's fixed key for deriving the Mini App secret from the bot token.
_WEB_APP_DATA = b"WebAppData"
# The page posts it as soon as it loads; the rest is room for slow networks and clocks. Short,
# because initData is a bearer proof while it lasts.
MAX_AGE = timedelta(minutes=3)
CLOCK_SKEW = timedelta(minutes=1)
MAX_LENGTH = 8192  # Telegram's initData is well under 2 KiB


class MiniAppRefusal(StrEnum):
    FOREIGN_ORIGIN = "foreign_origin"  # posted by another site's page, not ours
    MISSING = "missing"  # opened outside Telegram: a browser, a forwarded URL
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"  # forged, altered, or signed for another bot
    EXPIRED = "expired"  # auth_date too old (or in the future)
    WRONG_USER = "wrong_user"  # genuine, but another Telegram user than the one expected


class MiniAppRefused(Exception):
    def __init__(self, reason: MiniAppRefusal, user: MiniAppUser | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.user = user  # genuinely Telegram's (EXPIRED, WRONG_USER): whom to answer, and how


@dataclass(frozen=True, slots=True)
class MiniAppUser:
    """The Telegram user `initData` vouches for."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    """HMAC-SHA256 with the key "WebAppData" over the token: what signs `initData`."""
    return hmac.new(_WEB_APP_DATA, bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but `hash`, sorted by key, as `key=value` lines (values as received)."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], key: bytes) -> str:
    return hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify_init_data(
    init_data: str,
    *,
    key: bytes,
    now: datetime,
    expected_user_id: int | None = None,
    max_age: timedelta = MAX_AGE,
) -> MiniAppUser:
    """The user behind genuine, fresh `initData`; raises `MiniAppRefused` otherwise.

    With `expected_user_id`, a genuine `initData` of anyone else is refused as WRONG_USER.
    """
    fields = _fields(init_data)
    received = fields["hash"].encode()  # bytes: compare_digest refuses non-ASCII str
    if not hmac.compare_digest(sign(fields, key).encode(), received):
        raise MiniAppRefused(MiniAppRefusal.BAD_SIGNATURE)
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id, first_name = user["id"], user.get("first_name", "")
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise MiniAppRefused(MiniAppRefusal.MALFORMED) from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise MiniAppRefused(MiniAppRefusal.MALFORMED)
    found = MiniAppUser(
        id=user_id,
        first_name=first_name if isinstance(first_name, str) else "",
        username=_text(user.get("username")),
        language_code=_text(user.get("language_code")),
        auth_date=auth_date,
    )
    if not now - max_age <= auth_date <= now + CLOCK_SKEW:
        raise MiniAppRefused(MiniAppRefusal.EXPIRED, found)
    if expected_user_id is not None and user_id != expected_user_id:
        raise MiniAppRefused(MiniAppRefusal.WRONG_USER, found)
    return found


def _fields(init_data: str) -> dict[str, str]:
    if not init_data:
        raise MiniAppRefused(MiniAppRefusal.MISSING)
    if len(init_data) > MAX_LENGTH:
        raise MiniAppRefused(MiniAppRefusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise MiniAppRefused(MiniAppRefusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise MiniAppRefused(MiniAppRefusal.MALFORMED)  # a key twice is never Telegram's
    return fields


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
