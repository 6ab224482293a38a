from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The test database (SQLite and PostgreSQL), migrated, with an engine of its own."""
    database = Database(database_url)
    yield database
    await database.dispose()
