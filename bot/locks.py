"""Per-key locks within one process, kept only while someone holds or waits for them: a
person's updates (`bot.engine.isolation`) and a chat's outgoing messages (`bot.delivery.outbox`).

aiogram's `SimpleEventIsolation` keeps every key's lock for good, so a long-running bot's
memory, and the heap its garbage collector walks, would grow with every person it ever served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holding or waiting


class KeyedLocks:
    """One `asyncio.Lock` per key, first come first served, forgotten when free."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}

    def __len__(self) -> int:
        """Keys held or waited for now."""
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:  # also when cancelled while waiting
            entry.users -= 1
            if not entry.users:
                del self._entries[key]
