"""Group commit: updates of different people handled at the same moment share a transaction.

Every update needs the same bookkeeping: BEGIN, the processed-update claim, the per-user lock,
the conversation state, the account, the outbox insert, COMMIT. Paid per update that is seven
round trips through SQLAlchemy, most of the bot's CPU under load. Updates that arrive while
earlier ones are still in the database wait and then go together: one statement each for the
claims, the locks, the states, the accounts and the outbox rows, and one COMMIT. A lone update
goes at once, so nothing waits when the bot is quiet.

Each update still runs its own handlers with its own replies and state. If any of a batch's
handlers fails (a bug, a deadlock), the batch rolls back and its updates are handled again
alone, so one person's failure never costs another person's update; so is a batch that failed
as if the database were down while the database still answers. A handler's own exception
(`HandlerFailed`) names its update, whose attempt that was: it is not run again just to fail
again, so its handler runs exactly as often as its failures are counted. Nothing is
acknowledged or sent before the batch's COMMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import SQLAlchemyError

from bot.delivery.outbox import OutboxSender
from bot.engine.fsm import ConversationCache, conversation_key, current_conversations
from bot.logs import fields
from dialogs.outgoing import Outgoing
from storage.database import Database, DatabaseUnavailable
from storage.repositories import PendingMessage, SqlUnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Outcome = tuple[Any, list[PendingMessage]]  # the handlers' result, the outbox rows to send


class HandlerFailed(Exception):
    """A handler's own exception (`__cause__`), not the database's, and whose update it was.

    Raised inside the transaction, an OSError or a TimeoutError of a handler (a provider's
    network call, say) would otherwise be taken for a database outage: never acknowledged,
    retried forever, and failing everybody else's updates of the batch with it."""

    def __init__(self, message: str, *, update_id: int | None = None) -> None:
        super().__init__(message)
        self.update_id = update_id


