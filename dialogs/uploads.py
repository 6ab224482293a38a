"""What the dialogs need to take documents from the chat: the store, the inspector, the
photo binder and the rules (the runtime builds it from `FILES_…`), and Telegram's download
as a byte source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Message

from portal.documents import DocumentRules, check_size
from portal.model import Staged
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
        # 20 MB in two minutes: 1.4 Mbit/s at least between the Bot API server and us.
        return self._bot.session.stream_content(url=url, timeout=120, chunk_size=64 * 1024)

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


@dataclass(frozen=True, slots=True)
class SentFile:
    """A message's document or photo as Telegram describes it (nothing here is trusted but
    as a hint: the name gives a stem, the size allows an early refusal)."""

    file_id: str
    name: str
    size: int | None


def sent_file(message: Message) -> SentFile | None:
    if message.document is not None:
        document = message.document
        return SentFile(document.file_id, document.file_name or "document", document.file_size)
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram keeps
        return SentFile(photo.file_id, "photo.jpg", photo.file_size)
    return None


@dataclass(frozen=True, slots=True)
class Prefetched:
    """A message's file, downloaded and staged before the update's transaction (so that a
    slow download holds no database writer): `staged` None when it passed the size limit."""

    file_id: str
    staged: Staged | None

    def usable_for(self, file_id: str) -> bool:
        """For this file, and not used up: a handler run again (its batch rolled back) finds
        the staged file kept or discarded by the first run, and downloads it itself."""
        return self.file_id == file_id and (self.staged is None or self.staged.path.exists())


async def prefetch(bot: Bot, message: Message, desk: FileDesk) -> Prefetched | None:
    """Stage the message's file; None when there is none or its declared size is refused
    anyway (nothing is downloaded then)."""
    sent = sent_file(message)
    if sent is None or check_size(sent.size, desk.rules) is not None:
        return None
    staged = await desk.store.stage(
        TelegramDownload(bot, sent.file_id), max_bytes=desk.rules.max_bytes
    )
    return Prefetched(sent.file_id, staged)
