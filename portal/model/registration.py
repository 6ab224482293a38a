"""Registering a client: the draft the chat collects, what the register says of the company,
the pending registration and its confirmation, and ALTUM's review of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.model.clients import ClientKind, NewClient
from portal.voice_password import Weakness


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


class RegistrationStatus(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the e-mail link not opened yet
    AWAITING_REVIEW = "awaiting_review"  # a client, but nothing signed in its name yet
    CONFIRMED = "confirmed"  # no review needed (a natural person, or review is off)
    APPROVED = "approved"  # ALTUM checked it


@dataclass(frozen=True, slots=True)
class RegistrationRecord:
    """A registration as ALTUM reviews it: the client it made and who registered it."""

    id: int
    status: RegistrationStatus
    kind: str
    name: str
    registration_number: str | None
    email: str
    phone: str
    client_id: int | None
    person_id: int
    telegram_user_id: int
    registrant_given_name: str
    registrant_family_name: str
    registrant_personal_code: str
    created_at: datetime
    confirmed_at: datetime | None
    reviewed_at: datetime | None


class AwaitingReview(Exception):
    """The person's registration of this client still waits for ALTUM's check."""
