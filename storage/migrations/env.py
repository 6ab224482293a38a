"""Alembic environment: async engine, URL from the caller (`altum-bot migrate`) or DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.models import Base, UtcDateTime

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return str(
        config.attributes.get("database_url")
        or os.environ.get("DATABASE_URL")
        or "sqlite:///./var/altum.db"
    )


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations spell UtcDateTime as the plain type it stores (no import of our code)."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Alembic can neither reflect nor compare an index on (key COLLATE "C"), so the models create
# it with DDL of their own (storage/reminder_models.py); tests/storage/test_reminder_keys.py
# checks that it is there and used.
_NOT_COMPARED = {"ix_reminders_key_c"}


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "index" and name in _NOT_COMPARED)


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    database = Database(_url())
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await database.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
