"""What the storage tests share: the statements a database was sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.database import Database


@contextmanager
def sent_statements(database: Database) -> Iterator[list[str]]:
    """Every statement sent while inside, in order; SQLite's BEGIN IMMEDIATE left out."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):
            sent.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
