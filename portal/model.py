"""The portal's records: what the use cases take and return and what the repositories keep,
with the errors the use cases raise.

Records hold data and small derived properties, never a decision: the rules are modules of
their own (`identifiers`, `identity`, `company_register`, `contacts`, `voice_password`,
`documents`, `miniapp`, `forms`), the ports are `portal.ports`, the use cases `accounts`,
`clients`, `linking`, `registration` and `uploads`. This module imports only rules, so the
ports and every use case can import it without a circle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from portal import languages
from portal.documents import KINDS, DocumentKind, UploadWarning
from portal.voice_password import Weakness

# --- time limits ---------------------------------------------------------------------------

MAX_LOGIN_LINK_MINUTES = 10  # a login link is a bearer secret while it lives: never longer


@dataclass(frozen=True, slots=True)
class TimeLimits:
    """How long what the portal hands out keeps working. Built once from the settings
    (`bot.settings.Settings.limits`) and passed to the use cases and to the texts that
    name them, so a limit is configured in one place."""

    login_link: timedelta  # the one-time link /login sends
    login_flow: timedelta  # the browser's round trip through the identity provider
    confirmation: timedelta  # the e-mail link that confirms a registration

    def __post_init__(self) -> None:
        for name in ("login_link", "login_flow", "confirmation"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if self.login_link > timedelta(minutes=MAX_LOGIN_LINK_MINUTES):
            raise ValueError(f"a login link lives at most {MAX_LOGIN_LINK_MINUTES} minutes")


# --- activity ------------------------------------------------------------------------------


class Action(StrEnum):
    ACCOUNT_CREATED = "account.created"
    LANGUAGE_CHANGED = "account.language_changed"
    LOGIN_LINK_ISSUED = "login.link_issued"
    LINKED = "person.linked"
    UNLINKED = "person.unlinked"
    CLIENT_SWITCHED = "client.switched"
    CLIENT_ACCESS_LOST = "client.access_lost"
    REGISTRATION_SUBMITTED = "client.registration_submitted"
    REGISTERED = "client.registered"
    CONFIRMED = "client.confirmed"
    UPDATE_QUARANTINED = "update.quarantined"
    UPDATE_RETRIED = "update.retried"
    UPDATE_DROPPED = "update.dropped"
    # ALTUM's side, through the back-office API (the actor names the token).
    CLIENT_OPENED = "client.opened"
    CONSULTANT_SET = "client.consultant_set"
    REGISTRATION_APPROVED = "client.registration_approved"
    REGISTRATION_REJECTED = "client.registration_rejected"
    USER_ADDED = "user.added"
    USER_CHANGED = "user.changed"
    DEAL_ADDED = "deal.added"
    DEAL_UPDATED = "deal.updated"
    INVOICE_ADDED = "invoice.added"
    INVOICE_UPDATED = "invoice.updated"


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """Audit: every state change leaves one, with who and when."""

    action: Action
    telegram_user_id: int | None = None
    person_id: int | None = None
    client_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    actor: str | None = None  # `api:<token name>` when ALTUM's systems did it


# --- Telegram accounts and persons ---------------------------------------------------------


@dataclass(slots=True)
class TelegramAccount:
    """The chat side of a person: language, the linked person, the client acted for."""

    telegram_user_id: int
    first_name: str
    username: str | None = None
    language: str | None = None
    person_id: int | None = None
    current_client_id: int | None = None
    linked_at: datetime | None = None
    telegram_language: str | None = None  # Telegram's language_code, for messages sent later

    @property
    def locale(self) -> str:
        return languages.effective_language(
            chosen=self.language, telegram_language_code=self.telegram_language
        )


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: int
    personal_code: str
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A one-time login link's secret (for the person only) and when it stops working."""

    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LoginFlowRecord:
    session_hash: str
    telegram_user_id: int
    provider: str
    flow_state: dict[str, Any]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LinkResult:
    account: TelegramAccount
    person: PersonRecord
    replaced_telegram_user_id: int | None = None  # the chat that was linked to this person


# --- clients -------------------------------------------------------------------------------


class ClientKind(StrEnum):
    LEGAL_ENTITY = "legal_entity"
    NATURAL_PERSON = "natural_person"


class Role(StrEnum):
    MAIN = "main"  # "galvenais lietotājs"
    ADDITIONAL = "additional"  # "papildu lietotājs"


class NotLinked(Exception):
    """The chat is not linked to a person: log in first."""


