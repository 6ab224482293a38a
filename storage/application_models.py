"""Tables of applications (issue 9): the forms clients fill, and their signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class Application(Base):
    """A form filled for a client: a draft until submitted. The answers are the form engine's
    JSON (`encode_answers`) with the form's id and version, so a draft reopens with the version
    it was made with."""

    __tablename__ = "applications"
    __table_args__ = (
        # «Pieteikumu saraksts»: newest first per client, by keyset on the id.
        Index("ix_applications_client_id_id", "client_id", "id"),
        Index("ix_applications_client_id_status_id", "client_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    deal_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    current_field: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    prepared_by: Mapped[int] = mapped_column(BigInteger)  # a person id
    revision: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]


class ApplicationSignature(Base):
    """A signer's decision on an exact content (its hash); an edit makes it void, never gone."""

    __tablename__ = "application_signatures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger)
    decision: Mapped[str] = mapped_column(String(10))  # signed | refused
    content_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    void: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class SignatureConfirmationRow(Base):
    """«Parakstīt» waiting for the identity provider: only the link's SHA-256 is kept."""

    __tablename__ = "signature_confirmations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    submit: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
