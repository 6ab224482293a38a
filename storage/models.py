"""Tables. Alembic migrations under `storage/migrations/` must match these (`alembic check`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# SQLite only has 64-bit INTEGER; BigInteger primary keys would lose autoincrement there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: UtcDateTime(),
    }


class Person(Base):
    """A natural person, known by their personal code (digits only)."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    personal_code: Mapped[str] = mapped_column(String(11), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PreviousPersonalCode(Base):
    """A code the person had before a code change (Latvija.lv sends them as history)."""

    __tablename__ = "previous_personal_codes"

    personal_code: Mapped[str] = mapped_column(String(11), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)


class TelegramAccountRow(Base):
    __tablename__ = "telegram_accounts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), unique=True
    )
    first_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(8))
    current_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL")
    )
    linked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Client(Base):
    """An ALTUM client: a company (registration number) or a natural person."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # legal_entity | natural_person
    registration_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    personal_code: Mapped[str | None] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # How the company's signatories sign: individually | with_all | with_at_least (+ N).
    representation_rule: Mapped[str | None] = mapped_column(String(16))
    representation_with_at_least: Mapped[int | None]
    voice_password_hash: Mapped[str | None] = mapped_column(String(200))
    terms_version: Mapped[str | None] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | blocked
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Membership(Base):
    """A person's access to a client: main or additional user, active or blocked."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "client_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # main | additional
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | blocked
    is_signatory: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ActivityEventRow(Base):
    __tablename__ = "activity_events"
    __table_args__ = (Index("ix_activity_events_client_time", "client_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    # Who did it when it was not the person: `api:<token name>` for ALTUM's systems.
    actor: Mapped[str | None] = mapped_column(String(100))


class ProcessedUpdate(Base):
    """Telegram update ids already handled: a redelivered update changes nothing twice."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class QuarantinedUpdate(Base):
    """An update that could not be handled: its JSON and what went wrong, for an operator.

    A row with `quarantined_at` still empty counts the failures of an update being tried
    again; once set, the update is set aside (acknowledged) until `altum-bot quarantine`
    retries or drops it.
    """

    __tablename__ = "quarantined_updates"
    __table_args__ = (UniqueConstraint("bot_id", "update_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)  # the update's JSON, cut at a size limit
    raw_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    error_type: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)  # redacted: no personal data, no secrets
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    quarantined_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A side effect to carry out after commit: a Bot API call now, e-mails later.

    A payload holding a live secret (a login or confirmation link) comes with
    `scrubbed_payload`, the same without the secret, which replaces it once the row is sent
    or given up; `expires_at` says when the secret dies, after which the row is dropped."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "locked_until"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    scrubbed_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class ConversationState(Base):
    """Where each user is in a dialog (aiogram FSM state and data), so restarts resume."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class LoginLink(Base):
    """A one-time link that lets a Telegram user prove who they are. Only the hash is kept."""

    __tablename__ = "login_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    consumed_at: Mapped[datetime | None]


class LoginFlow(Base):
    """A provider round trip under way, bound to a link and to one browser (by a cookie).
    Deleted when the callback takes it: its state (PKCE verifier, nonce) outlives no use."""

    __tablename__ = "login_flows"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(32))
    flow_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedAssertion(Base):
    """Assertion ids already accepted, kept until they expire: a replay is refused."""

    __tablename__ = "used_assertions"

    assertion_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Registration(Base):
    """A new client's registration: waiting for its e-mail confirmation (deleted when it
    expires), then kept with the client it made, for ALTUM's review (approve or reject)."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    registration_number: Mapped[str | None] = mapped_column(String(11))
    name: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    personal_code: Mapped[str | None] = mapped_column(String(11))  # a natural-person client
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32))
    representation_rule: Mapped[str | None] = mapped_column(String(16))
    representation_with_at_least: Mapped[int | None]
    voice_password_hash: Mapped[str] = mapped_column(String(200))
    terms_version: Mapped[str] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # awaiting_confirmation | awaiting_review | confirmed (no review needed) | approved
    status: Mapped[str] = mapped_column(
        String(24), default="awaiting_confirmation", server_default="awaiting_confirmation"
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    confirmed_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]


class RegisterCompany(Base):
    """The Company Register's `register.csv`, as last imported."""

    __tablename__ = "ur_companies"

    regcode: Mapped[str] = mapped_column(String(11), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    legal_form: Mapped[str | None] = mapped_column(String(20))  # `type`, e.g. SIA
    legal_form_text: Mapped[str | None] = mapped_column(String(200))  # `type_text`
    registered: Mapped[date | None] = mapped_column(Date)
    terminated: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(500))
    # The import that last saw this row; rows an import did not see are deleted after it.
    import_id: Mapped[int] = mapped_column(BigInteger, index=True)


class RegisterOfficer(Base):
    """The Company Register's `officers.csv`: who may represent which company, and how."""

    __tablename__ = "ur_officers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    regcode: Mapped[str] = mapped_column(String(11), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(64))
    governing_body: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    code_masked: Mapped[str | None] = mapped_column(String(16))
    representation_type: Mapped[str | None] = mapped_column(String(32))
    representation_with_at_least: Mapped[int | None]
    registered_on: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int] = mapped_column(BigInteger, index=True)


# The back-office tables (API tokens, deals, invoices, consultants, the event feed) live in
# their own module; importing it here puts them on `Base.metadata` wherever models are used.
# Applications and their signatures (issue 9), likewise.
from storage import application_models as _application_models  # noqa: E402, F401
from storage import backoffice_models as _backoffice_models  # noqa: E402, F401
from storage import message_models as _message_models  # noqa: E402, F401

# A person's own contacts («Profils»), likewise.
from storage import profile_models as _profile_models  # noqa: E402, F401

# Pushes, reminders and notification preferences: their own module, likewise.
from storage import reminder_models as _reminder_models  # noqa: E402, F401