class NoAccess(Exception):
    """The person does not (or no longer) act for that client."""


class AlreadyRegistered(Exception):
    """A client with this registration number or personal code exists already."""


@dataclass(frozen=True, slots=True)
class ClientAccess:
    client_id: int
    name: str
    kind: ClientKind
    role: Role
    is_signatory: bool
    registration_number: str | None = None
    awaiting_review: bool = False  # this person's registration of it waits for ALTUM


@dataclass(frozen=True, slots=True)
class ClientList:
    """The clients a person acts for (by name), and the one the chat acts for now."""

    clients: list[ClientAccess]
    current_client_id: int | None


@dataclass(frozen=True, slots=True)
class NewClient:
    kind: ClientKind
    name: str
    registration_number: str | None
    personal_code: str | None
    legal_form: str | None
    address: str | None
    email: str  # "" when unknown (a client ALTUM opened)
    phone: str
    representation_rule: str | None
    representation_with_at_least: int | None
    voice_password_hash: str | None
    terms_version: str | None
    terms_accepted_at: datetime | None


# --- registration --------------------------------------------------------------------------


class Refused(StrEnum):
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_COMPANY = "unknown_company"
    CLOSED_COMPANY = "closed_company"
    NOT_SIGNATORY = "not_signatory"
    ALREADY_REGISTERED = "already_registered"
    INCOMPLETE = "incomplete"  # at submission: a detail missing or not valid (see `detail`)

    @property
    def another_number_may_help(self) -> bool:
        """A typo or a number the register does not know: the person may type another."""
        return self in (Refused.INVALID_NUMBER, Refused.UNKNOWN_COMPANY)


class Detail(StrEnum):
    """What the registration steps ask for, one at a time."""

    KIND = "kind"
    REGISTRATION_NUMBER = "registration_number"
    ADDRESS = "address"
    EMAIL = "email"
    PHONE = "phone"
    VOICE_PASSWORD = "voice_password"  # noqa: S105 - a step's name, not a secret
    VOICE_PASSWORD_REPEAT = "voice_password_repeat"  # noqa: S105
    TERMS = "terms"


class InvalidDetail(ValueError):
    """A step's answer the rules refuse; the person may answer again."""

    def __init__(self, detail: Detail, weaknesses: tuple[Weakness, ...] = ()) -> None:
        super().__init__(str(detail))
        self.detail = detail
        self.weaknesses = weaknesses  # VOICE_PASSWORD: what is wrong with it


class RegistrationRefused(Exception):
    def __init__(self, reason: Refused, detail: Detail | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail  # INCOMPLETE: the first detail missing or not valid


class ConfirmationExpired(Exception):
    """The e-mail link is unknown, used or too old."""


@dataclass(frozen=True, slots=True)
class CompanyCheck:
    registration_number: str
    name: str
    legal_form: str | None
    address: str | None
    representation_rule: str  # individually | with_all | with_at_least
    representation_with_at_least: int | None
    likely: bool  # matched by name and the six visible digits only


@dataclass(slots=True)
class RegistrationDraft:
    """What the chat has collected so far; JSON-safe (kept in the conversation state)."""

    kind: str = ClientKind.LEGAL_ENTITY
    registration_number: str | None = None
    name: str | None = None
    legal_form: str | None = None
    address: str | None = None
    representation_rule: str | None = None
    representation_with_at_least: int | None = None
    email: str | None = None
    phone: str | None = None
    voice_password_hash: str | None = None
    terms_version: str | None = None
    terms_accepted_at: str | None = None  # ISO 8601

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegistrationDraft:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True, slots=True)
class PendingRegistration:
    person_id: int
    telegram_user_id: int
    client: NewClient
    token_hash: str
    created_at: datetime
    expires_at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ConfirmedRegistration:
    client_id: int
    name: str
    telegram_user_id: int
    person_id: int
    awaiting_review: bool = False  # nothing is signed in the client's name until ALTUM checks


# --- files ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staged:
    """A received file not yet in the store: a private temporary file, its size and hash."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ClientFile:
    """A stored file as one client holds it: the only handle the store reads by."""

    client_id: int
    sha256: str
    size: int
    kind: DocumentKind
    name: str

    @property
    def media_type(self) -> str:
        return KINDS[self.kind].media_type


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    file: ClientFile
    warnings: tuple[UploadWarning, ...]


class ForeignFile(PermissionError):
    """A page offered for binding belongs to another client: a bug, never a user's error."""
