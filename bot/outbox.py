"""The transactional outbox for Bot API calls: stored with the update, sent after commit.

The process that handled an update sends its rows right away (they are leased to it at
insert); the sweeper of any process takes over rows whose lease ran out, such as those of a
process killed between commit and send. Delivery is at least once and in order per chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import aiogram.methods
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod

from bot.logs import fields
from storage.database import Database, DatabaseUnavailable
from storage.repositories import Outbox, PendingMessage

log = logging.getLogger(__name__)

TELEGRAM = "telegram"
_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__: cls
    for cls in vars(aiogram.methods).values()
    if isinstance(cls, type) and issubclass(cls, TelegramMethod) and hasattr(cls, "__api_method__")
}
# Answers that mean "nothing left to do", not "try again".
_HARMLESS = ("message is not modified", "query is too old")


def to_payload(method: TelegramMethod[Any]) -> dict[str, Any]:
    # Unset bot-wide defaults (parse_mode…) stay unset and are applied again when sent.
    defaults = {name for name, value in method if isinstance(value, Default)}
    params = method.model_dump(mode="json", exclude_none=True, exclude=defaults)
    return {"method": method.__api_method__, "params": params}


def from_payload(payload: dict[str, Any]) -> TelegramMethod[Any]:
    return _METHODS[payload["method"]].model_validate(payload["params"])


class OutboxSender:
    def __init__(
        self, database: Database, bot: Bot, *, lease: timedelta, sweep_every: float = 1.0
    ) -> None:
        self._database = database
        self._bot = bot
        self._lease = lease
        self._sweep_every = sweep_every
        self._sent: list[int] = []  # sent, to be marked so in the next batch
        self._chat_locks: dict[int | None, asyncio.Lock] = {}

    async def queue(
        self, outbox: Outbox, items: Iterable[tuple[int | None, Any]]
    ) -> list[PendingMessage]:
        """Store Bot API calls in the caller's transaction."""
        return await outbox.add(
            kind=TELEGRAM,
            items=[(chat_id, to_payload(method)) for chat_id, method in items],
            lease=self._lease,
        )

    async def deliver(self, rows: list[PendingMessage]) -> None:
        """Send rows this process just committed (still leased to it), in order.

        Never raises: the rows are durable, and whatever is not sent now the sweeper sends.
        """
        if not rows:
            return
        try:
            await self._send(rows)
        except Exception:
            log.exception("outbox: immediate delivery failed; the sweeper will retry")

    async def sweep_once(self, limit: int = 100) -> int:
        async with self._database.transaction() as session:
            rows = await Outbox(session).claim_due(limit=limit, lease=self._lease)
        if rows:
            log.info("outbox: taking over pending messages", extra=fields(count=len(rows)))
            await self._send(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event, *, mark_every: float = 0.05) -> None:
        """Mark sent messages in batches and sweep, until `stop` is set."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not stop.is_set():
            try:
                await self.mark_sent()
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self._sweep_every
                    await self.sweep_once()
            except DatabaseUnavailable:
                log.warning("outbox: database unavailable, will retry")
            except Exception:
                log.exception("outbox: sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=mark_every)
        with contextlib.suppress(Exception):
            await self.mark_sent()

    async def mark_sent(self) -> None:
        """One transaction for everything sent since the last call: on SQLite, whose single
        writer every update waits for, one per message would halve throughput."""
        if not self._sent:
            return
        ids, self._sent = self._sent, []
        try:
            async with self._database.transaction() as session:
                await Outbox(session).mark_sent(ids)
        except Exception:
            self._sent.extend(ids)
            raise

    async def _send(self, rows: list[PendingMessage]) -> None:
        sent: list[int] = []
        failed: list[tuple[int, str]] = []
        postponed: list[tuple[int, str, int]] = []
        blocked_chats: set[int | None] = set()
        for row in rows:
            if row.chat_id in blocked_chats:
                continue  # keep the chat's order: the rest waits for the one that failed
            async with self._lock(row.chat_id):
                outcome, error = await self._send_one(row)
            if outcome == "sent":
                sent.append(row.id)
            elif outcome == "failed":
                failed.append((row.id, error))
            else:
                postponed.append((row.id, error, row.attempts))
                blocked_chats.add(row.chat_id)
        self._sent.extend(sent)
        if not failed and not postponed:
            return
        async with self._database.transaction() as session:
            outbox = Outbox(session)
            for message_id, error in failed:
                await outbox.mark_failed(message_id, error)
            for message_id, error, attempts in postponed:
                delay = timedelta(seconds=min(300, 2 ** min(attempts, 8)))
                await outbox.retry_later(message_id, error, delay)

    async def _send_one(self, row: PendingMessage) -> tuple[str, str]:
        method = from_payload(row.payload)
        try:
            await self._bot(method)
        except TelegramBadRequest as exc:
            if any(text in exc.message for text in _HARMLESS):
                return "sent", ""
            log.error(
                "outbox: Telegram refused a call",
                extra=fields(id=row.id, method=row.payload["method"], error=exc.message),
            )
            return "failed", exc.message
        except TelegramForbiddenError as exc:
            log.info("outbox: user blocked the bot", extra=fields(id=row.id))
            return "failed", exc.message
        except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError) as exc:
            log.warning("outbox: will retry", extra=fields(id=row.id, error=type(exc).__name__))
            return "postponed", type(exc).__name__
        except TelegramAPIError as exc:
            return "failed", exc.message
        return "sent", ""

    def _lock(self, chat_id: int | None) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock
