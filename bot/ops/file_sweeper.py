"""The file sweeper: stored files that nothing names any more leave the disk.

Rows stop naming a file when a client deletes a document, a draft is cancelled («Atcelt»), a
registration is rejected (the client and its rows go by cascade), a queued document is sent;
the bytes stay, since the store is shared by hash. Every `FILES_SWEEP_SECONDS` (and once by
`altum-bot files sweep`) a sweep:

1. lists the stored files older than `FILES_SWEEP_GRACE_HOURS` (by modification time, which
   every store of the same content and every `keep` sets to now);
2. reads, in one statement, every hash the database names (`storage/file_references.py`:
   documents, applications' answers, conversation states, queued sendDocuments);
3. deletes each old file not named, through `ContentStore.remove_if_old`, which looks at the
   file's time again after moving it aside, so that one stored again meanwhile stays;
4. deletes staged leftovers older than the grace (half-received uploads of a crashed process).

The grace covers what no row can name yet: an upload committed to the store whose row is
being written, and a file a process remembers in memory (the user guide, `keep`). Several
processes may sweep at once: a file is moved aside by one of them only, and the others count
nothing for it. Logs say counts and bytes, never names or hashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.logs import fields
from bot.settings import Settings
from integrations.files import ContentStore
from storage.database import Database, DatabaseUnavailable
from storage.file_references import referenced_files
from storage.migrate import ensure_current

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Swept:
    files: int = 0  # stored files deleted
    bytes: int = 0
    kept: int = 0  # old enough but still named by a row
    staged: int = 0  # staged leftovers deleted
    staged_bytes: int = 0

    def __bool__(self) -> bool:
        return bool(self.files or self.staged)

    def text(self) -> str:
        return (
            f"removed {self.files} stored file(s), {self.bytes} bytes; "
            f"{self.kept} old file(s) still in use kept; "
            f"removed {self.staged} staged leftover(s), {self.staged_bytes} bytes"
        )


async def sweep_once(
    database: Database, store: ContentStore, *, grace: timedelta, now: datetime | None = None
) -> Swept:
    """One sweep; `now` is for tests (the files' times are compared with `now - grace`)."""
    deadline = ((now or utcnow()) - grace).timestamp()
    await asyncio.to_thread(store.put_back_swept)  # what a sweep that died left aside
    old = await asyncio.to_thread(_old_files, store, deadline)
    kept = removed = freed = 0
    if old:
        # After listing: a file named only from now on was stored (touched) just now.
        async with database.transaction() as session:
            named = await referenced_files(session)
        for sha256 in old:
            if sha256 in named:
                kept += 1
                continue
            size = await asyncio.to_thread(store.remove_if_old, sha256, older_than=deadline)
            if size is not None:
                removed += 1
                freed += size
    staged, staged_bytes = await asyncio.to_thread(
        store.purge_staging, older_than_seconds=time.time() - deadline
    )
    return Swept(removed, freed, kept, staged, staged_bytes)


def _old_files(store: ContentStore, deadline: float) -> list[str]:
    return [sha256 for sha256, mtime in store.stored() if mtime < deadline]


class FileSweeper:
    def __init__(
        self,
        database: Database,
        store: ContentStore,
        *,
        every: float,
        grace: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self._database = database
        self._store = store
        self._every = every
        self.grace = grace
        self.clock = clock  # tests set their own

    async def tick(self) -> Swept:
        return await sweep_once(self._database, self._store, grace=self.grace, now=self.clock())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                swept = await self.tick()
                if swept:
                    log.info(
                        "files swept",
                        extra=fields(
                            files=swept.files,
                            bytes=swept.bytes,
                            kept=swept.kept,
                            staged=swept.staged,
                            staged_bytes=swept.staged_bytes,
                        ),
                    )
            except DatabaseUnavailable:
                log.warning("file sweep: database unavailable, will retry")
            except Exception as exc:
                log.warning("file sweep failed", extra=fields(error=type(exc).__name__))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._every)


async def sweep_stored_files(settings: Settings) -> Swept:
    """`altum-bot files sweep`: one sweep with the settings' grace."""
    database = Database(settings.database_url)
    try:
        await ensure_current(database.engine)
        return await sweep_once(
            database,
            ContentStore(settings.files.dir),
            grace=timedelta(hours=settings.files.sweep_grace_hours),
        )
    finally:
        await database.dispose()
