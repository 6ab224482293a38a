"""Alembic, driven from code: no alembic.ini to keep in step with the settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree (`alembic check`)."""
    command.check(alembic_config(database_url))


async def upgrade_async(database_url: str) -> None:
    # env.py runs its own event loop; keep it off ours.
    await asyncio.to_thread(upgrade, database_url)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def ensure_current(engine: AsyncEngine) -> None:
    """Refuse to run on a schema older or newer than this code."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current!r}, this code needs {head!r}: run `altum-bot migrate`"
        )


class SchemaOutOfDate(RuntimeError):
    pass
