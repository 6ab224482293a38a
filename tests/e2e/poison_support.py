"""Updates the bot cannot handle, and a look at where they end up."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import ProcessedUpdate, QuarantinedUpdate

# What the person wrote into the poll: it must reach neither the log nor the stored error.
SECRET_QUESTION = "Anna Bērziņa 010101-12345"
APOLOGY_LV = "Atvainojiet, mūsu pusē radās kļūda"


def poll_without_its_fields(user_id: int, first_name: str = "Anna") -> dict[str, Any]:
    """A message whose `poll` lacks the fields the installed aiogram requires (what a newer
    Bot API, or a malformed update, looks like to it)."""
    person = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "lv"}
    return {
        "message": {
            "message_id": 900,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": person,
            "poll": {"id": "poll-1", "question": SECRET_QUESTION},
        }
    }


async def quarantine_rows(database_url: str) -> list[QuarantinedUpdate]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            query = select(QuarantinedUpdate).order_by(QuarantinedUpdate.id)
            return list(await session.scalars(query))
    finally:
        await database.dispose()


async def processed_ids(database_url: str) -> set[int]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return set(await session.scalars(select(ProcessedUpdate.update_id)))
    finally:
        await database.dispose()


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Messages, structured fields and tracebacks of every record captured."""
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(getattr(record, "fields", {})))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def bot_texts(emu: Any, bot_id: int, chat_id: int) -> list[str]:
    messages = await emu.messages(bot_id, chat_id)
    return [m["text"] for m in messages if m.get("from_bot")]
