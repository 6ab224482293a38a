"""Tables of pushes and reminders: the push sender's shared pace, scheduled reminders and each
person's notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Connection, ForeignKey, Index, Integer, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class PushPace(Base):
    """One row: the earliest time the next push may go, for every process together (a GCRA
    whose row lock makes the processes take their slots one after another)."""

    __tablename__ = "push_pace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_at: Mapped[datetime]


class PushChat(Base):
    """When a chat may get its next push (at most one a second per chat)."""

    __tablename__ = "push_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime]


class ReminderRow(Base):
    """A reminder due at `due_at`, repeated every `repeat_seconds` until `sent_count` reaches
    `max_count`; `key` makes scheduling idempotent and lets a use case cancel it."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    repeat_seconds: Mapped[int | None] = mapped_column(Integer)
    max_count: Mapped[int] = mapped_column(Integer)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


# A prefix's reminders (an invoice's, an application's) are a range of keys in byte order
# (storage/reminders.py); SQLite's unique index on the key is in that order already. Kept out
# of the metadata's indexes: alembic can neither reflect nor compare it (migration 0010).
@event.listens_for(ReminderRow.__table__, "after_create")
def _key_range_index(_table: Any, connection: Connection, **_kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text('CREATE INDEX ix_reminders_key_c ON reminders ((key COLLATE "C"))'))


class NotificationPreference(Base):
    """A person's choices: the reminder kinds they get, and their quiet hours ("HH:MM-HH:MM",
    "" for none, NULL for the bot's default)."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    enabled_kinds: Mapped[list[str]] = mapped_column(JSON)
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    updated_at: Mapped[datetime]
