"""The content-addressed file store under FILES_DIR.

Layout: `FILES_DIR/sha256/ab/cd/<64 hex digits>` for stored files, `FILES_DIR/staging/` for
files being received. A file is streamed into staging (hashed on the way, at most `max_bytes`
+ 1 bytes read), flushed and fsynced, then renamed into place and the directory fsynced: a
stored file is complete or absent, never partial. The same content arriving twice is stored
once. Memory stays at one chunk whatever the file's size.

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
from collections.abc import AsyncIterator
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
        if target.exists() and target.stat().st_size == staged.size:
            staged.path.unlink(missing_ok=True)  # the same content is already here
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

    def purge_staging(self, *, older_than_seconds: float = 3600.0) -> int:
        """Delete staged files a crashed process left behind; returns how many."""
        if not self._staging.is_dir():
            return 0
        deadline = time.time() - older_than_seconds
        removed = 0
        for leftover in self._staging.glob("*.part"):
            if leftover.stat().st_mtime < deadline:
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed

    def _blob_path(self, sha256: str) -> Path:
        if not _HASH.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self._blobs / sha256[:2] / sha256[2:4] / sha256


def _remove(path: Path) -> None:
    # A metadata operation: quick enough for the event loop, and safe while being cancelled.
    path.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
