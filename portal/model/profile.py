"""«Profils»: the person's own contacts, and what they see of their client and consultant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.model.clients import ClientRecord, ClientUser, Consultant
from portal.model.people import PersonRecord


@dataclass(frozen=True, slots=True)
class PersonContacts:
    email: str | None = None  # confirmed by its link
    phone: str | None = None
    pending_email: str | None = None  # waiting for its link to be opened
    pending_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    person: PersonRecord
    contacts: PersonContacts
    language: str


@dataclass(frozen=True, slots=True)
class ConfirmedEmail:
    person_id: int
    email: str
    telegram_user_id: int | None  # the chat to tell, if the person has one linked


@dataclass(frozen=True, slots=True)
class ClientInformation:
    """«Klienta informācija»: the client as ALTUM knows it, its main users, its consultant."""

    client: ClientRecord
    main_users: list[ClientUser]
    consultant: Consultant | None
