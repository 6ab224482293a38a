"""The content-addressed file store under FILES_DIR.

Layout: `FILES_DIR/sha256/ab/cd/<64 hex digits>` for stored files, `FILES_DIR/staging/` for
files being received. A file is streamed into staging (hashed on the way, at most `max_bytes`
+ 1 bytes read), flushed and fsynced, then renamed into place and the directory fsynced: a
stored file is complete or absent, never partial. The same content arriving twice is stored
once. Memory stays at one chunk whatever the file's size.

Lifecycle: nothing deletes a stored file when a row stops naming it (the store is shared by
hash). The sweeper (`bot/ops/file_sweeper.py`) deletes files that nothing names and whose
modification time is older than a grace period; every `commit` of content already here, and
every `keep`, sets that time to now, so a file being stored again is never old. `remove_if_old`
closes the race with such a commit: it renames the file out of the way first, then looks at
its time again, and puts it back if it was touched meanwhile; a commit whose touch finds the
file gone renames its own copy into place. A file a dead sweep left aside is put back by the
next (`put_back_swept`).

FILES_DIR must be outside anything a web server serves: files come back only through
`ClientFile`s (see `portal/model.py`), never by a URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from portal.model import ClientFile, Staged
from portal.ports import ByteSource

CHUNK = 64 * 1024
_HASH = re.compile(r"[0-9a-f]{64}")


class StoreCorrupted(RuntimeError):
    """A stored file no longer matches its hash or size (disk damage, tampering)."""


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "sha256"
        self._staging = root / "staging"

    def prepare(self) -> None:
        """Create the directories, readable by this process's user only."""
        for directory in (self.root, self._blobs, self._staging):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def stage(self, source: ByteSource, *, max_bytes: int) -> Staged | None:
        self.prepare()
        descriptor, name = tempfile.mkstemp(dir=self._staging, suffix=".part")
        path = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as out:
                # Never ask for more than one byte past the limit: that byte proves "too large".
                while size <= max_bytes:
                    chunk = await source.read(min(CHUNK, max_bytes + 1 - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                if size > max_bytes:
                    _remove(path)
                    return None
                out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())
        except BaseException:
            _remove(path)
            raise
        return Staged(path=path, size=size, sha256=digest.hexdigest())

    async def commit(self, staged: Staged) -> None:
        await asyncio.to_thread(self._commit, staged)

    def _commit(self, staged: Staged) -> None:
        target = self._blob_path(staged.sha256)
        if target.exists() and target.stat().st_size == staged.size and _touch(target):
            staged.path.unlink(missing_ok=True)  # the same content is already here, kept new
            return
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staged.path.chmod(0o400)
        # Atomic on one file system; a concurrent commit of the same content renames
        # identical bytes over identical bytes.
        staged.path.replace(target)
        _fsync_directory(target.parent)

    async def discard(self, staged: Staged) -> None:
        _remove(staged.path)

    def path(self, file: ClientFile) -> Path:
        return self._blob_path(file.sha256)

    async def chunks(self, file: ClientFile) -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        size = 0
        with self._blob_path(file.sha256).open("rb") as stored:
            while chunk := await asyncio.to_thread(stored.read, CHUNK):
                digest.update(chunk)
                size += len(chunk)
                yield chunk
        if size != file.size or digest.hexdigest() != file.sha256:
            raise StoreCorrupted(f"stored file {file.sha256[:12]}… does not match its hash")

    def contains(self, sha256: str) -> bool:
        """For housekeeping and tests; readers go through `ClientFile`s."""
        return self._blob_path(sha256).is_file()

    def sending_path(self, sha256: str) -> Path | None:
        """For the outbox, which sends a document its handler found by client; None for a
        malformed hash."""
        return self._blob_path(sha256) if _HASH.fullmatch(sha256) else None

    def keep(self, sha256: str) -> bool:
        """Mark a stored file as in use now (its time to now), for a holder that names it
        without a row (a file made once and remembered in memory); False if it is gone."""
        return _touch(self._blob_path(sha256))

    def purge_staging(self, *, older_than_seconds: float = 3600.0) -> tuple[int, int]:
        """Delete staged files a crashed process left behind; returns how many and their
        bytes."""
        if not self._staging.is_dir():
            return 0, 0
        deadline = time.time() - older_than_seconds
        removed = freed = 0
        for leftover in self._staging.glob("*.part"):
            try:
                found = leftover.stat()
                if found.st_mtime >= deadline:
                    continue
                leftover.unlink()
            except FileNotFoundError:  # another process took it
                continue
            removed += 1
            freed += found.st_size
        return removed, freed

    def stored(self) -> Iterator[tuple[str, float]]:
        """(hash, modification time) of every stored file, in no order, for the sweeper."""
        if not self._blobs.is_dir():
            return
        for first in self._blobs.iterdir():
            if not first.is_dir():
                continue
            for second in first.iterdir():
                if not second.is_dir():
                    continue
                for blob in second.iterdir():
                    if not _HASH.fullmatch(blob.name):
                        continue
                    try:
                        yield blob.name, blob.stat().st_mtime
                    except FileNotFoundError:
                        continue  # swept by another process meanwhile

    def remove_if_old(self, sha256: str, *, older_than: float) -> int | None:
        """Delete a stored file if its time is still before `older_than` (a POSIX time);
        its size if this call deleted it, else None (gone already, or touched meanwhile).

        The caller has checked that nothing names the file. It is renamed into staging
        first (atomic), and its time is read there: a commit that touched it before the
        rename has made it new, so it goes back; one that comes after the rename finds it
        missing and puts its own copy in place. Two sweepers at once: one rename wins."""
        target = self._blob_path(sha256)
        try:
            if target.stat().st_mtime >= older_than:
                return None
        except FileNotFoundError:
            return None
        self._staging.mkdir(mode=0o700, parents=True, exist_ok=True)
        aside = self._staging / f"{sha256}.{time.time_ns()}.{os.getpid()}.swept"
        try:
            target.rename(aside)
        except FileNotFoundError:
            return None  # another sweeper was first
        found = aside.stat()
        if found.st_mtime >= older_than:  # stored again in the meantime: it stays
            aside.replace(target)  # the same bytes, whatever is there now
            return None
        aside.unlink()
        return found.st_size

    def put_back_swept(self, *, older_than_seconds: float = 60.0) -> int:
        """Put back files a sweep moved aside and then died before deciding on (its name says
        when); the next sweep decides again. How many."""
        if not self._staging.is_dir():
            return 0
        deadline = time.time_ns() - int(older_than_seconds * 1e9)
        restored = 0
        for aside in self._staging.glob("*.swept"):
            sha256, _, rest = aside.name.partition(".")
            moved_at = rest.partition(".")[0]
            if not _HASH.fullmatch(sha256) or not moved_at.isdigit() or int(moved_at) > deadline:
                continue
            target = self._blob_path(sha256)
            try:
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                aside.replace(target)  # the same bytes as anything there now
            except FileNotFoundError:
                continue  # another sweep put it back
            restored += 1
        return restored

    def _blob_path(self, sha256: str) -> Path:
        if not _HASH.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self._blobs / sha256[:2] / sha256[2:4] / sha256


def _touch(path: Path) -> bool:
    """Set a file's times to now; False if it is not there (swept a moment ago)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _remove(path: Path) -> None:
    # A metadata operation: quick enough for the event loop, and safe while being cancelled.
    path.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
