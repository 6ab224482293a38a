"""Reading an update's JSON as Telegram sent it, without our library's models.

What the poller needs before parsing (the id, the sender, for ordering) and what the
quarantine needs when parsing failed (whom to apologise to, the JSON to keep). Nothing here
trusts the shape: any field may be missing or of another type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
RAW_LIMIT = 64 * 1024  # characters of an update's JSON kept in quarantine
_INT64 = range(-(2**63), 2**63)


def update_id_of(raw: object) -> int | None:
    """The update's id, if it has a usable one (Telegram's always do)."""
    if not isinstance(raw, dict):
        return None
    return _int64(raw.get("update_id"))


def kind_of(raw: JSON) -> str:
    """The update's kind: its first field besides `update_id` (Telegram sends one)."""
    for key in raw:
        if key != "update_id":
            return str(key)[:64]
    return ""


def sender_of(raw: JSON) -> int | None:
    """Who sent it, for handling one person's updates in order; cheap, on every update."""
    event = raw.get(kind_of(raw))
    if not isinstance(event, dict):
        return None
    sender = event.get("from") or event.get("user")
    return _int64(sender.get("id")) if isinstance(sender, dict) else None


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whom an update came from, as far as its JSON tells: for the apology."""

    user_id: int | None = None
    chat_id: int | None = None
    language_code: str | None = None
    callback_query_id: str | None = None


def addressee_of(raw: JSON) -> Addressee:
    kind = kind_of(raw)
    event = raw.get(kind)
    if not isinstance(event, dict):
        return Addressee()
    sender = event.get("from") or event.get("user")
    sender = sender if isinstance(sender, dict) else {}
    chat = event.get("chat")
    if not isinstance(chat, dict) and isinstance(event.get("message"), dict):
        chat = event["message"].get("chat")  # a callback query's message
    chat = chat if isinstance(chat, dict) else {}
    language = sender.get("language_code")
    query_id = event.get("id") if kind == "callback_query" else None
    return Addressee(
        user_id=_int64(sender.get("id")),
        chat_id=_int64(chat.get("id")),
        language_code=language[:8] if isinstance(language, str) else None,
        callback_query_id=query_id[:64] if isinstance(query_id, str) and query_id else None,
    )


def serialized(raw: JSON) -> tuple[str, bool]:
    """The JSON to keep (ASCII, so that any string Telegram sent can be stored) and whether
    it had to be cut at `RAW_LIMIT`."""
    text = json.dumps(raw, ensure_ascii=True, separators=(",", ":"))
    return text[:RAW_LIMIT], len(text) > RAW_LIMIT


def _int64(value: object) -> int | None:
    """An id the database can hold: a forged or fuzzed 2**70 is no id."""
    if isinstance(value, int) and not isinstance(value, bool) and value in _INT64:
        return value
    return None
