"""The push sender: every push (a notice, a reminder: a message nobody in that chat just asked
for) goes out through here, at Telegram's pace, whichever process queued it.

- a global rate (`PUSH_RATE_PER_SECOND`) and at most one push a second per chat, for all
  processes on the database together: slots are handed out under one row's lock
  (`storage.push.PushQueue.claim`), a short horizon ahead, and each push is sent at its slot;
- a 429 pauses every process for its `retry_after` (the pace row moves), and the pushes this
  process had claimed but not sent are released for later;
- a push is leased to the process that claimed it until a while after its slot: a process
  killed with pushes claimed leaves them to another once the lease runs out. Each push is
  marked sent in a transaction of its own as soon as Telegram took it, so a kill -9 can send
  at most the pushes in flight at that moment twice, and loses none.

Replies to a person's own update are not pushes: they go at once (bot/delivery/outbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from aiogram import Bot

from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import json_params
from bot.delivery.telegram import RETRY_AFTER, Answer, JsonBotApi, RetryPolicy
from bot.logs import fields
from dialogs.outgoing import stored_document
from storage.database import Database, DatabaseUnavailable
from storage.push import Pace, PushQueue, Slot
from storage.repositories import Outbox, PendingMessage

log = logging.getLogger(__name__)

_ONE_TRY = RetryPolicy(attempts=1)  # a 429 is the whole pace's business, not one call's


def utcnow() -> datetime:
    return datetime.now(UTC)


class PushSender:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        outbox: OutboxSender,
        *,
        pace: Pace,
        poll_every: float = 1.0,
    ) -> None:
        self._database = database
        self._bot = bot
        self._outbox = outbox
        self.pace = pace
        self._poll_every = poll_every
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused_until = datetime.min.replace(tzinfo=UTC)
        self._api = JsonBotApi.for_bot(bot, policy=_ONE_TRY)
        self.sent = 0  # pushes Telegram took, for benches and tests
        self.late = 0  # pushes put back for missing their slot
        self._backlog = False  # whether the last claim saw pushes waiting

    def wake(self) -> None:
        """Pushes were committed: claim now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and send until `stop` is set; then wait for the pushes already claimed."""
        claims = 0
        try:
            while not stop.is_set():
                self._wake.clear()
                slots: list[Slot] = []
                try:
                    slots = await self.claim()
                    claims += 1
                    if claims % 1000 == 0:
                        await self._forget_chats()
                except DatabaseUnavailable:
                    log.warning("push: database unavailable, will retry")
                except Exception:
                    log.exception("push: claim failed")
                for slot in slots:
                    task = asyncio.create_task(self._send_at(slot))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                await self._until_next_claim(stop, slots)
        finally:
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            log.info("push: stopped", extra=fields(sent=self.sent, late=self.late, claims=claims))

    async def claim(self) -> list[Slot]:
        now = utcnow()
        if now < self._paused_until:
            return []
        async with self._database.transaction() as session:
            queue = PushQueue(session)
            self._backlog = await queue.waiting(now=now)
            if not self._backlog:
                return []
            return await queue.claim(now=now, pace=self.pace)

    async def _until_next_claim(self, stop: asyncio.Event, slots: list[Slot]) -> None:
        """While slots were handed out, claim again when half the horizon is left (the
        backlog may go on); when none, wait for a wake-up or the next poll."""
        if slots:
            last = max(slot.at for slot in slots)
            timeout = (last - utcnow()).total_seconds() - self.pace.horizon.total_seconds() / 2
            timeout = max(timeout, 0.005)
        else:
            pause = (self._paused_until - utcnow()).total_seconds()
            timeout = max(self._poll_every, pause) if pause > 0 else self._poll_every
            if self._backlog and pause <= 0:  # pushes wait for their chats or for slots
                timeout = min(timeout, self.pace.horizon.total_seconds() / 2)
            if pause <= 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(stop, self._wake), timeout=timeout)
                return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=timeout)

    async def _send_at(self, slot: Slot) -> None:
        delay = (slot.at - utcnow()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        row = slot.message
        try:
            now = utcnow()
            if now < self._paused_until:  # a 429 came after this was claimed
                await self._release([row.id], self._paused_until)
                return
            # Too late for its slot (a busy loop): sent now it could make a second's count
            # one too many. Three quarters of the allowance: the request still has to travel.
            if now - slot.at > self.pace.punctuality * 3 / 4:
                self.late += 1
                await self._release([row.id], now)
                return
            answer = await self._call(row)
            if answer.transient == RETRY_AFTER:
                await self._pause(row.id, float(answer.parameters.get("retry_after", 1)))
                return
            outcome, error = self._outbox.outcome(row, answer)
            async with self._database.transaction() as session:
                outbox = Outbox(session)
                if outcome == "sent":
                    await outbox.mark_sent([row.id])
                elif outcome == "failed":
                    await outbox.mark_failed(row.id, error)
                else:
                    await outbox.retry_later(row.id, error, OutboxSender.backoff(row.attempts))
            if outcome == "sent":
                self.sent += 1
        except Exception:
            # Still leased: another claim sends it once the lease has run out.
            log.exception("push: sending failed", extra=fields(id=row.id))

    async def _call(self, row: PendingMessage) -> Answer:
        if stored_document(row.payload) is not None:  # a file from the store, uploaded
            return await self._outbox.send_stored(row)
        payload = row.payload
        params = None if self._api is None else json_params(self._bot, dict(payload))
        if self._api is None or params is None:
            return await self._outbox.send_with_aiogram(dict(payload))
        return await self._api.call(str(payload["method"]), params)

    async def _pause(self, row_id: int, retry_after: float) -> None:
        until = utcnow() + timedelta(seconds=retry_after)
        self._paused_until = max(self._paused_until, until)
        log.warning("push: Telegram asks to wait", extra=fields(seconds=retry_after))
        async with self._database.transaction() as session:
            await PushQueue(session).pause(until=until)
            await PushQueue(session).release([row_id], at=until)

    async def _release(self, ids: list[int], at: datetime) -> None:
        async with self._database.transaction() as session:
            await PushQueue(session).release(ids, at=at)

    async def _forget_chats(self) -> None:
        async with self._database.transaction() as session:
            await PushQueue(session).forget_chats(before=utcnow() - timedelta(minutes=5))


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
