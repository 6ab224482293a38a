"""Clients: what a person may act for in the chat, and a client as ALTUM administers it (its
users and consultant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal.model.errors import Conflict


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


# --- as ALTUM administers it (the back-office API) ------------------------------------------


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class ClientRecord:
    id: int
    kind: str
    name: str
    registration_number: str | None
    status: str
    legal_form: str | None
    address: str | None
    email: str | None
    phone: str | None
    representation_rule: str | None
    representation_with_at_least: int | None
    created_at: datetime
    awaiting_review: bool = False  # a registration of it waits for ALTUM's check


@dataclass(frozen=True, slots=True)
class ClientUser:
    """A person's access to a client (a membership): main or additional, active or blocked."""

    id: int
    client_id: int
    person_id: int
    personal_code: str
    given_name: str
    family_name: str
    role: str
    status: str
    is_signatory: bool
    linked: bool  # the person has a Telegram account linked
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Consultant:
    name: str
    email: str
    phone: str


class UserExists(Conflict):
    """ALTUM granted access to a person who has it already (`user_id` names it)."""

    def __init__(self, user_id: int) -> None:
        super().__init__("user_exists", "this person already has access to the client")
        self.user_id = user_id
