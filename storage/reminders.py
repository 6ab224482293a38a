"""Scheduled reminders and notification preferences (portal ports `Reminders`,
`NotificationPreferencesStore`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal import quiet_hours
from portal.model import NewReminder, NotificationPreferences, Reminder, ReminderKind
from storage.reminder_models import NotificationPreference, ReminderRow
from storage.until_commit import UntilCommit

_KINDS = {kind.value for kind in ReminderKind}


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        key=row.key,
        kind=ReminderKind(row.kind),
        person_id=row.person_id,
        client_id=row.client_id,
        due_at=row.due_at,
        repeat=None if row.repeat_seconds is None else timedelta(seconds=row.repeat_seconds),
        max_count=row.max_count,
        sent_count=row.sent_count,
        details=dict(row.details),
    )


_REMINDERS: Any = ReminderRow.__table__


# A prefix's reminders are a range of keys in code point order, which is UTF-8's byte order:
# SQLite's BINARY collation and PostgreSQL's "C", whose index on the key (ix_reminders_key_c)
# finds them. LIKE 'prefix%' could use neither PostgreSQL's unique index (its collation is the
# database's) nor, with a bound pattern, a prepared statement's generic plan: every invoice
# the API wrote read the whole table.
def _in_range(key: Any) -> Any:
    return and_(key >= bindparam("low"), key < bindparam("high"))


_CANCEL_RANGE = {
    "postgresql": delete(_REMINDERS).where(_in_range(_REMINDERS.c.key.collate("C"))),
    "sqlite": delete(_REMINDERS).where(_in_range(_REMINDERS.c.key)),
}
# PostgreSQL: several prefixes' cancellations in one statement, an index range scan each,
# sparing the keys scheduled again after them.
_CANCEL_RANGES = text(
    "DELETE FROM reminders USING unnest(CAST(:lows AS TEXT[]), CAST(:highs AS TEXT[]))"
    ' AS prefix(low, high) WHERE (reminders.key COLLATE "C") >= prefix.low'
    ' AND (reminders.key COLLATE "C") < prefix.high'
    " AND NOT reminders.key = ANY (CAST(:kept AS TEXT[]))"
)


@functools.cache
def _cancel_ranges_sqlite(count: int) -> Any:
    """SQLite: `count` ranges in one statement (OR'd ranges: an index search each), sparing
    the same; built once per count (a batch has at most a few dozen)."""
    key = _REMINDERS.c.key
    ranges = [and_(key >= bindparam(f"low{n}"), key < bindparam(f"high{n}")) for n in range(count)]
    return delete(_REMINDERS).where(or_(*ranges), key.not_in(bindparam("kept", expanding=True)))


@dataclass
class _Pending:
    """Work waiting for the COMMIT, or for the reminders' next use in the transaction.

    Cancellations: every key in their ranges goes, except those scheduled again after the
    last cancellation that covers them (`kept`). Schedules (`scheduled`, by key, the last
    one's values): inserted after the cancellations. So an invoice that is cancelled and
    scheduled anew, as every unpaid one the API writes is, costs no statement of its own: a
    batch's cancellations go in one DELETE, its schedules in one INSERT. Schedules only of
    what is missing (`missing`, an invoice written again unchanged) go last, each inserted
    only where its key is free: after the cancellations, as in the order they were asked."""

    ranges: list[tuple[str, str]] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)
    scheduled: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: dict[str, dict[str, Any]] = field(default_factory=dict)

    def cancel(self, prefix: str) -> None:
        low, high = prefix_range(prefix)
        if (low, high) not in self.ranges:  # the same invoice twice in a batch
            self.ranges.append((low, high))
        self.kept = {key for key in self.kept if not low <= key < high}
        for waiting in (self.scheduled, self.missing):
            for key in [key for key in waiting if low <= key < high]:
                del waiting[key]

    def keep(self, keys: Iterable[str]) -> None:
        self.kept.update(k for k in keys if any(lo <= k < hi for lo, hi in self.ranges))

    def schedule(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.keep(row["key"] for row in rows)
        self.scheduled.update((row["key"], row) for row in rows)
        for row in rows:
            self.missing.pop(row["key"], None)

    def schedule_missing(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if row["key"] not in self.scheduled:
                self.missing.setdefault(row["key"], row)


def prefix_range(prefix: str) -> tuple[str, str]:
    """(low, high): a key starts with `prefix` exactly when low <= key < high in code point
    order (high is the prefix with its last character's successor)."""
    stem = prefix.rstrip(chr(0x10FFFF))
    if not stem:
        raise ValueError("a prefix of reminder keys must not be empty")
    successor = ord(stem[-1]) + 1
    if 0xD800 <= successor <= 0xDFFF:  # surrogates are no characters: the next one is
        successor = 0xE000
    return prefix, stem[:-1] + chr(successor)


def _dialect(session: Session) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def _finish(session: Session, pending: _Pending) -> None:
    """What `cancel_prefix_later` and `schedule_many` left: the cancellations in one
    statement, then the schedules in one."""
    if pending.ranges:
        _cancel(session, pending.ranges, sorted(pending.kept))
    if pending.scheduled:
        session.execute(_SCHEDULE[_dialect(session)], list(pending.scheduled.values()))
    if pending.missing:
        session.execute(_SCHEDULE_MISSING[_dialect(session)], list(pending.missing.values()))


def _cancel(session: Session, ranges: list[tuple[str, str]], kept: list[str]) -> None:
    if _dialect(session) == "postgresql":
        lows, highs = zip(*ranges, strict=True)
        session.execute(_CANCEL_RANGES, {"lows": list(lows), "highs": list(highs), "kept": kept})
    else:
        params: dict[str, Any] = {"kept": kept}
        for n, (low, high) in enumerate(ranges):
            params[f"low{n}"], params[f"high{n}"] = low, high
        session.execute(_cancel_ranges_sqlite(len(ranges)), params)


def _schedule_values(reminder: NewReminder, now: datetime) -> dict[str, Any]:
    repeat = reminder.repeat
    return {
        "key": reminder.key,
        "kind": reminder.kind.value,
        "person_id": reminder.person_id,
        "client_id": reminder.client_id,
        "due_at": reminder.due_at,
        "repeat_seconds": None if repeat is None else int(repeat.total_seconds()),
        "max_count": reminder.max_count,
        "sent_count": 0,
        "details": dict(reminder.details),
        "created_at": now,
    }


def _prebuilt_schedule(*, only_missing: bool = False) -> dict[str, Any]:
    """An upsert by key (the sent count starts over, `created_at` stays), built once per
    dialect: every invoice the API writes with a due date ahead schedules its reminders.
    `only_missing`: an insert where the key is free, leaving a scheduled one as it is."""
    columns = [c.name for c in _REMINDERS.c if c.name != "id"]
    built = {}
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite)):
        statement = module.insert(_REMINDERS).values({c: bindparam(c) for c in columns})
        if only_missing:
            built[name] = statement.on_conflict_do_nothing(index_elements=["key"])
            continue
        changed = {c: statement.excluded[c] for c in columns if c not in ("key", "created_at")}
        built[name] = statement.on_conflict_do_update(index_elements=["key"], set_=changed)
    return built


# With RETURNING, SQLAlchemy sends several rows as one multi-row INSERT ("insertmanyvalues")
# rather than asyncpg's executemany, one execution per row.
_SCHEDULE = {
    name: statement.returning(_REMINDERS.c.id) for name, statement in _prebuilt_schedule().items()
}
_SCHEDULE_MISSING = {
    name: statement.returning(_REMINDERS.c.id)
    for name, statement in _prebuilt_schedule(only_missing=True).items()
}
_LATER = UntilCommit("reminders_pending", _Pending, _finish)


class SqlReminders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def schedule(self, reminder: NewReminder, *, now: datetime) -> int:
        pending = _LATER.peek(self._session)
        if pending is not None:
            # Its id is wanted now: what waits goes first, unless only cancellations wait,
            # which spare it instead.
            if pending.scheduled or pending.missing or self._session.in_nested_transaction():
                await self._pending()
            else:
                pending.keep([reminder.key])
        statement = _SCHEDULE["postgresql" if self._postgres else "sqlite"]
        result = await self._session.execute(statement, _schedule_values(reminder, now))
        return int(result.scalar_one())

    async def schedule_many(
        self, reminders: Sequence[NewReminder], *, now: datetime, only_missing: bool = False
    ) -> None:
        """Left for the COMMIT (or the reminders' next use), with the transaction's others:
        every unpaid invoice the API writes schedules its reminders."""
        if not reminders:
            return
        rows = [_schedule_values(reminder, now) for reminder in reminders]
        if self._session.in_nested_transaction():  # a savepoint rolled back takes them back
            await self._pending()
            statements = _SCHEDULE_MISSING if only_missing else _SCHEDULE
            dialect = "postgresql" if self._postgres else "sqlite"
            await self._session.execute(statements[dialect], rows)
            return
        pending = _LATER.pending(self._session)
        if only_missing:
            pending.schedule_missing(rows)
        else:
            pending.schedule(rows)

    async def cancel(self, key: str) -> int:
        await self._pending()
        result = await self._session.execute(delete(ReminderRow).where(ReminderRow.key == key))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def cancel_prefix_later(self, prefix: str) -> None:
        """Every invoice the API writes cancels its reminders first, mostly none: a batch's
        cancellations go in one statement, before the next use of the reminders in this
        transaction or before its COMMIT."""
        if self._session.in_nested_transaction():  # a savepoint rolled back takes it back
            await self.cancel_prefix(prefix)
            return
        _LATER.pending(self._session).cancel(prefix)

    async def _pending(self) -> None:
        await _LATER.flush(self._session)

    async def cancel_prefix(self, prefix: str) -> int:
        await self._pending()
        low, high = prefix_range(prefix)
        statement = _CANCEL_RANGE["postgresql" if self._postgres else "sqlite"]
        result = await self._session.execute(statement, {"low": low, "high": high})
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, reminder_id: int) -> Reminder | None:
        await self._pending()
        row = await self._session.get(ReminderRow, reminder_id)
        return None if row is None else _reminder(row)

    async def of_key(self, key: str) -> Reminder | None:
        await self._pending()
        row = await self._session.scalar(select(ReminderRow).where(ReminderRow.key == key))
        return None if row is None else _reminder(row)

    async def claim_due(self, *, now: datetime, limit: int) -> list[Reminder]:
        await self._pending()
        query = (
            select(ReminderRow)
            .where(ReminderRow.due_at <= now)
            .order_by(ReminderRow.due_at, ReminderRow.id)
            .limit(limit)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        return [_reminder(row) for row in await self._session.scalars(query)]

    async def move(self, reminder_id: int, *, due_at: datetime, sent_count: int) -> None:
        await self._pending()
        await self._session.execute(
            update(ReminderRow)
            .where(ReminderRow.id == reminder_id)
            .values(due_at=due_at, sent_count=sent_count)
        )

    async def delete(self, reminder_id: int) -> None:
        await self._pending()
        await self._session.execute(delete(ReminderRow).where(ReminderRow.id == reminder_id))


class SqlNotificationPreferences:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def get(self, person_id: int) -> NotificationPreferences:
        row = await self._session.get(NotificationPreference, person_id)
        if row is None:
            return NotificationPreferences(person_id=person_id)
        return NotificationPreferences(
            person_id=person_id,
            enabled=frozenset(ReminderKind(k) for k in row.enabled_kinds if k in _KINDS),
            quiet_hours=None if row.quiet_hours is None else quiet_hours.parse(row.quiet_hours),
            use_default=row.quiet_hours is None,
        )

    async def save(self, preferences: NotificationPreferences, *, now: datetime) -> None:
        quiet = None
        if not preferences.use_default:
            quiet = "" if preferences.quiet_hours is None else str(preferences.quiet_hours)
        values = {
            "person_id": preferences.person_id,
            "enabled_kinds": sorted(kind.value for kind in preferences.enabled),
            "quiet_hours": quiet,
            "updated_at": now,
        }
        insert = postgresql.insert if self._postgres else sqlite.insert
        statement = insert(NotificationPreference).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[NotificationPreference.person_id],
                set_={k: statement.excluded[k] for k in values if k != "person_id"},
            )
        )
