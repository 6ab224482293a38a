"""The world model: one separate BotWorld per bot id, plus change notification."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import (
    JSON,
    BotIdentity,
    CallbackQuery,
    CallRecord,
    Fault,
    Message,
    StoredFile,
    Update,
    User,
    WebhookState,
)

# Telegram's default when allowed_updates is empty: everything except these.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class EmulatorConfig:
    default_username: str = "altum_test_bot"
    webhook_timeout: float = 10.0
    webhook_retry_initial: float = 0.1
    webhook_retry_max: float = 2.0
    latency_ms: int = 0  # added to every Bot API call of every bot
    max_calls_log: int = 100_000
    max_history: int = 100_000  # updates kept for redelivery
    callback_ttl: float = 15 * 60
    long_poll_max: int = 50
    max_download_bytes: int = 20 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024

    def to_control(self) -> JSON:
        return dict(self.__dict__)


class Notifier:
    """A version counter that wakes every waiter on each change (no missed wake-ups)."""

    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()

    def notify(self) -> None:
        self.version += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return on the next change, or after `seconds`."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(seconds, 0))

    async def wait_for(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Wait until predicate() holds (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while True:
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self.wait(remaining)


@dataclass
class ChatState:
    chat_id: int
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    version: int = 0
    reply_keyboard: JSON | None = None  # the reply keyboard currently shown to the user
    chat_action: str | None = None
    chat_action_until: float = 0.0
    callback_answers: list[JSON] = field(default_factory=list)


class BotWorld:
    def __init__(self, identity: BotIdentity, config: EmulatorConfig) -> None:
        self.identity = identity
        self.config = config
        self.token_hash: str | None = None  # sha256 only: the token itself is never kept
        # What signs Mini App initData (derived from the token as Telegram derives it); it
        # cannot call the Bot API.
        self.web_app_key: bytes | None = None
        self.users: dict[int, User] = {}
        self.chats: dict[int, ChatState] = {}
        self.pending: list[Update] = []
        self.history: dict[int, Update] = {}
        self.next_update_id = random.randint(100_000, 900_000)
        self.allowed_updates: frozenset[str] | None = None
        self.files: dict[str, StoredFile] = {}
        self.file_paths: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.texts: dict[str, str] = {}  # setMyDescription & co, keyed "description:lv"
        self.webhook = WebhookState()
        self.calls: list[CallRecord] = []
        self.next_seq = 1
        self.faults: list[Fault] = []
        self.next_fault_id = 1
        self.poll_generation = 0
        self.closed = False  # set on reset/shutdown so pending long-polls return
        self.notifier = Notifier()
        self.on_webhook_change: Callable[[], None] | None = None
        self._next_user_id = 100_000_001 + random.randint(0, 1_000) * 1_000

    @property
    def bot_id(self) -> int:
        return self.identity.id

    def changed(self, chat_id: int | None = None) -> None:
        if chat_id is not None and chat_id in self.chats:
            self.chats[chat_id].version += 1
        self.notifier.notify()

    # --- users and chats ---------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
    ) -> User:
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        user = User(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats.setdefault(user_id, ChatState(user_id))
        self.changed()
        return user

    def chat(self, chat_id: int) -> ChatState:
        return self.chats.setdefault(chat_id, ChatState(chat_id))

    def add_message(self, chat_id: int, outgoing: bool, sender: JSON, **fields: Any) -> Message:
        chat = self.chat(chat_id)
        message = Message(
            chat.next_message_id, chat_id, int(time.time()), outgoing, sender, **fields
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        if outgoing:
            chat.chat_action = None  # Telegram clears "typing…" when a message arrives
        self.changed(chat_id)
        return message

    def find_message(self, chat_id: int, message_id: int) -> Message | None:
        chat = self.chats.get(chat_id)
        message = chat.messages.get(message_id) if chat else None
        return None if message is None or message.deleted else message

    def message_api(self, message: Message) -> JSON:
        return message.to_api(self.users[message.chat_id].chat_api())

    # --- updates -----------------------------------------------------------------------

    def update_allowed(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in NOT_DEFAULT_UPDATES
        return kind in self.allowed_updates

    def set_allowed_updates(self, value: Any) -> None:
        """Remember allowed_updates like Telegram: a list replaces it, [] means default."""
        if isinstance(value, list):
            names = frozenset(str(v) for v in value)
            self.allowed_updates = names or None

    def enqueue(self, kind: str, payload: Any, chat_id: int, raw: JSON | None = None) -> Update:
        update = Update(self.next_update_id, kind, payload, chat_id, raw)
        self.next_update_id += 1
        self.history[update.update_id] = update
        if len(self.history) > self.config.max_history:
            del self.history[next(iter(self.history))]
        if self.update_allowed(kind):
            self.pending.append(update)
        self.changed(chat_id)
        return update

    def redeliver(self, update_id: int) -> Update | None:
        original = self.history.get(update_id)
        if original is None:
            return None
        copy = Update(
            original.update_id, original.kind, original.payload, original.chat_id, original.raw
        )
        index = len(self.pending)
        while index > 0 and self.pending[index - 1].update_id > copy.update_id:
            index -= 1
        self.pending.insert(index, copy)
        self.changed()
        return copy

    def confirm(self, offset: int) -> None:
        """getUpdates offset semantics, including the negative form."""
        if offset < 0:
            self.pending = self.pending[offset:]
        elif offset > 0:
            self.pending = [u for u in self.pending if u.update_id >= offset]

    def acknowledge(self, update: Update) -> None:
        """A webhook accepted this exact update object."""
        if update in self.pending:  # usually at the front, so this is cheap
            self.pending.remove(update)
        self.webhook.delivered += 1
        self.changed()

    # --- files -------------------------------------------------------------------------

    def store_file(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        prefix = "AgACAgIAAxkBAAI" if kind == "photo" else "BQACAgIAAxkBAAI"
        file_id = prefix + secrets.token_urlsafe(48)
        unique = ("AQAD" if kind == "photo" else "AgAD") + secrets.token_urlsafe(9)
        folder = "photos" if kind == "photo" else "documents"
        extension = ""
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1][:8]
        elif kind == "photo":
            extension = "jpg"
        path = f"{folder}/file_{len(self.file_paths)}" + (f".{extension}" if extension else "")
        stored = StoredFile(file_id, unique, data, path, kind, file_name, mime_type)
        self.files[file_id] = stored
        self.file_paths[path] = stored
        return stored

    def alias_file(self, stored: StoredFile) -> StoredFile:
        """Another file_id for the same bytes (the sizes of one photo)."""
        alias = StoredFile(
            "AgACAgIAAxkBAAI" + secrets.token_urlsafe(48),
            "AQAD" + secrets.token_urlsafe(9),
            stored.data,
            stored.file_path,
            stored.kind,
            stored.file_name,
            stored.mime_type,
        )
        self.files[alias.file_id] = alias
        return alias

    # --- calls log & faults ------------------------------------------------------------

    def record_call(self, record: CallRecord) -> CallRecord:
        record.seq = self.next_seq
        self.next_seq += 1
        self.calls.append(record)
        overflow = len(self.calls) - self.config.max_calls_log
        if overflow > 0:
            del self.calls[:overflow]
        self.changed()
        return record

    def take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def add_fault(self, **fields: Any) -> Fault:
        fault = Fault(self.next_fault_id, **fields)
        self.next_fault_id += 1
        self.faults.append(fault)
        return fault

    def summary(self) -> JSON:
        return {
            **self.identity.to_api(),
            "bot_id": self.bot_id,
            "users": len(self.users),
            "pending_updates": len(self.pending),
            "webhook_url": self.webhook.url,
            "token_seen": self.token_hash is not None,
        }


class World:
    """All bots known to one emulator instance."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.bots: dict[int, BotWorld] = {}
        self.on_create: Callable[[BotWorld], None] | None = None  # e.g. hook up webhooks

    def bot(self, bot_id: int) -> BotWorld:
        world = self.bots.get(bot_id)
        if world is None:
            is_first = not self.bots
            username = self.config.default_username if is_first else f"bot{bot_id}_bot"
            first_name = "ALTUM Test Bot" if is_first else f"Test Bot {bot_id}"
            world = BotWorld(BotIdentity(bot_id, username, first_name), self.config)
            self.bots[bot_id] = world
            if self.on_create is not None:
                self.on_create(world)
        return world

    def reset(self, bot_id: int) -> BotWorld:
        old = self.bot(bot_id)
        old.closed = True
        fresh = BotWorld(old.identity, self.config)
        self.bots[bot_id] = fresh
        if self.on_create is not None:
            self.on_create(fresh)
        old.notifier.notify()  # wake long-polls of the old world so they finish
        return fresh


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
