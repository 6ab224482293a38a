"""What the runtime gives the API: transactions (a unit of work and a notifier together), the
feed's wake-up signal, the clock, the rate limiter and the limits. The API reaches storage and
chat only through these."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from api.batch import Batches
from api.ratelimit import RateLimiter
from portal.documents import DocumentRules
from portal.forms import FormCatalogue
from portal.model import ReminderPolicy
from portal.ports import DocumentInspector, FeedSignal, FileStore, Notifier, PdfWriter, UnitOfWork

# One transaction: what it changes and the chat messages it queues commit together, and the
# messages are sent after the commit.
Transaction = Callable[[], AbstractAsyncContextManager[tuple[UnitOfWork, Notifier]]]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiFiles:
    """Documents through the API: checked like the chat's, kept in the same store."""

    store: FileStore
    inspector: DocumentInspector
    rules: DocumentRules


@dataclass
class ApiContext:
    transaction: Transaction
    feed_signal: FeedSignal
    limiter: RateLimiter
    clock: Callable[[], datetime] = utcnow
    # Long polls: the longest `wait` allowed, and how often a waiting poll looks again for
    # events committed by other processes (this process's commits wake it at once).
    max_wait: float = 30.0
    recheck: float = 1.0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Requests in a transaction at once; the rest wait here, holding no database connection,
    # so a flood of API writes cannot take the connections the chat's updates need.
    concurrency: int = 8
    # Invoices' reminders are scheduled as invoices arrive (None: none are).
    reminder_policy: ReminderPolicy | None = None
    slots: asyncio.Semaphore = field(init=False)
    # The forms (forms/*.yaml): an application's title for the chat's notices.
    forms: FormCatalogue = field(default_factory=lambda: FormCatalogue(()))
    files: ApiFiles | None = None  # None: messages without attachments only
    pdf: PdfWriter | None = None  # draws a submitted application's PDF
    # Requests that arrive together share a transaction (api/batch.py); at most this many
    # such transactions at once (on SQLite 1: its one writer takes them in turn anyway).
    batch_workers: int = 8
    batch_items: int = 32
    batch_budget: float | None = None  # seconds; see api/batch.py
    before_batch: Callable[[], Awaitable[None]] | None = None  # see api/batch.py
    # 503 with Retry-After for a new request once the queue holds more than this many seconds
    # of writes at the rate they are served (None: never): a backlog of API writes must not
    # take the chat's latency with it.
    shed_after: float | None = 1.0
    batches: Batches = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.concurrency)
        self.batches = Batches(
            self.transaction,
            workers=self.batch_workers,
            max_items=self.batch_items,
            budget=self.batch_budget,
            before_batch=self.before_batch,
            shed_after=self.shed_after,
        )
