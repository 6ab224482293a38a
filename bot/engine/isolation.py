"""One user's updates one at a time within this process, on locks forgotten once free
(`bot.locks`): unlike aiogram's `SimpleEventIsolation`, which keeps every key's lock for good."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from bot.locks import KeyedLocks


class LocalEventIsolation(BaseEventIsolation):
    """One user's updates one at a time, within this process."""

    def __init__(self) -> None:
        self.locks = KeyedLocks()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with self.locks.hold(key):
            yield

    async def close(self) -> None:
        pass  # nothing is kept once released
