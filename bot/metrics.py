"""Operators' figures in the Prometheus format, served apart from the chat (off by default).

Each process counts into its own registry. On the way of an update this costs a counter
increment and a histogram observation, nothing more; the outbox and quarantine figures are
read from the database when scraped (one query along the pending index, at most once a
second), never per update. Labels are update kinds and HTTP codes: nothing about people.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from datetime import UTC, datetime
from typing import Any

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from bot.logs import fields
from storage.database import Database
from storage.quarantine import SqlQuarantine
from storage.repositories import Outbox

log = logging.getLogger(__name__)
disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series: noise

# Update kinds as label values: the ones our library knows, anything else is "other", so a
# sender cannot grow the label set.
KINDS = frozenset(name for name in Update.model_fields if name != "update_id")
OTHER = "other"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REFRESH_EVERY = 1.0  # seconds: scrapes closer together share one reading of the database


def kind_label(kind: str) -> str:
    return kind if kind in KINDS else OTHER


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates_handled = Counter(
            "altum_updates_handled",
            "Updates handled (answered, or found to be already handled)",
            ["kind"],
            registry=registry,
        )
        self.updates_failed = Counter(
            "altum_updates_failed",
            "Failed attempts at updates: unparsable, a handler error, the database unavailable",
            ["kind", "reason"],
            registry=registry,
        )
        self.updates_quarantined = Counter(
            "altum_updates_quarantined",
            "Updates set aside in the quarantine table",
            ["kind"],
            registry=registry,
        )
        self.updates_dropped = Counter(
            "altum_updates_dropped",
            "Updates acknowledged although they could not even be set aside (see the log)",
            registry=registry,
        )
        self.update_seconds = Histogram(
            "altum_update_handling_seconds",
            "Time from taking an update to its commit and replies",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "altum_outbox_pending",
            "Outbox rows neither sent nor given up",
            registry=registry,
        )
        self.outbox_oldest_seconds = Gauge(
            "altum_outbox_oldest_pending_seconds",
            "Age of the oldest outbox row waiting to be sent (0 when none waits)",
            registry=registry,
        )
        self.quarantine_size = Gauge(
            "altum_quarantine_size",
            "Updates in quarantine now (all processes)",
            registry=registry,
        )
        self.bot_api_errors = Counter(
            "altum_bot_api_errors",
            "Failed Bot API calls, retried ones included, by HTTP code (5xx together; "
            "network: no answer)",
            ["code"],
            registry=registry,
        )
        self.database_errors = Counter(
            "altum_database_errors",
            "Transactions that failed for want of the database",
            ["error"],
            registry=registry,
        )
        self._handled: dict[str, Any] = {}

    def expect(self, kinds: list[str]) -> None:
        """Show these kinds from the start (as 0), not only once one was handled."""
        for kind in kinds:
            self._handled_counter(kind)
            for reason in ("unparsable", "error", "unavailable"):
                self.updates_failed.labels(kind_label(kind), reason)
            self.updates_quarantined.labels(kind_label(kind))

    def handled(self, kind: str, seconds: float) -> None:
        """The hot path: one increment, one observation."""
        counter = self._handled.get(kind)
        if counter is None:
            counter = self._handled_counter(kind)
        counter.inc()
        self.update_seconds.observe(seconds)

    def _handled_counter(self, kind: str) -> Any:
        counter = self._handled[kind] = self.updates_handled.labels(kind_label(kind))
        return counter

    def failed(self, kind: str, reason: str) -> None:
        self.updates_failed.labels(kind_label(kind), reason).inc()

    def quarantined(self, kind: str) -> None:
        self.updates_quarantined.labels(kind_label(kind)).inc()

    def bot_api_error(self, code: str) -> None:
        self.bot_api_errors.labels(code).inc()

    def database_error(self, exc: BaseException) -> None:
        cause = exc.__cause__ or exc
        self.database_errors.labels(type(cause).__name__).inc()


def status_code_label(status: int) -> str:
    """An HTTP status as a label value: 4xx as they are, 5xx together."""
    return "5xx" if status >= 500 else str(status)


_AIOGRAM_CODES: tuple[tuple[type[TelegramAPIError], str], ...] = (
    (TelegramRetryAfter, "429"),
    (TelegramServerError, "5xx"),
    (TelegramNetworkError, "network"),
    (TelegramBadRequest, "400"),
    (TelegramUnauthorizedError, "401"),
    (TelegramForbiddenError, "403"),
    (TelegramNotFound, "404"),
    (TelegramConflictError, "409"),
    (TelegramEntityTooLarge, "413"),
)


def aiogram_error_code(exc: TelegramAPIError) -> str:
    """The label of an aiogram exception (aiogram keeps the status only in the class)."""
    for kind, code in _AIOGRAM_CODES:
        if isinstance(exc, kind):
            return code
    return OTHER


class Scrape:
    """GET /metrics: an optional bearer token, then the figures, the database's refreshed."""

    def __init__(self, metrics: Metrics, database: Database, *, token: str = "") -> None:
        self._metrics = metrics
        self._database = database
        self._token = token.encode()
        self._read_at = -REFRESH_EVERY
        self._reading: asyncio.Task[None] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if self._token:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            right = hmac.compare_digest(given.strip().encode(), self._token)
            if scheme.lower() != "bearer" or not right:
                return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        await self._refresh()
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _refresh(self) -> None:
        if time.monotonic() - self._read_at < REFRESH_EVERY:
            return
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read())
        await asyncio.shield(self._reading)

    async def _read(self) -> None:
        try:
            async with asyncio.timeout(5):
                async with self._database.transaction() as session:
                    pending, oldest = await Outbox(session).backlog()
                    quarantined = await SqlQuarantine(session).size()
        except Exception as exc:  # the figures keep their last values; the error is counted
            log.warning(
                "metrics: reading the database failed", extra=fields(error=type(exc).__name__)
            )
            return
        self._read_at = time.monotonic()
        metrics = self._metrics
        metrics.outbox_pending.set(pending)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        metrics.outbox_oldest_seconds.set(max(0.0, age))
        metrics.quarantine_size.set(quarantined)


def metrics_app(scrape: Scrape) -> web.Application:
    app = web.Application()
    app.router.add_get("/metrics", scrape.handle)
    return app
