"""aiogram FSM storage in SQL: conversation state lives in the update's own transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from storage.database import Database
from storage.repositories import ConversationStates


class ConversationCache:
    """One update's view of conversation state: read once, written once at the end.

    aiogram reads the state on every update and `clear()` writes state and data separately;
    this turns that into one SELECT and at most one upsert per key, and none when unchanged.
    """

    def __init__(
        self,
        states: ConversationStates,
        preloaded: Mapping[str, tuple[str | None, dict[str, Any]]] | None = None,
    ) -> None:
        self._states = states
        self._loaded: dict[str, tuple[str | None, dict[str, Any]]] = dict(preloaded or {})
        self._current: dict[str, tuple[str | None, dict[str, Any]]] = dict(self._loaded)

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]]:
        if key not in self._current:
            self._loaded[key] = self._current[key] = await self._states.get(key)
        state, data = self._current[key]
        return state, dict(data)

    async def set_state(self, key: str, state: str | None) -> None:
        _, data = await self.get(key)
        self._current[key] = (state, data)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        state, _ = await self.get(key)
        self._current[key] = (state, dict(data))

    async def flush(self) -> None:
        for key, (state, data) in self._current.items():
            if self._loaded.get(key) != (state, data):
                await self._states.save(key, state, data)
        self._loaded.update(self._current)


# The conversation state of the update being handled, in its transaction; set by
# `bot.engine.processing`.
current_conversations: ContextVar[ConversationCache | None] = ContextVar(
    "current_conversations", default=None
)


_KEYS = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)


def conversation_key(*, bot_id: int, chat_id: int, user_id: int) -> str:
    """The storage key aiogram's FSM uses for a person in a chat (no topics, default destiny)."""
    return _KEYS.build(StorageKey(bot_id=bot_id, chat_id=chat_id, user_id=user_id))


class SqlStorage(BaseStorage):
    """State changes commit or roll back together with everything else the update did."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._keys = _KEYS

    @asynccontextmanager
    async def _states(self) -> AsyncIterator[ConversationCache]:
        cache = current_conversations.get()
        if cache is not None:
            yield cache
            return
        # Outside an update (tests, scripts): a transaction of its own.
        async with self._database.transaction() as session:
            cache = ConversationCache(ConversationStates(session))
            yield cache
            await cache.flush()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._states() as states:
            await states.set_state(self._keys.build(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._states() as states:
            state, _data = await states.get(self._keys.build(key))
            return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._states() as states:
            await states.set_data(self._keys.build(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._states() as states:
            _state, data = await states.get(self._keys.build(key))
            return data

    async def close(self) -> None:
        """The database is closed by whoever owns it."""
