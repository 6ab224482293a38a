"""Every update's way in: parse, handle, and when that fails, try again or set it aside.

One update must never stop the bot, nor be retried forever:
- JSON our library cannot parse (a newer Telegram, a malformed update) is set aside at once;
- an update whose handling fails (a handler's bug, our middleware's, an error that looks
  like a database outage while the database answers) is tried again after a short wait, and
  after `UPDATE_ATTEMPTS` failures set aside;
- a real outage (the database, or Redis when it holds the locks, does not answer right after
  the failure) raises `DatabaseUnavailable`: the update is not acknowledged and comes again
  later, uncounted.
Setting aside acknowledges the update (bot/engine/quarantine.py). Anything else is handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.types import Update

from bot.engine.quarantine import QuarantineDesk, describe_error
from bot.engine.raw_updates import JSON, kind_of, update_id_of
from bot.logs import fields
from bot.metrics import KINDS, OTHER, Metrics
from storage.database import Database, DatabaseUnavailable
from storage.quarantine import SqlQuarantine

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 0.25  # seconds, doubling
MAX_RETRY_DELAY = 2.0
# Redis, when it holds the per-user locks, counts as part of the database: an update that
# failed while it did not answer must come again, like one that met a database outage.
_UNAVAILABLE = "unavailable: "


class UnknownKind(ValueError):
    def __init__(self) -> None:
        super().__init__("an update of no kind our library knows")


class Verdict(StrEnum):
    HANDLED = "handled"  # handled now, or a copy already was
    SET_ASIDE = "set_aside"  # in quarantine (or dropped, see the log): acknowledged


class Intake:
    def __init__(
        self,
        *,
        bot: Bot,
        dispatch: Callable[[Update], Awaitable[Any]],
        answers: Callable[[], Awaitable[bool]],
        database: Database,
        desk: QuarantineDesk,
        metrics: Metrics,
        attempts: int,
    ) -> None:
        self._bot = bot
        self._dispatch = dispatch
        self._answers = answers  # whether the database (and Redis, if used) answer now
        self._database = database
        self._desk = desk
        self._metrics = metrics
        self._attempts = attempts

    async def parse(self, raw: JSON) -> Update | None:
        """The update in Telegram's JSON, or None when our library cannot read it: then it
        is set aside at once (acknowledged). Raises DatabaseUnavailable when it could not be
        set aside for an outage, and ValueError for JSON without an update id."""
        update_id = update_id_of(raw)
        if update_id is None:
            raise ValueError("not an update: no update_id")
        try:
            return Update.model_validate(raw, context={"bot": self._bot})
        except Exception as exc:  # a ValidationError, or whatever a validator raised
            self._metrics.failed(kind_of(raw), "unparsable")
            await self._failed(update_id, raw, exc, at_once=True)
            return None

    async def take(self, update: Update) -> Verdict:
        """Handle the update to the end: handled, or set aside after failing. Raises only
        DatabaseUnavailable (a real outage: not acknowledged, it comes again)."""
        started = asyncio.get_running_loop().time()
        kind = _kind_of(update)
        if kind == OTHER:  # e.g. {"message": null}: aiogram would warn with all its JSON
            self._metrics.failed(kind, "unparsable")
            await self._failed(update.update_id, _as_json(update), UnknownKind(), at_once=True)
            return Verdict.SET_ASIDE
        failures = 0
        while True:
            try:
                await self._dispatch(update)
            except Exception as exc:
                if not await self._answers():  # an outage: comes again, counts for nothing
                    self._metrics.failed(kind, "unavailable")
                    if isinstance(exc, DatabaseUnavailable):
                        raise
                    raise DatabaseUnavailable(_UNAVAILABLE + type(exc).__name__) from exc
                error: BaseException = exc  # all answers: this update's own doing
            else:
                self._metrics.handled(kind, asyncio.get_running_loop().time() - started)
                if failures:
                    await self._forget_failures(update.update_id)
                return Verdict.HANDLED
            self._metrics.failed(kind, "error")
            verdict = await self._failed(update.update_id, _as_json(update), error, at_once=False)
            if verdict is not None:
                return verdict
            failures += 1
            await asyncio.sleep(min(MAX_RETRY_DELAY, FIRST_RETRY_DELAY * 2 ** (failures - 1)))

    async def _failed(
        self, update_id: int, raw: JSON, error: BaseException, *, at_once: bool
    ) -> Verdict | None:
        """Count the failure; SET_ASIDE once the update is in quarantine, else None (try
        again). Should recording fail other than for an outage, once more without the
        apology; then the update is dropped, loudly, rather than block everything after."""
        error_type, message = describe_error(error)
        limit = 1 if at_once else self._attempts
        for apologize in (True, False):
            try:
                recorded = await self._desk.record(
                    bot_id=self._bot.id,
                    update_id=update_id,
                    raw=raw,
                    error=error,
                    limit=limit,
                    apologize=apologize,
                )
            except Exception as exc:
                if not await self._answers():
                    if isinstance(exc, DatabaseUnavailable):
                        raise
                    raise DatabaseUnavailable(_UNAVAILABLE + type(exc).__name__) from exc
                log.error(
                    "quarantine: recording a failed update failed",
                    extra=fields(update_id=update_id, error=describe_error(exc)[0]),
                )
                continue
            facts = fields(
                update_id=update_id,
                kind=kind_of(raw),
                attempts=recorded.attempts,
                error_type=error_type,
                error=message,
            )
            if not recorded.set_aside:
                log.warning("update failed; trying it again", extra=facts)
                return None
            if recorded.newly:
                self._metrics.quarantined(kind_of(raw))
                log.error("update set aside in quarantine", extra=facts)
            return Verdict.SET_ASIDE
        self._metrics.updates_dropped.inc()
        log.error(
            "update dropped: it could be neither handled nor set aside",
            extra=fields(update_id=update_id, error_type=error_type, error=message),
        )
        return Verdict.SET_ASIDE

    async def _forget_failures(self, update_id: int) -> None:
        """Handled after failing: its count of failures is history (best effort)."""
        try:
            async with self._database.transaction() as session:
                await SqlQuarantine(session).forget_failures(
                    bot_id=self._bot.id, update_id=update_id
                )
        except Exception as exc:  # housekeeping deletes stale counts anyway
            log.warning(
                "quarantine: forgetting failures failed",
                extra=fields(update_id=update_id, error=type(exc).__name__),
            )


def _kind_of(update: Update) -> str:
    for name in Update.model_fields:
        if name in KINDS and getattr(update, name, None) is not None:
            return name
    return OTHER


def _as_json(update: Update) -> JSON:
    """The update as Telegram's JSON again, fields our library did not know included (only
    for one that failed): what the quarantine keeps, and replays."""
    try:
        return update.model_dump(mode="json", by_alias=True, exclude_unset=True)
    except Exception:
        return {"update_id": update.update_id}
