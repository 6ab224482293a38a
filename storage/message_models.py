"""Tables of «Saziņa»: threads, messages and the client's documents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class MessageThread(Base):
    """A thread with its newest message's status, text and time kept on it, so that the list
    is one index range however many messages there are."""

    __tablename__ = "message_threads"
    __table_args__ = (Index("ix_message_threads_client_last", "client_id", "last_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    # No foreign key: applications are another section's tables, added independently.
    application_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    last_text: Mapped[str] = mapped_column(String(200))
    last_at: Mapped[datetime]
    unread: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class ThreadMessage(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class ClientDocument(Base):
    """A stored file as one client's document: the only way back to its bytes."""

    __tablename__ = "client_documents"
    __table_args__ = (Index("ix_client_documents_client", "client_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    doc_type: Mapped[str | None] = mapped_column(String(32))
    prepared_on: Mapped[date | None]
    incoming: Mapped[bool]
    created_at: Mapped[datetime]
    # Sent through the old portal's «DOKUMENTI» before 22.01.2022: the archive ALTUM imports.
    sent_on: Mapped[date | None]
