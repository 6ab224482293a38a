"""Deleting what has served its purpose: expired login links and flows, unconfirmed
registrations, old processed-update ids, and outbox rows once done (sent or failed) or no
longer worth sending (their link is dead, or they waited too long). Rows that carried a
one-time link lose it when sent or failed already (`Outbox.mark_sent`); pending ones keep it
only until it expires; stale failure counts of updates that were never set aside; and the
API's answers kept by idempotency key, after their day."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from bot.logs import fields
from portal import idempotency
from portal.linking import purge_expired
from storage.database import Database
from storage.quarantine import SqlQuarantine
from storage.repositories import SqlUnitOfWork

log = logging.getLogger(__name__)

# Telegram redelivers for about a day; a week leaves room for outages on our side.
PROCESSED_UPDATES_KEPT = timedelta(days=7)
SENT_OUTBOX_KEPT = timedelta(hours=1)
FAILED_OUTBOX_KEPT = timedelta(days=7)  # long enough to look into why
PENDING_OUTBOX_KEPT = timedelta(days=7)  # retried every 5 minutes at most until then
# Failure counts of updates never set aside (handled at last, perhaps by another replica).
# Set-aside updates stay until an operator retries or drops them.
FAILURES_KEPT = timedelta(days=1)


async def housekeep_once(database: Database, *, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        counts = {
            "login": await purge_expired(uow=uow, now=now),
            "registrations": await uow.registrations.purge(now=now),
            "updates": await uow.processed_updates.forget_older_than(
                PROCESSED_UPDATES_KEPT, now=now
            ),
            "outbox": await uow.outbox.purge_sent_older_than(SENT_OUTBOX_KEPT, now=now),
            "outbox_failed": await uow.outbox.purge_failed_older_than(FAILED_OUTBOX_KEPT, now=now),
            "outbox_stale": await uow.outbox.purge_stale(older_than=PENDING_OUTBOX_KEPT, now=now),
            "failures": await SqlQuarantine(session).forget_stale_failures(FAILURES_KEPT, now=now),
            # Signature confirmations used or past their minutes (issue 9).
            "signature_links": await uow.applications.purge_confirmations(now=now),
            # The API's answers by idempotency key, once past the day their retries have.
            "api_answers": await idempotency.purge(uow=uow, now=now),
        }
    return counts


async def housekeeping(database: Database, stop: asyncio.Event, every: float = 60.0) -> None:
    while not stop.is_set():
        try:
            counts = await housekeep_once(database)
            if any(counts.values()):
                log.info("housekeeping", extra=fields(**counts))
        except Exception as exc:
            log.warning("housekeeping failed", extra=fields(error=type(exc).__name__))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