@dataclass(eq=False)
class Work:
    """One update on its way through a batch; `done` resolves after the COMMIT."""

    handler: Handler
    update: Update
    data: dict[str, Any]
    bot_id: int
    user_id: int | None
    chat_id: int | None
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(
        self, *, database: Database, sender: OutboxSender, max_batch: int = 32, parallel: int = 2
    ) -> None:
        self.database = database
        self._sender = sender
        self._max_batch = max_batch
        # SQLite has one writer: a second batch would only wait for the first.
        self._parallel = 1 if database.is_sqlite else parallel
        self._waiting: deque[Work] = deque()
        self._running: set[asyncio.Task[None]] = set()
        self._quiet = asyncio.Event()  # no update waiting or in the database
        self._quiet.set()

    @property
    def parallel(self) -> int:
        """How many batches may be in the database at once."""
        return self._parallel

    @property
    def waiting(self) -> int:
        """Updates waiting for a batch to start."""
        return len(self._waiting)

    async def quiet(self, *, within: float) -> None:
        """Once no update is waiting or in the database, or after `within` seconds: the
        back-office API starts its batches in the chat's pauses (api/batch.py)."""
        if self._quiet.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), timeout=within)

    async def handle(self, work: Work) -> Outcome:
        """Handle one update in the next batch; raises what handling it alone would raise."""
        self._waiting.append(work)
        self._quiet.clear()
        self._start_batches()
        return await work.done

    def _start_batches(self) -> None:
        while self._waiting and len(self._running) < self._parallel:
            batch: list[Work] = []
            while self._waiting and len(batch) < self._max_batch:
                work = self._waiting.popleft()
                if not work.done.done():  # its caller may have been cancelled meanwhile
                    batch.append(work)
            if batch:
                task = asyncio.create_task(self._run(batch))
                self._running.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start_batches()
        if not self._running and not self._waiting:
            self._quiet.set()

    async def _run(self, batch: list[Work]) -> None:
        try:
            outcomes = await self._together(batch)
        except DatabaseUnavailable as exc:
            if len(batch) > 1 and await self.database.answers():
                # It looked like an outage, yet the database answers: perhaps one update's
                # own doing failed the batch. Alone, each finds out.
                log.info(
                    "batch failed, database answers; handling its updates one by one",
                    extra=fields(size=len(batch), error=str(exc)),
                )
                for work in batch:
                    await self._run([work])
                return
            for work in batch:
                _settle(work, exception=exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exception=exc)
                return
            # A handler's own exception names its update: that was its attempt, failed as it
            # would alone (the intake counts it and tries again). Run alone now, its handler
            # would fail once more, uncounted. The others are handled again, alone.
            failed = exc.update_id if isinstance(exc, HandlerFailed) else None
            log.info(
                "batch failed; handling its updates one by one",
                extra=fields(size=len(batch), failed_update_id=failed),
            )
            for work in batch:
                if failed is not None and work.update.update_id == failed:
                    _settle(work, exception=exc)
                else:
                    await self._run([work])
            return
        for work, outcome in zip(batch, outcomes, strict=True):
            _settle(work, outcome=outcome)

    async def _together(self, batch: list[Work]) -> list[Outcome]:
        bot_id = batch[0].bot_id
        async with self.database.transaction() as session:
            uow = SqlUnitOfWork(session)
            people = sorted({work.user_id for work in batch if work.user_id is not None})
            claimed = await uow.processed_updates.claim_many(
                bot_id=bot_id,
                update_ids=[work.update.update_id for work in batch],
                # The users' advisory locks (PostgreSQL) in the same statement.
                then_lock=self.database.lock_ids([f"user:{bot_id}:{user}" for user in people]),
            )
            todo = [work for work in batch if work.update.update_id in claimed]
            keys = {work: _conversation_key(work) for work in todo}
            states = await uow.preload(
                telegram_user_ids=people, conversation_keys=[k for k in keys.values() if k]
            )
            results: dict[Work, tuple[Any, Outgoing]] = {}
            for work in todo:
                key = keys[work]
                conversations = ConversationCache(
                    uow.conversations, {key: states[key]} if key else None
                )
                results[work] = await self._handle_one(work, uow, conversations)
            queued = [item for _, outgoing in results.values() for item in outgoing.queued]
            rows = iter(await self._sender.queue(uow.outbox, queued))
            outcomes: list[Outcome] = []
            for work in batch:
                if work not in results:
                    log.info(
                        "duplicate update ignored", extra=fields(update_id=work.update.update_id)
                    )
                    outcomes.append((UNHANDLED, []))
                    continue
                result, outgoing = results[work]
                ids = [next(rows) for _ in outgoing.queued]
                for email in outgoing.emails:
                    ids += await self._sender.queue_email(
                        uow.outbox,
                        to=email.to,
                        subject=email.subject,
                        text=email.text,
                        secrets=email.secrets,
                        expires_at=email.expires_at,
                    )
                outcomes.append((result, ids))
            return outcomes

    @staticmethod
    async def _handle_one(
        work: Work, uow: SqlUnitOfWork, conversations: ConversationCache
    ) -> tuple[Any, Outgoing]:
        outgoing = Outgoing(chat_id=work.chat_id)
        work.data["uow"] = uow
        work.data["outgoing"] = outgoing
        token = current_conversations.set(conversations)
        try:
            result = await work.handler(work.update, work.data)
        except (SQLAlchemyError, DatabaseUnavailable):
            raise
        except Exception as exc:
            raise HandlerFailed(type(exc).__name__, update_id=work.update.update_id) from exc
        finally:
            current_conversations.reset(token)
        await conversations.flush()
        return result, outgoing


def _conversation_key(work: Work) -> str | None:
    if work.user_id is None or work.chat_id is None:
        return None
    return conversation_key(bot_id=work.bot_id, chat_id=work.chat_id, user_id=work.user_id)


def _settle(
    work: Work, *, outcome: Outcome | None = None, exception: BaseException | None = None
) -> None:
    if work.done.done():
        return
    if exception is not None:
        work.done.set_exception(exception)
    else:
        assert outcome is not None
        work.done.set_result(outcome)
