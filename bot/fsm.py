"""aiogram FSM storage in SQL: conversation state lives in the update's own transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from storage.database import Database
from storage.repositories import ConversationStates, SqlUnitOfWork

# The unit of work of the update being handled; set by `bot.processing`.
current_uow: ContextVar[SqlUnitOfWork | None] = ContextVar("current_uow", default=None)


class SqlStorage(BaseStorage):
    """State changes commit or roll back together with everything else the update did."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    @asynccontextmanager
    async def _states(self) -> AsyncIterator[ConversationStates]:
        uow = current_uow.get()
        if uow is not None:
            yield uow.conversations
            return
        # Outside an update (tests, scripts): a transaction of its own.
        async with self._database.transaction() as session:
            yield ConversationStates(session)

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
