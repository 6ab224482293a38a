"""The reminder scheduler: every `REMINDER_CHECK_SECONDS` it takes the due reminders
(`portal.reminders.fire_due`) and turns them into pushes in the outbox, in one transaction;
the push sender sends them at its pace. Several processes may run it: on PostgreSQL each
claims its reminders with SKIP LOCKED, on SQLite the single writer takes turns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiogram.utils.i18n import I18n

from bot.delivery.notifier import ChatNotifier
from bot.delivery.outbox import OutboxSender
from bot.logs import fields
from dialogs.outgoing import Outgoing
from portal.model import ReminderPolicy
from portal.reminders import fire_due
from storage.database import Database, DatabaseUnavailable
from storage.repositories import PendingMessage, SqlUnitOfWork

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReminderScheduler:
    def __init__(
        self,
        database: Database,
        sender: OutboxSender,
        i18n: I18n,
        *,
        policy: ReminderPolicy,
        every: float,
        clock: Clock = utcnow,
    ) -> None:
        self._database = database
        self._sender = sender
        self._i18n = i18n
        self.policy = policy
        self._every = every
        self.clock = clock  # tests set their own

    async def tick(self) -> int:
        """Send what is due now (in batches until nothing is); how many were sent."""
        total = 0
        while True:
            outgoing = Outgoing(chat_id=None)
            rows: list[PendingMessage] = []
            async with self._database.transaction() as session:
                uow = SqlUnitOfWork(session)
                notifier = ChatNotifier(uow, self._i18n, outgoing)
                fired = await fire_due(
                    uow=uow, notifier=notifier, policy=self.policy, now=self.clock(), limit=50
                )
                if outgoing.queued:
                    rows = await self._sender.queue(uow.outbox, outgoing.queued)
            await self._sender.deliver(rows)
            total += fired.sent
            if fired.handled < 50:  # fewer than a batch: nothing more is due
                return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.tick()
                if sent:
                    log.info("reminders sent", extra=fields(count=sent))
            except DatabaseUnavailable:
                log.warning("reminders: database unavailable, will retry")
            except Exception:
                log.exception("reminders: a check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._every)
