"""The event feed's storage: positions given at COMMIT, so they are in commit order.

An autoincrement id is assigned at INSERT, not at COMMIT: on PostgreSQL a reader can see
id 11 committed while the transaction holding id 10 is still open, move its cursor past 11,
and never see 10. Here a transaction's events wait in the session until just before its
COMMIT; then one statement bumps `feed_counter`'s single row (which locks it until the
transaction ends), the events are inserted with the positions that bump gave, and COMMIT
follows. A second writer's bump waits for the first writer's COMMIT, so positions are given
in commit order and, when a reader sees position N, every position below N is committed and
visible to it. The lock is held only across the bump, the insert and the COMMIT, and only
by transactions that have events. SQLite has one writer at a time, so the same code holds.

`FeedSignal` wakes long polls in this process when a transaction with events commits; other
processes' commits are found by the bounded re-check of `portal`'s reader.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.model import FeedEvent
from storage.backoffice_models import FeedCounter
from storage.backoffice_models import FeedEvent as FeedEventRow

PENDING = "feed_pending"  # session.info: events waiting for this transaction's COMMIT
COMMITTED = "feed_committed"
SIGNAL = "feed_signal"  # session.info: the Database's FeedSignal (set by its sessionmaker)


class FeedSignal:
    """Wakes waiters when a transaction of this process that wrote events has committed."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def _current(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._event is None or self._loop is not loop:
            self._loop, self._event = loop, asyncio.Event()
        return self._event

    async def wait(self, seconds: float) -> None:
        waiting = self._current()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiting.wait(), timeout=max(0.0, seconds))

    def notify(self) -> None:
        loop, fired = self._loop, self._event
        if loop is None or fired is None:
            return
        self._event = asyncio.Event()  # later waiters wait for the next commit
        loop.call_soon_threadsafe(fired.set)


class SqlFeed:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def publish(self, event: FeedEvent) -> None:
        self._session.sync_session.info.setdefault(PENDING, []).append(event)

    async def after(self, position: int, *, limit: int) -> list[FeedEvent]:
        rows = await self._session.scalars(
            select(FeedEventRow)
            .where(FeedEventRow.position > position)
            .order_by(FeedEventRow.position)
            .limit(limit)
        )
        return [
            FeedEvent(
                type=row.type,
                occurred_at=row.occurred_at,
                client_id=row.client_id,
                data=dict(row.data),
                position=row.position,
            )
            for row in rows
        ]


@event.listens_for(Session, "before_commit")
def _give_positions(session: Session) -> None:
    """Runs inside the COMMIT's greenlet, so these statements may use the async driver."""
    pending: list[FeedEvent] | None = session.info.pop(PENDING, None)
    if not pending:
        return
    last = session.execute(
        update(FeedCounter)
        .where(FeedCounter.id == 1)
        .values(last=FeedCounter.last + len(pending))
        .returning(FeedCounter.last)
    ).scalar_one()
    first = last - len(pending) + 1
    rows: list[dict[str, Any]] = [
        {
            "position": first + offset,
            "type": item.type,
            "occurred_at": item.occurred_at,
            "client_id": item.client_id,
            "data": item.data,
        }
        for offset, item in enumerate(pending)
    ]
    session.execute(insert(FeedEventRow), rows)
    session.info[COMMITTED] = True


@event.listens_for(Session, "after_commit")
def _wake_readers(session: Session) -> None:
    if session.info.pop(COMMITTED, False):
        signal: FeedSignal | None = session.info.get(SIGNAL)
        if signal is not None:
            signal.notify()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    """A rolled-back transaction's events go with it. (Events are published outside
    savepoints: one rolled back to does not take back what was published inside it.)"""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(COMMITTED, None)
