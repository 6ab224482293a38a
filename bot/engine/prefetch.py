"""Documents and photos are downloaded before the update's transaction.

A 20 MB download takes seconds; inside the transaction it would hold SQLite's one writer (or
a pooled PostgreSQL connection and the person's advisory lock) all that while. So, first
thing for a message with a file, the bytes are staged under FILES_DIR/staging (capped at
FILES_MAX_BYTES + 1, a declared size out of bounds not downloaded at all) and handed to the
handlers as `prefetched`; the handler checks and keeps them, or they are deleted when the
update is done. One person's updates still come one after another (the poller and Telegram's
webhook keep their order), so the pages of an album stay in order. A failed download is no
failure of the update: the handler then downloads inside, as before.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.engine.group_commit import Handler
from bot.logs import fields
from dialogs.uploads import FileDesk, Prefetched, prefetch

log = logging.getLogger(__name__)


class FilePrefetch(BaseMiddleware):
    def __init__(self, desk: FileDesk) -> None:
        self._desk = desk

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        fetched: Prefetched | None = None
        if message is not None and message.chat.type == "private":
            bot: Bot = data["bot"]
            try:
                fetched = await prefetch(bot, message, self._desk)
            except Exception as exc:  # the handler downloads it itself
                log.warning(
                    "prefetch failed",
                    extra=fields(update_id=event.update_id, error=type(exc).__name__),
                )
        if fetched is None:
            return await handler(event, data)
        data["prefetched"] = fetched
        try:
            return await handler(event, data)
        finally:
            if fetched.staged is not None:  # kept by the handler, or not wanted
                await self._desk.store.discard(fetched.staged)
