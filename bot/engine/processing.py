"""Every update: deduplicate, serialize per user, handle, queue, commit, send.

Order of events for every update:
1. take the user's lock (in-process, or Redis across processes);
2. join the next transaction (`bot.engine.group_commit`: updates of different people that arrive
   together share one); record the update id (a redelivered update stops here); take a
   PostgreSQL advisory lock for the user so replicas serialize too;
3. run the handlers, which change state and queue replies on `Outgoing`;
4. store the queued replies in the outbox and commit — only now is the update acknowledged;
5. send the replies (still holding the user's lock, so a chat's replies stay in order).
A handler bug rolls its changes back and is raised to `bot.engine.intake`, which tries the update
again and, after a few failures, sets it aside (`bot.engine.quarantine`) and tells the person; a
database outage raises `DatabaseUnavailable` so the update is not acknowledged and Telegram
delivers it again.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.types import TelegramObject, Update

from bot.delivery.outbox import OutboxSender
from bot.engine.group_commit import GroupCommit, Handler, Work
from bot.logs import fields
from storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)


class UpdateTransaction(BaseMiddleware):
    def __init__(
        self,
        *,
        sender: OutboxSender,
        isolation: BaseEventIsolation,
        batches: GroupCommit,
    ) -> None:
        self._sender = sender
        self._batches = batches
        self._isolation = isolation

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot_id: int = data["bot"].id
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        user_id = context.user_id if context else None
        chat_id = context.chat_id if context else None
        key = StorageKey(bot_id=bot_id, chat_id=chat_id or 0, user_id=user_id or 0)
        async with self._isolation.lock(key):
            try:
                result, ids = await self._batches.handle(
                    Work(handler, event, data, bot_id=bot_id, user_id=user_id, chat_id=chat_id)
                )
            except DatabaseUnavailable:
                log.warning(
                    "update not acknowledged: database unavailable",
                    extra=fields(update_id=event.update_id),
                )
                raise
            except Exception:
                # Rolled back; bot/engine/intake.py counts it and tries again or sets it aside.
                log.exception(
                    "handler failed; changes rolled back", extra=fields(update_id=event.update_id)
                )
                raise
            await self._sender.deliver(ids)
        return result
