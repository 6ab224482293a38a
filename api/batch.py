"""Group commit for the API's requests: the requests that arrive together share one transaction.

A transaction costs more than the statements in it (BEGIN, COMMIT and its wait for the disk,
the session, the token's lookup); at hundreds of writes per second from ALTUM's systems that
overhead was most of a write's CPU. So each request is queued; a worker takes everything
queued (up to `max_items`), looks each distinct token up once, and runs the requests one after
another in one transaction, committed before any of them is answered.

A request refused before its handler ran (401, 403, 429, 422) changed nothing and is answered
with its refusal. When a handler fails, the transaction is rolled back (the others' changes
with it) and every admitted request of the batch is run again alone, in a transaction of its
own, exactly as without batching: one request's failure never reaches another's answer. So
too when the COMMIT fails (statements that wait for it, such as the activity log's INSERT,
may have been one request's).

Load shedding: when the queue holds more requests than the batches committed in the last
`shed_after` seconds (their rate over the last two seconds, taken as at least 200 a second),
a new request is refused at once with `Overloaded` (the API answers 503 with Retry-After)
instead of joining the queue. A backlog of API writes then costs its senders a retry, not the
chat its latency, and the queue cannot grow for ever. Its length, not its oldest request's
age, is the measure: a pause of the database (a checkpoint's fsync) makes a few requests
wait, which shedding would not shorten; only more requests than can be served are refused.

The chat first: before each batch takes its requests, `before_batch` is awaited. The runtime
makes it wait, for at most API_YIELD_TO_CHAT_MS, until no chat update is in the database, so
the API's transactions fill the chat's pauses instead of competing with its updates for the
cores and the database; the requests that arrive meanwhile join the batch, so it goes fuller.

Requests in a batch were all in flight at once, so any order is a valid one; they run sorted by
group and path, so that batches committing in parallel (PostgreSQL) take their row locks in one
order and cannot deadlock on each other.

Together: the requests of one group in a batch (PUTs of deals, of invoices) run as one call of
the group's handler, which writes them in one multi-row statement where each would send its
own: on PostgreSQL the round trip is most of a write's cost. The call answers each request
with its result or with an exception, for a request it refused having written nothing of it
(a 404, a 422): that request is answered with it, the others commit. When the call raises,
the batch fails as when one handler does: rolled back, each request run again alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from portal import api_tokens
from portal.model import ApiTokenRecord
from portal.ports import Notifier, UnitOfWork

log = logging.getLogger(__name__)

P = TypeVar("P")  # what admission gives the handler (the request as a call)

Transaction = Callable[[], AbstractAsyncContextManager[tuple[UnitOfWork, Notifier]]]


_PENDING = object()
_WINDOW = 2.0  # seconds over which the served rate is taken (load shedding)
# Requests a second assumed served at least: a burst at an idle process (which has served
# nothing lately) is taken up to this many; the bot serves 400-1300 writes/s (docs/performance.md).
_MIN_RATE = 200.0


@dataclass(eq=False)
class Work(Generic[P]):
    """One request: `admit(token)` decides whether it may run (no database, may raise),
    `execute(admitted, uow, notifier)` runs it (may write, may raise)."""

    key: str
    secret: str
    now: datetime
    admit: Callable[[ApiTokenRecord | None], Awaitable[P]]
    execute: Callable[[P, UnitOfWork, Notifier], Awaitable[Any]]
    # Requests of one `group` (an operation) in a batch may run as one call of `together`
    # (one multi-row statement instead of one each): its results in their order, an exception
    # in place of a request refused with nothing of it written; or it raises.
    group: str = ""
    together: Callable[[list[P], UnitOfWork, Notifier], Awaitable[list[Any]]] | None = None
    future: asyncio.Future[Any] = field(default_factory=lambda: _loop().create_future())
    admitted: Any = field(default_factory=lambda: _PENDING)  # what `admit` gave: admitted once


class Overloaded(Exception):
    """The queue holds more than `shed_after` seconds of requests: try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the queue is full; retry after {retry_after} s")
        self.retry_after = retry_after


