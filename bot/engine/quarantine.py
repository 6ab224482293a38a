"""The quarantine: where an update goes when it cannot be handled.

Each failed attempt at an update is counted in `quarantined_updates`. At the limit (at once
for an update our library cannot parse: that never changes by trying again) the update is set
aside in the same transaction: marked processed, so that it is acknowledged and a copy of it
changes nothing, and the person, when its JSON says who, gets the usual apology, once. An
operator looks and replays with `altum-bot quarantine` (bot/ops/quarantine_commands.py).

What is kept about the error is its type, where it was raised and its message without
personal codes, tokens, SQL parameters or pydantic's copies of the input.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

from bot.delivery.outbox import OutboxSender
from bot.engine.group_commit import HandlerFailed
from bot.engine.raw_updates import JSON, Addressee, addressee_of, kind_of, serialized
from bot.logs import redact
from dialogs.outgoing import Outgoing
from portal import languages
from portal.model import Action, ActivityEvent
from storage.database import Database
from storage.quarantine import Failure, SqlQuarantine
from storage.repositories import SqlUnitOfWork

log = logging.getLogger(__name__)

ERROR_LIMIT = 500  # characters of an error's message kept
_ROOT = Path(__file__).resolve().parents[2]
_OURS = tuple(str(_ROOT / package) for package in ("bot", "dialogs", "portal", "storage"))


@dataclass(frozen=True, slots=True)
class Recorded:
    attempts: int
    set_aside: bool  # the update is acknowledged now
    newly: bool  # ...and it was this failure that set it aside


class QuarantineDesk:
    def __init__(
        self,
        *,
        database: Database,
        sender: OutboxSender,
        isolation: BaseEventIsolation,
        i18n: I18n,
    ) -> None:
        self._database = database
        self._sender = sender
        self._isolation = isolation
        self._i18n = i18n

    async def record(
        self,
        *,
        bot_id: int,
        update_id: int,
        raw: JSON,
        error: BaseException,
        limit: int,
        apologize: bool = True,
    ) -> Recorded:
        """Count one failed attempt; at `limit` attempts set the update aside."""
        text, truncated = serialized(raw)
        error_type, message = describe_error(error)
        failure = Failure(
            bot_id=bot_id,
            update_id=update_id,
            kind=kind_of(raw),
            raw=text,
            raw_truncated=truncated,
            error_type=error_type,
            error=message,
        )
        who = addressee_of(raw)
        key = StorageKey(bot_id=bot_id, chat_id=who.chat_id or 0, user_id=who.user_id or 0)
        async with self._isolation.lock(key):  # the apology in order with the person's replies
            async with self._database.transaction() as session:
                now = datetime.now(UTC)
                counted = await SqlQuarantine(session).count_failure(failure, now=now)
                if counted.attempts < limit and not counted.was_quarantined:
                    return Recorded(attempts=counted.attempts, set_aside=False, newly=False)
                rows, newly = await self._set_aside(
                    SqlUnitOfWork(session),
                    failure,
                    who,
                    attempts=counted.attempts,
                    again=counted.was_quarantined,
                    apologize=apologize,
                    now=now,
                )
            await self._sender.deliver(rows)
        return Recorded(attempts=counted.attempts, set_aside=True, newly=newly)

    async def _set_aside(
        self,
        uow: SqlUnitOfWork,
        failure: Failure,
        who: Addressee,
        *,
        attempts: int,
        again: bool,
        apologize: bool,
        now: datetime,
    ) -> tuple[list[Any], bool]:
        """The outbox rows to send, and whether the update went into quarantine now."""
        bot_id, update_id = failure.bot_id, failure.update_id
        quarantine = SqlQuarantine(uow.session)
        people = [f"user:{bot_id}:{who.user_id}"] if who.user_id is not None else []
        claimed = await uow.processed_updates.claim_many(
            bot_id=bot_id, update_ids=[update_id], then_lock=self._database.lock_ids(people)
        )
        if not claimed and not again:  # a copy of it was handled meanwhile: nothing to keep
            await quarantine.forget_failures(bot_id=bot_id, update_id=update_id)
            return [], False
        await quarantine.set_aside(bot_id=bot_id, update_id=update_id, now=now)
        if again:  # set aside before (and the person told): now only counted once more
            return [], False
        await uow.activity.record(
            ActivityEvent(
                action=Action.UPDATE_QUARANTINED,
                telegram_user_id=who.user_id,
                details={
                    "update_id": update_id,
                    "kind": failure.kind,
                    "error_type": failure.error_type,
                    "attempts": attempts,
                },
                occurred_at=now,
            )
        )
        if not apologize or who.chat_id is None:
            return [], True
        return await self._apologize(uow, who), True

    async def _apologize(self, uow: SqlUnitOfWork, who: Addressee) -> list[Any]:
        account = await uow.accounts.get(who.user_id) if who.user_id is not None else None
        locale = languages.effective_language(
            chosen=account.language if account else None,
            telegram_language_code=who.language_code,
        )
        outgoing = Outgoing(chat_id=who.chat_id)
        with self._i18n.context(), self._i18n.use_locale(locale):
            if who.callback_query_id is not None:
                outgoing.answer_callback(who.callback_query_id)
            outgoing.send(apology())
        return await self._sender.queue(uow.outbox, outgoing.queued)


def apology() -> str:
    """In the current locale: what a person is told when their update could not be handled."""
    return _(
        "Sorry, something went wrong on our side and nothing was changed. "
        "Please try again, or send /start."
    )


def describe_error(error: BaseException) -> tuple[str, str]:
    """The error's type and a message fit to keep and log: no input, parameters or codes."""
    cause = (error.__cause__ if isinstance(error, HandlerFailed) else None) or error
    kind = type(cause)
    error_type = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        error_type = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(cause, ValidationError):
        problems = cause.errors(include_url=False, include_input=False, include_context=False)
        parts = [
            ".".join(str(part) for part in problem["loc"]) + ": " + problem["msg"]
            for problem in problems[:10]
        ]
        if len(problems) > 10:
            parts.append(f"and {len(problems) - 10} more")
        message = "; ".join(parts)
    elif isinstance(cause, StatementError):  # its text carries the SQL's parameters
        message = type(cause.orig).__name__ if cause.orig is not None else "statement failed"
    else:
        lines = str(cause).strip().splitlines()
        message = lines[0] if lines else ""
    where = _where(cause)
    if where:
        message = f"{message} (at {where})" if message else f"at {where}"
    printable = "".join(ch if ch.isprintable() else " " for ch in redact(message))
    return error_type[:200], printable.strip()[:ERROR_LIMIT]


def _where(error: BaseException) -> str:
    """The innermost frame of our own code the error passed through: file, line, function."""
    found = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith(_OURS):
            relative = Path(frame.filename).relative_to(_ROOT)
            found = f"{relative}:{frame.lineno} in {frame.name}"
    return found
