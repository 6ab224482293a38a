"""Registering a new ALTUM client (the portal's user manual, «Jauna klienta izveide»): only
signatories, confirmed by e-mail.

The chat collects a draft; `submit` checks it all again on the server and keeps it as a
pending registration with a one-time e-mail link; `confirm` (the link opened) creates the
client with the registrant as its main user. Unconfirmed registrations expire.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from portal.activity import Action, ActivityEvent
from portal.clients import AlreadyRegistered, ClientKind, NewClient, Role, person_of
from portal.company_register import CompanyRegister, RegisterEntry, match_officer
from portal.identifiers import InvalidRegistrationNumber, normalize_registration_number
from portal.identity import NaturalPerson
from portal.linking import PersonRecord, digest, new_secret
from portal.ports import UnitOfWork

TERMS_VERSION = "2026-11-27"
CONFIRMATION_TTL = timedelta(hours=24)


class Refused(StrEnum):
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_COMPANY = "unknown_company"
    CLOSED_COMPANY = "closed_company"
    NOT_SIGNATORY = "not_signatory"
    ALREADY_REGISTERED = "already_registered"
    INCOMPLETE = "incomplete"


class RegistrationRefused(Exception):
    def __init__(self, reason: Refused) -> None:
        super().__init__(str(reason))
        self.reason = reason


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


_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PHONE_JUNK = re.compile(r"[\s().-]")


def normalize_email(raw: str) -> str | None:
    text = raw.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_phone(raw: str) -> str | None:
    """+371 and eight digits for Latvian numbers; other countries in E.164."""
    text = _PHONE_JUNK.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"[26]\d{7}", text):
        return "+371" + text
    if re.fullmatch(r"\+[1-9]\d{7,14}", text):
        if text.startswith("+371") and not re.fullmatch(r"\+371[26]\d{7}", text):
            return None
        return text
    return None


async def check_company(
    *,
    uow: UnitOfWork,
    register: CompanyRegister,
    person: PersonRecord,
    registration_number: str,
) -> CompanyCheck:
    """ "Importēt no UR": the company as the register has it, and the person as its signatory."""
    try:
        number = normalize_registration_number(registration_number)
    except InvalidRegistrationNumber as exc:
        raise RegistrationRefused(Refused.INVALID_NUMBER) from exc
    if await uow.clients.exists(registration_number=number):
        raise RegistrationRefused(Refused.ALREADY_REGISTERED)
    entry = await register.find(number)
    if entry is None:
        raise RegistrationRefused(Refused.UNKNOWN_COMPANY)
    if not entry.is_active:
        raise RegistrationRefused(Refused.CLOSED_COMPANY)
    return _as_signatory(entry, person)


def _as_signatory(entry: RegisterEntry, person: PersonRecord) -> CompanyCheck:
    match = match_officer(
        entry,
        NaturalPerson(
            personal_code=person.personal_code,
            given_name=person.given_name,
            family_name=person.family_name,
        ),
    )
    if match is None:
        raise RegistrationRefused(Refused.NOT_SIGNATORY)
    return CompanyCheck(
        registration_number=entry.regcode,
        name=entry.name,
        legal_form=entry.legal_form_text or entry.legal_form,
        address=entry.address,
        representation_rule=str(match.rule.kind),
        representation_with_at_least=match.rule.at_least,
        likely=match.likely,
    )


async def submit(
    *,
    uow: UnitOfWork,
    register: CompanyRegister,
    telegram_user_id: int,
    draft: RegistrationDraft,
    now: datetime,
    ttl: timedelta = CONFIRMATION_TTL,
) -> tuple[PendingRegistration, str]:
    """ "Reģistrēties": everything checked again; returns the registration and the e-mail token."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    person = await uow.persons.get(person_id)
    assert person is not None
    if not (draft.email and draft.phone and draft.voice_password_hash and draft.terms_version):
        raise RegistrationRefused(Refused.INCOMPLETE)
    if draft.terms_version != TERMS_VERSION or draft.terms_accepted_at is None:
        raise RegistrationRefused(Refused.INCOMPLETE)
    if draft.kind == ClientKind.LEGAL_ENTITY:
        check = await check_company(
            uow=uow,
            register=register,
            person=person,
            registration_number=draft.registration_number or "",
        )
        client = NewClient(
            kind=ClientKind.LEGAL_ENTITY,
            name=check.name,
            registration_number=check.registration_number,
            personal_code=None,
            legal_form=check.legal_form,
            address=check.address,
            email=draft.email,
            phone=draft.phone,
            representation_rule=check.representation_rule,
            representation_with_at_least=check.representation_with_at_least,
            voice_password_hash=draft.voice_password_hash,
            terms_version=draft.terms_version,
            terms_accepted_at=datetime.fromisoformat(draft.terms_accepted_at),
        )
    else:
        if await uow.clients.exists(personal_code=person.personal_code):
            raise RegistrationRefused(Refused.ALREADY_REGISTERED)
        client = NewClient(
            kind=ClientKind.NATURAL_PERSON,
            name=person.full_name,
            registration_number=None,
            personal_code=person.personal_code,
            legal_form=None,
            address=draft.address,
            email=draft.email,
            phone=draft.phone,
            representation_rule="individually",
            representation_with_at_least=None,
            voice_password_hash=draft.voice_password_hash,
            terms_version=draft.terms_version,
            terms_accepted_at=datetime.fromisoformat(draft.terms_accepted_at),
        )
    token = new_secret()
    pending = PendingRegistration(
        person_id=person_id,
        telegram_user_id=telegram_user_id,
        client=client,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + ttl,
    )
    registration_id = await uow.registrations.add(pending)
    await uow.activity.record(
        ActivityEvent(
            action=Action.REGISTRATION_SUBMITTED,
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            details={"registration": registration_id, "kind": str(client.kind)},
        )
    )
    return pending, token


async def pending_for_token(*, uow: UnitOfWork, token: str, now: datetime) -> PendingRegistration:
    pending = await uow.registrations.peek(digest(token), now=now)
    if pending is None:
        raise ConfirmationExpired
    return pending


async def confirm(*, uow: UnitOfWork, token: str, now: datetime) -> ConfirmedRegistration:
    """ "Apstiprināt": the client becomes active with the registrant as its main user."""
    pending = await uow.registrations.take(digest(token), now=now)
    if pending is None:
        raise ConfirmationExpired
    client = pending.client
    if await uow.clients.exists(
        registration_number=client.registration_number, personal_code=client.personal_code
    ):
        raise AlreadyRegistered
    client_id = await uow.clients.create(client)
    await uow.clients.add_membership(
        person_id=pending.person_id, client_id=client_id, role=Role.MAIN, is_signatory=True
    )
    account = await uow.accounts.get(pending.telegram_user_id)
    if account is not None and account.person_id == pending.person_id:
        account.current_client_id = client_id
        await uow.accounts.save(account)
    for action, when in (
        (Action.REGISTERED, pending.created_at),
        (Action.CONFIRMED, now),
    ):
        await uow.activity.record(
            ActivityEvent(
                action=action,
                telegram_user_id=pending.telegram_user_id,
                person_id=pending.person_id,
                client_id=client_id,
                occurred_at=when,
                details={"kind": str(client.kind)},
            )
        )
    return ConfirmedRegistration(
        client_id=client_id,
        name=client.name,
        telegram_user_id=pending.telegram_user_id,
        person_id=pending.person_id,
    )