class _HandlerFailed(Exception):
    """Rolls the batch back: one of its handlers failed."""


class Batches:
    def __init__(
        self,
        transaction: Transaction,
        *,
        workers: int,
        max_items: int = 32,
        budget: float | None = 0.005,
        shed_after: float | None = 1.0,
        spread_at: int = 8,
        before_batch: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._transaction = transaction
        self._workers = workers
        self._max_items = max_items
        # A batch takes no new request after this many seconds in its transaction (None: no
        # limit): the rest go first in the next one. It bounds how long the chat's updates
        # wait for SQLite's one writer behind the API.
        self._budget = budget
        self._shed_after = shed_after  # seconds; None: never shed
        self._spread_at = spread_at  # see _worth_a_worker
        # Awaited before each batch takes its requests: the runtime lets the chat's updates
        # in the database finish first (bounded), so the API's transactions fill the chat's
        # pauses instead of competing with its updates for the cores and the database.
        self._before_batch = before_batch
        self._clock = clock
        self.shed = 0  # requests refused with Overloaded (diagnostics)
        self._served: deque[tuple[float, int]] = deque()  # (clock, requests) per batch
        self._served_total = 0  # the sum of `_served`'s requests, kept as it changes
        self._queue: deque[Work[Any]] = deque()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.sizes: list[int] = []  # the last batches' sizes (tests, diagnostics)

    async def run(self, work: Work[P]) -> Any:
        """The request's result once its batch has committed; its error otherwise.
        `Overloaded` at once when the queue holds more than `shed_after` seconds of work."""
        if self._shed_after is not None:
            rate = self._rate()
            if len(self._queue) > rate * self._shed_after:
                self.shed += 1
                raise Overloaded(max(1, math.ceil(len(self._queue) / rate)))
        self._queue.append(work)
        if self._running < self._workers and self._worth_a_worker(self._running):
            self._running += 1
            task = asyncio.create_task(self._worker())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await work.future

    def _rate(self) -> float:
        """Requests served a second over the last `_WINDOW` seconds, at least `_MIN_RATE`."""
        horizon = self._clock() - _WINDOW
        served = self._served
        while served and served[0][0] < horizon:
            self._served_total -= served.popleft()[1]
        return max(_MIN_RATE, self._served_total / _WINDOW)

    def _worth_a_worker(self, others: int) -> bool:
        """A first worker takes whatever is queued; another (a transaction in parallel) only
        a queue of `spread_at` requests or more. Each transaction costs more than a request in
        it (BEGIN, the token, COMMIT, a connection's round trips), so while the queue is short
        the requests wait for the running batch and then go together in the next one, rather
        than each worker taking one or two: fewer, larger batches for the same writes."""
        return others == 0 or len(self._queue) >= self._spread_at

    async def _worker(self) -> None:
        try:
            while self._queue and self._worth_a_worker(self._running - 1):
                if self._before_batch is not None:
                    await self._before_batch()
                batch: list[Work[Any]] = []
                while self._queue and len(batch) < self._max_items:
                    work = self._queue.popleft()
                    if not work.future.done():  # its client went away: nothing to do
                        batch.append(work)
                if batch:
                    batch.sort(key=lambda work: (work.group, work.key))
                    self.sizes = [*self.sizes[-99:], len(batch)]
                    try:
                        await self._run(batch)
                    except BaseException as exc:  # no request may wait for ever
                        for work in batch:
                            _settle(work, exc)
                        raise
                    served = sum(1 for work in batch if work.future.done())
                    self._served.append((self._clock(), served))
                    self._served_total += served
        finally:
            self._running -= 1

    async def _run(self, batch: list[Work[Any]]) -> None:
        results: dict[Work[Any], Any] = {}
        tokens: dict[str, ApiTokenRecord | None] = {}
        tried: list[Work[Any]] = []  # whose handler ran in this transaction
        later: list[Work[Any]] = []  # not reached within the budget: the next batch's
        committing = False
        try:
            async with self._transaction() as (uow, notifier):
                started = self._clock()
                fresh = [work for work in batch if work.admitted is _PENDING]
                for secret in {work.secret for work in fresh}:
                    tokens[secret] = await api_tokens.authenticate(uow=uow, secret=secret)
                # Admissions need no database; together, a shared (Redis) rate limit's round
                # trips overlap instead of following each other inside the transaction.
                outcomes = await asyncio.gather(
                    *(work.admit(tokens[work.secret]) for work in fresh), return_exceptions=True
                )
                for work, outcome in zip(fresh, outcomes, strict=True):
                    if isinstance(outcome, BaseException):
                        _settle(work, outcome)
                    else:
                        work.admitted = outcome
                runnable = [work for work in batch if not work.future.done()]
                for index, chunk in enumerate(chunks := _together(runnable)):
                    if index and self._over_budget(started):
                        later = [work for chunk in chunks[index:] for work in chunk]
                        self._queue.extendleft(reversed(later))
                        break
                    tried += chunk
                    try:
                        results.update(await _execute(chunk, uow, notifier))
                    except Exception as exc:
                        if len(runnable) == 1:
                            raise
                        raise _HandlerFailed from exc
                committing = True
        except _HandlerFailed:
            await self._touch(batch, tokens)
            for work in tried:
                await self._alone(work)
            # Those after the failing one were not reached: they go first in the next batch.
            self._queue.extendleft(reversed([w for w in runnable if w not in tried]))
            return
        except Exception as exc:
            await self._touch(batch, tokens)
            if committing and len(tried) > 1:
                # The COMMIT failed: statements that wait for it (the activity log's INSERT,
                # the reminders' DELETE) may have been one request's. Each runs again alone.
                for work in tried:
                    await self._alone(work)
                return
            for work in batch:
                if work not in later:
                    _settle(work, exc)
            return
        await self._touch(batch, tokens)
        for work, result in results.items():
            _settle(work, result)

    def _over_budget(self, started: float) -> bool:
        return self._budget is not None and self._clock() - started > self._budget

    async def _alone(self, work: Work[Any]) -> None:
        try:
            async with self._transaction() as (uow, notifier):
                result = await work.execute(work.admitted, uow, notifier)
        except Exception as exc:
            _settle(work, exc)
        else:
            _settle(work, result)

    async def _touch(
        self, batch: list[Work[Any]], tokens: dict[str, ApiTokenRecord | None]
    ) -> None:
        """`last used`, at most once a minute per token, in a transaction of its own so that
        refused and failed requests count too."""
        now = max(work.now for work in batch)
        stale = {
            token.id: token
            for token in tokens.values()
            if token is not None and api_tokens.use_is_stale(token, now)
        }
        if not stale:
            return
        try:
            async with self._transaction() as (uow, _notifier):
                for token in stale.values():
                    await api_tokens.record_use(uow=uow, token=token, now=now)
        except Exception:  # the requests' answers do not depend on it; the next use retries
            log.warning("api: could not record a token's use", exc_info=True)


def _together(runnable: list[Work[Any]]) -> list[list[Work[Any]]]:
    """The batch in chunks to run: the requests of one group together (they are sorted by
    group), every other request alone."""
    chunks: list[list[Work[Any]]] = []
    for work in runnable:
        last = chunks[-1][-1] if chunks else None
        if work.together is not None and work.group and last and last.group == work.group:
            chunks[-1].append(work)
        else:
            chunks.append([work])
    return chunks


async def _execute(
    chunk: list[Work[Any]], uow: UnitOfWork, notifier: Notifier
) -> list[tuple[Work[Any], Any]]:
    first = chunk[0]
    if len(chunk) == 1 or first.together is None:
        return [(first, await first.execute(first.admitted, uow, notifier))]
    outcomes = await first.together([work.admitted for work in chunk], uow, notifier)
    return list(zip(chunk, outcomes, strict=True))


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _settle(work: Work[Any], outcome: Any) -> None:
    if work.future.done():  # cancelled: its client went away
        return
    if isinstance(outcome, BaseException):
        work.future.set_exception(outcome)
    else:
        work.future.set_result(outcome)
