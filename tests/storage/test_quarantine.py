"""The quarantine table: failures counted per update, set aside once, listed, dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.quarantine import Failure, SqlQuarantine


def failure(update_id: int, error: str) -> Failure:
    return Failure(
        bot_id=1,
        update_id=update_id,
        kind="message",
        raw=f'{{"update_id":{update_id}}}',
        raw_truncated=False,
        error_type="RuntimeError",
        error=error,
    )


async def test_failures_are_counted_and_an_update_set_aside_once(database_url: str) -> None:
    database = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            quarantine = SqlQuarantine(session)
            first = await quarantine.count_failure(failure(10, "first"), now=now)
            second = await quarantine.count_failure(failure(10, "second"), now=now)
            await quarantine.count_failure(failure(11, "other"), now=now)
            assert (first.attempts, second.attempts) == (1, 2)
            assert not second.was_quarantined
            assert await quarantine.entries() == []  # counted, not yet set aside
            await quarantine.set_aside(bot_id=1, update_id=10, now=now + timedelta(seconds=1))
            third = await quarantine.count_failure(failure(10, "third"), now=now)
            assert (third.attempts, third.was_quarantined) == (3, True)
            await quarantine.forget_failures(bot_id=1, update_id=10)  # set aside: stays
            await quarantine.forget_failures(bot_id=1, update_id=11)  # only counted: goes
        async with database.transaction() as session:
            quarantine = SqlQuarantine(session)
            (entry,) = await quarantine.entries()
            assert (entry.update_id, entry.attempts, entry.error) == (10, 3, "third")
            assert entry.first_seen == now and entry.quarantined_at is not None
            assert await quarantine.size() == 1
            assert await quarantine.get(entry.id) == entry
            assert await quarantine.delete(entry.id)
            assert await quarantine.get(entry.id) is None and await quarantine.size() == 0
    finally:
        await database.dispose()
