"""A person's own contacts («Profils»): e-mail, confirmed by a link, and phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class PersonContactRow(Base):
    """One row per person who gave contacts; a new e-mail waits in `pending_*` until its
    link (only the SHA-256 of its token kept) is opened."""

    __tablename__ = "person_contacts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    pending_email: Mapped[str | None] = mapped_column(String(254))
    pending_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pending_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
