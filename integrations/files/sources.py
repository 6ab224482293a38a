"""Byte sources for `portal.ports.ByteSource` besides aiohttp's `StreamReader`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO


class BytesSource:
    """Bytes already in memory (tests, a PDF just built)."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._offset = 0
        self.bytes_read = 0

    async def read(self, n: int = -1, /) -> bytes:
        end = len(self._view) if n < 0 else self._offset + n
        chunk = bytes(self._view[self._offset : end])
        self._offset += len(chunk)
        self.bytes_read += len(chunk)
        return chunk


class IteratorSource:
    """Chunks of any size (aiogram's `session.stream_content`) served `n` bytes at a time,
    so the store's cap counts exactly; stops pulling chunks once the reader stops asking."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    async def read(self, n: int = -1, /) -> bytes:
        while not self._pending:
            try:
                self._pending = await anext(self._chunks)
            except StopAsyncIteration:
                return b""
        if n < 0:
            n = len(self._pending)
        chunk, self._pending = self._pending[:n], self._pending[n:]
        return chunk


class FileSource:
    """An open file (the bench, re-checking a stored file)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.bytes_read = 0

    @classmethod
    def open(cls, path: Path) -> FileSource:
        return cls(path.open("rb"))

    async def read(self, n: int = -1, /) -> bytes:
        chunk = await asyncio.to_thread(self._file.read, n)
        self.bytes_read += len(chunk)
        return chunk

    def close(self) -> None:
        self._file.close()
