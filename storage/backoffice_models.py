"""Tables of ALTUM's side: API tokens, consultants, deals, invoices, and the event feed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class ApiToken(Base):
    """A back-office system's access: only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class ApiAnswer(Base):
    """The answer to an API request sent with an idempotency key, kept a day for its retries
    (portal/idempotency.py); the key is its token's own."""

    __tablename__ = "api_answers"

    token_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ClientConsultant(Base):
    """The client's ALTUM consultant, as ALTUM last set it."""

    __tablename__ = "client_consultants"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class Deal(Base):
    """A concluded deal (loan, guarantee, …) of a client, kept as ALTUM sends it."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    product: Mapped[str] = mapped_column(String(200))
    # Money in cents: exact on SQLite and PostgreSQL alike.
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active | closed
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Invoice(Base):
    """An invoice («rēķins») of a deal, in the deal's currency."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("deal_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    paid: Mapped[bool] = mapped_column(Boolean)
    paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FeedEvent(Base):
    """What happened on the client side, for ALTUM's systems to read in commit order.

    `position` is given at COMMIT, under the lock of `feed_counter`'s one row (see
    storage/feed.py): a reader that sees position N committed sees every position below it.
    No foreign key: an event outlives what it names (a rejected client is deleted).
    """

    __tablename__ = "feed_events"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    client_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class FeedCounter(Base):
    """One row: the last position given. Updating it at commit orders the writers."""

    __tablename__ = "feed_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(BigInteger)
