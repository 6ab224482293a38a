"""Plain records of the simulated world and their Telegram JSON shapes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Encoded:
    """A JSON value together with its text, written once, exactly as `json.dumps` writes it.

    aiohttp's json_response writes answers with `json.dumps` too, so a Bot API answer spliced
    together from these texts is byte for byte the one it would have written.
    """

    value: Any  # treat as read-only: the text does not follow changes
    text: bytes

    @classmethod
    def of(cls, value: Any) -> Encoded:
        return cls(value, json.dumps(value).encode())

    @classmethod
    def array(cls, items: Iterable[Encoded]) -> Encoded:
        """The JSON array of the items, reusing their texts."""
        listed = list(items)
        return cls([i.value for i in listed], b"[" + b", ".join(i.text for i in listed) + b"]")


@dataclass
class BotIdentity:
    id: int
    username: str
    first_name: str

    def to_api(self) -> JSON:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    # Telegram refuses to let a bot write first; the user must have written to it.
    started: bool = False
    blocked: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def to_control(self) -> JSON:
        return {**self.to_api(), "started": self.started, "blocked": self.blocked}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str  # "document" or "photo"
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Message:
    message_id: int
    chat_id: int
    date: int
    outgoing: bool  # sent by the bot
    sender: JSON  # the `from` object
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None  # inline keyboards only, as Telegram echoes them
    reply_keyboard: JSON | None = None  # reply keyboard / remove / force_reply it carried
    document: JSON | None = None
    photo: list[JSON] | None = None
    link_preview_options: JSON | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    deleted: bool = False

    def to_api(self, chat: JSON, with_reply: bool = True) -> JSON:
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(chat, with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.link_preview_options:
            data["link_preview_options"] = self.link_preview_options
        if self.document is not None:
            data["document"] = self.document
        if self.photo is not None:
            data["photo"] = self.photo
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            data["reply_markup"] = self.reply_markup
        return data

    def to_control(self) -> JSON:
        """What tests and the web chat see: current content plus bookkeeping flags."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "from_bot": self.outgoing,
            "from": self.sender,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_markup": self.reply_markup,
            "reply_keyboard": self.reply_keyboard,
            "document": self.document,
            "photo": self.photo,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "edited": self.edit_date is not None,
            "edit_date": self.edit_date,
            "deleted": self.deleted,
        }


@dataclass(eq=False)  # identity matters: a redelivered copy is a different delivery
class Update:
    update_id: int
    kind: str  # message, callback_query, my_chat_member, ...
    payload: Any  # the kind's object; any JSON value for an update injected as it is
    chat_id: int
    # An update injected through the control API: its fields exactly as given, for updates
    # Telegram may send but a bot's library cannot read (newer fields, missing ones).
    raw: JSON | None = None

    def to_api(self) -> JSON:
        if self.raw is not None:
            return {"update_id": self.update_id, **self.raw}
        return {"update_id": self.update_id, self.kind: self.payload}

    @cached_property
    def encoded(self) -> Encoded:
        """to_api() and its JSON, made once for every getUpdates answer and webhook POST.

        A queued update never changes: nothing writes to its payload, and the objects it
        shares with a Message (entities, markup, files) are replaced on edits, never changed
        in place. A redelivery queues a new Update. So the JSON made once stays right.
        """
        return Encoded.of(self.to_api())


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float  # time.monotonic() based
    answered: bool = False
    answer: JSON | None = None


@dataclass
class CallRecord:
    seq: int
    method: str
    params: JSON
    status: int
    result: Any
    error: JSON | None
    time: float
    duration_ms: float
    chat_id: int | None
    source: str = "http"
    fault: bool = False

    def to_control(self) -> JSON:
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "ok": self.error is None,
            "result": self.result,
            "error": self.error,
            "time": self.time,
            "duration_ms": self.duration_ms,
            "chat_id": self.chat_id,
            "source": self.source,
            "fault": self.fault,
        }


@dataclass
class Fault:
    """Misbehaviour for the next `count` calls of `method` ('*' = any method)."""

    id: int
    method: str
    count: int
    status: int | None = None
    description: str | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    drop: bool = False
    body: str | None = None  # raw non-JSON body, e.g. an nginx 502 page

    def matches(self, method: str) -> bool:
        return self.count > 0 and (self.method == "*" or self.method.lower() == method.lower())

    def to_control(self) -> JSON:
        return {
            "id": self.id,
            "method": self.method,
            "count": self.count,
            "status": self.status,
            "description": self.description,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "drop": self.drop,
            "body": self.body,
        }


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


def now() -> int:
    return int(time.time())
