"""Migrations and models agree on both databases (`alembic check`)."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from storage.database import Database
from storage.migrate import check, current_revision, head_revision
from storage.models import Base


async def test_migrations_match_the_models(database_url: str) -> None:
    await asyncio.to_thread(check, database_url)  # raises on drift
    database = Database(database_url)
    try:
        assert await current_revision(database.engine) == head_revision()
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await database.dispose()
    assert set(Base.metadata.tables) <= tables
