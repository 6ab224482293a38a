"""`altum-bot quarantine list|show ID|retry ID|drop ID`: an operator's look at the updates
that were set aside, and a replay once the cause is fixed (after an upgrade, typically).

A retry feeds the stored JSON through the normal path, as if Telegram had sent it again:
one transaction, deduplicated (its processed mark is taken off first), its replies through
the outbox. Handled, it leaves the quarantine; failing again, it stays (the person is not
told a second time).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.engine.raw_updates import RAW_LIMIT
from bot.settings import Settings
from portal.model import Action, ActivityEvent
from storage.database import Database
from storage.migrate import ensure_current
from storage.quarantine import Entry, SqlQuarantine
from storage.repositories import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    text: str


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    try:
        await ensure_current(database.engine)
        yield database
    finally:
        await database.dispose()


async def list_entries(settings: Settings, *, limit: int = 100) -> Outcome:
    async with _database(settings) as database, database.transaction() as session:
        entries = await SqlQuarantine(session).entries(limit=limit)
    if not entries:
        return Outcome(True, "no updates in quarantine")
    header = f"{'ID':>6}  {'UPDATE':>12}  {'KIND':<20} {'TRIES':>5}  {'LAST SEEN':<20} ERROR"
    lines = [header]
    for entry in entries:
        lines.append(
            f"{entry.id:>6}  {entry.update_id:>12}  {entry.kind[:20]:<20} {entry.attempts:>5}  "
            f"{_time(entry.last_seen):<20} {entry.error_type}"
        )
    return Outcome(True, "\n".join(lines))


async def show_entry(settings: Settings, entry_id: int) -> Outcome:
    async with _database(settings) as database, database.transaction() as session:
        entry = await SqlQuarantine(session).get(entry_id)
    if entry is None:
        return _missing(entry_id)
    cut = f" (cut at {RAW_LIMIT} characters: cannot be retried)" if entry.raw_truncated else ""
    return Outcome(
        True,
        "\n".join(
            [
                f"id:         {entry.id}",
                f"update:     {entry.update_id} (bot {entry.bot_id})",
                f"kind:       {entry.kind}",
                f"attempts:   {entry.attempts}",
                f"first seen: {_time(entry.first_seen)}",
                f"last seen:  {_time(entry.last_seen)}",
                f"set aside:  {_time(entry.quarantined_at)}",
                f"error:      {entry.error_type}: {entry.error}",
                f"update JSON{cut}:",
                _pretty(entry.raw),
            ]
        ),
    )


async def retry_entry(settings: Settings, entry_id: int) -> Outcome:
    # Only a retry needs the bot (aiogram and the dialogs take seconds to import).
    from bot.app import create_app
    from bot.engine.intake import Verdict

    app = create_app(settings)
    try:
        await ensure_current(app.database.engine)
        async with app.database.transaction() as session:
            entry = await SqlQuarantine(session).get(entry_id)
            refusal = _refusal(entry, entry_id, bot_id=app.bot.id)
            if refusal is not None:
                return refusal
            assert entry is not None
            # Unmarked, the update is handled like a fresh one (and claimed again).
            await SqlUnitOfWork(session).processed_updates.forget(
                bot_id=entry.bot_id, update_id=entry.update_id
            )
        verdict = await app.feed_raw(json.loads(entry.raw))
        handled = verdict is Verdict.HANDLED
        async with app.database.transaction() as session:
            if handled:
                await SqlQuarantine(session).delete(entry.id)
            await SqlUnitOfWork(session).activity.record(
                _event(Action.UPDATE_RETRIED, entry, str(verdict))
            )
        await app.sender.drain()  # e-mails it queued, if any
    finally:
        await app.close()
    if handled:
        return Outcome(True, f"update {entry.update_id} handled; removed from quarantine")
    async with _database(settings) as database, database.transaction() as session:
        again = await SqlQuarantine(session).get(entry_id)
    error = f"{again.error_type}: {again.error}" if again is not None else "see the log"
    return Outcome(False, f"update {entry.update_id} failed again ({error}); still in quarantine")


async def drop_entry(settings: Settings, entry_id: int) -> Outcome:
    async with _database(settings) as database, database.transaction() as session:
        quarantine = SqlQuarantine(session)
        entry = await quarantine.get(entry_id)
        if entry is None:
            return _missing(entry_id)
        await quarantine.delete(entry_id)
        await SqlUnitOfWork(session).activity.record(_event(Action.UPDATE_DROPPED, entry))
    return Outcome(True, f"update {entry.update_id} dropped from quarantine")


def _refusal(entry: Entry | None, entry_id: int, *, bot_id: int) -> Outcome | None:
    if entry is None:
        return _missing(entry_id)
    if entry.raw_truncated:
        return Outcome(False, f"update {entry.update_id} was kept cut short; it cannot be retried")
    if entry.bot_id != bot_id:
        return Outcome(False, f"update {entry.update_id} came to bot {entry.bot_id}, not this one")
    return None


def _event(action: Action, entry: Entry, outcome: str | None = None) -> ActivityEvent:
    details: dict[str, object] = {"update_id": entry.update_id, "kind": entry.kind}
    if outcome is not None:
        details["outcome"] = outcome
    return ActivityEvent(action=action, details=details)


def _missing(entry_id: int) -> Outcome:
    return Outcome(False, f"no update {entry_id} in quarantine (see `altum-bot quarantine list`)")


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else "-"


def _pretty(raw: str) -> str:
    """Indented, Latvian letters as letters; as stored when it was cut (no longer JSON)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    text = json.dumps(value, ensure_ascii=False, indent=2)
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: keep the escapes
        return json.dumps(value, indent=2)
    return text
