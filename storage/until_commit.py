"""Work a transaction leaves for just before its COMMIT, kept in its session.

API batches write hundreds of rows a second, each request a few; what can wait for the COMMIT
goes there in one statement for the whole batch: the activity log's events
(storage/activity_pending.py), the reminders' prefix cancellations and schedules
(storage/reminders.py).
Whatever must see that work done first does it earlier (`flush`); a transaction that ends
without a COMMIT (rolled back) forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

T = TypeVar("T")


class UntilCommit(Generic[T]):
    """`pending(session)` is the transaction's work so far (`start()` on first use, kept in
    `session.info[key]`); `finish(session, work)` does it, once, before the COMMIT or at
    `flush`. Runs inside the COMMIT's greenlet, so `finish` may use the async driver."""

    def __init__(self, key: str, start: Callable[[], T], finish: Callable[[Session, T], None]):
        self._key = key
        self._start = start
        self._finish = finish
        _EVERY.append(self)

    def pending(self, session: AsyncSession) -> T:
        info = session.sync_session.info
        if self._key not in info:
            info[self._key] = self._start()
        work: T = info[self._key]
        return work

    def peek(self, session: AsyncSession) -> T | None:
        work: T | None = session.sync_session.info.get(self._key)
        return work

    async def flush(self, session: AsyncSession) -> None:
        """Now rather than at the COMMIT (`AsyncSession.run_sync`)."""
        if self._key in session.sync_session.info:
            await session.run_sync(self.finish_now)

    def finish_now(self, session: Session) -> None:
        work: T | None = session.info.pop(self._key, None)
        if work is not None:
            self._finish(session, work)

    def forget(self, session: Session) -> None:
        session.info.pop(self._key, None)


_EVERY: list[UntilCommit[Any]] = []


async def flush_every(session: AsyncSession) -> None:
    """All of the transaction's waiting work, now: before what would make it invalid (the
    deletion of a client its rows name, which then takes them with it)."""
    if any(work._key in session.sync_session.info for work in _EVERY):
        await session.run_sync(_before_commit)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    for work in _EVERY:
        work.finish_now(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    """A rolled-back transaction's work goes with it (a savepoint's ending keeps it)."""
    if transaction.parent is None:
        for work in _EVERY:
            work.forget(session)
