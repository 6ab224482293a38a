"""Updates that could not be handled: failures counted, then set aside for an operator.

Written only when an update fails, never on the way of one that is handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import QuarantinedUpdate


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt at an update, as it is to be recorded (already redacted)."""

    bot_id: int
    update_id: int
    kind: str
    raw: str
    raw_truncated: bool
    error_type: str
    error: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    bot_id: int
    update_id: int
    kind: str
    raw: str
    raw_truncated: bool
    error_type: str
    error: str
    attempts: int
    first_seen: datetime
    last_seen: datetime
    quarantined_at: datetime | None


@dataclass(frozen=True, slots=True)
class Counted:
    """The update's failures so far, and whether it was already set aside before this one."""

    attempts: int
    was_quarantined: bool


class SqlQuarantine:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_failure(self, failure: Failure, *, now: datetime) -> Counted:
        """Add one failed attempt (a first one creates the row); the error is the latest."""
        table = QuarantinedUpdate.__table__
        latest = {
            "kind": failure.kind,
            "raw": failure.raw,
            "raw_truncated": failure.raw_truncated,
            "error_type": failure.error_type,
            "error": failure.error,
            "last_seen": now,
        }
        module = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            module.insert(QuarantinedUpdate)
            .values(
                bot_id=failure.bot_id,
                update_id=failure.update_id,
                attempts=1,
                first_seen=now,
                **latest,
            )
            .on_conflict_do_update(
                index_elements=["bot_id", "update_id"],
                set_={**latest, "attempts": table.c.attempts + 1},
            )
            # The upsert leaves quarantined_at alone: what it returns is what it was before.
            .returning(table.c.attempts, table.c.quarantined_at)
        )
        row = (await self._session.execute(statement)).one()
        return Counted(attempts=int(row.attempts), was_quarantined=row.quarantined_at is not None)

    async def set_aside(self, *, bot_id: int, update_id: int, now: datetime) -> None:
        await self._session.execute(
            update(QuarantinedUpdate)
            .where(
                QuarantinedUpdate.bot_id == bot_id,
                QuarantinedUpdate.update_id == update_id,
                QuarantinedUpdate.quarantined_at.is_(None),
            )
            .values(quarantined_at=now)
        )

    async def forget_failures(self, *, bot_id: int, update_id: int) -> None:
        """The update was handled after all: its failures, if not set aside, are history."""
        await self._session.execute(
            delete(QuarantinedUpdate).where(
                QuarantinedUpdate.bot_id == bot_id,
                QuarantinedUpdate.update_id == update_id,
                QuarantinedUpdate.quarantined_at.is_(None),
            )
        )

    async def forget_stale_failures(self, age: timedelta, *, now: datetime) -> int:
        """Failure counts of updates not seen for `age` (handled elsewhere, or given up)."""
        result = await self._session.execute(
            delete(QuarantinedUpdate).where(
                QuarantinedUpdate.quarantined_at.is_(None),
                QuarantinedUpdate.last_seen < now - age,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def entries(self, *, limit: int = 100) -> list[Entry]:
        """Set-aside updates, newest first."""
        rows = await self._session.scalars(
            select(QuarantinedUpdate)
            .where(QuarantinedUpdate.quarantined_at.is_not(None))
            .order_by(QuarantinedUpdate.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in rows]

    async def get(self, entry_id: int) -> Entry | None:
        row = await self._session.get(QuarantinedUpdate, entry_id)
        return None if row is None or row.quarantined_at is None else _entry(row)

    async def delete(self, entry_id: int) -> bool:
        result = await self._session.execute(
            delete(QuarantinedUpdate).where(QuarantinedUpdate.id == entry_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def size(self) -> int:
        """How many updates are set aside now."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(QuarantinedUpdate)
            .where(QuarantinedUpdate.quarantined_at.is_not(None))
        )
        return int(count or 0)


def _entry(row: QuarantinedUpdate) -> Entry:
    return Entry(
        id=row.id,
        bot_id=row.bot_id,
        update_id=row.update_id,
        kind=row.kind,
        raw=row.raw,
        raw_truncated=row.raw_truncated,
        error_type=row.error_type,
        error=row.error,
        attempts=row.attempts,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        quarantined_at=row.quarantined_at,
    )
