"""A file staged before the transaction is used once: a handler run again after its batch
rolled back finds it kept or discarded by the first run, and downloads it itself."""

from __future__ import annotations

from pathlib import Path

from dialogs.uploads import Prefetched
from portal.model import Staged


def test_a_staged_file_is_used_only_while_it_is_there(tmp_path: Path) -> None:
    path = tmp_path / "a.part"
    path.write_bytes(b"x" * 2048)
    fetched = Prefetched("file-1", Staged(path=path, size=2048, sha256="0" * 64))
    assert fetched.usable_for("file-1")
    assert not fetched.usable_for("file-2")  # another message's file
    path.unlink()  # committed to the store (or discarded) by the first run
    assert not fetched.usable_for("file-1")
    assert Prefetched("file-1", None).usable_for("file-1")  # too large: refused again
