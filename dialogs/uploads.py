"""What the dialogs need to take documents from the chat: the store, the inspector, the
photo binder and the rules (the runtime builds it from `FILES_…`), and Telegram's download
as a byte source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiogram import Bot

from portal.documents import DocumentRules
from portal.ports import DocumentInspector, FileStore, PhotoBinder


@dataclass(frozen=True, slots=True)
class FileDesk:
    store: FileStore
    inspector: DocumentInspector
    binder: PhotoBinder
    rules: DocumentRules


class TelegramDownload:
    """A file's bytes from Telegram, streamed as they arrive (never the whole file in memory);
    reads at most what `FileStore.stage` asks for. The URL holds the bot's token: never logged."""

    def __init__(self, bot: Bot, file_id: str) -> None:
        self._bot, self._file_id = bot, file_id
        self._chunks: AsyncIterator[bytes] | None = None
        self._buffer = b""

    async def _open(self) -> AsyncIterator[bytes]:
        file = await self._bot.get_file(self._file_id)
        assert file.file_path is not None
        url = self._bot.session.api.file_url(self._bot.token, file.file_path)
        return self._bot.session.stream_content(url=url, chunk_size=64 * 1024)

    async def read(self, n: int = -1, /) -> bytes:
        if self._chunks is None:
            self._chunks = await self._open()
        while n < 0 or len(self._buffer) < n:
            try:
                self._buffer += await anext(self._chunks)
            except StopAsyncIteration:
                break
        if n < 0:
            n = len(self._buffer)
        chunk, self._buffer = self._buffer[:n], self._buffer[n:]
        return chunk
