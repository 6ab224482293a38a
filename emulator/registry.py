"""The table of Bot API methods and the context each handler receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .models import User
from .params import Params
from .state import BotWorld
from .validation import ApiError, bad_request


@dataclass
class Call:
    world: BotWorld
    params: Params
    method: str
    description: str | None = None  # Telegram adds one to a few answers ("Webhook was set")
    chat_id: int | None = None  # for filtering the calls log

    def private_chat(self) -> User:
        """The user behind chat_id; only private chats exist in the emulator."""
        chat_id = self.params.chat_id()
        if isinstance(chat_id, int):
            self.chat_id = chat_id
        user = self.world.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        return user

    def writable_chat(self) -> User:
        user = self.private_chat()
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return user


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


H = TypeVar("H", bound=Handler)


def bot_method(name: str) -> Callable[[H], H]:
    """Register a handler; Telegram matches method names case-insensitively."""

    def register(handler: H) -> H:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register
