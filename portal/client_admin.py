"""ALTUM's side of a client: finding it, opening an existing ALTUM client in the bot, and its
consultant. Every write leaves an activity event naming the actor (the API token)."""

from __future__ import annotations

from datetime import datetime

from portal.contacts import normalize_email, normalize_phone
from portal.identifiers import InvalidRegistrationNumber, normalize_registration_number
from portal.model import (
    Action,
    ActivityEvent,
    AlreadyRegistered,
    ClientKind,
    ClientRecord,
    Conflict,
    Consultant,
    Invalid,
    NewClient,
    NotFound,
)
from portal.ports import UnitOfWork


async def get_client(*, uow: UnitOfWork, client_id: int) -> ClientRecord:
    client = await uow.clients.get(client_id)
    if client is None:
        raise NotFound("client")
    return client


async def client_name(*, uow: UnitOfWork, client_id: int) -> str:
    """The client's name; NotFound when there is no such client."""
    name = await uow.clients.name(client_id)
    if name is None:
        raise NotFound("client")
    return name


async def find_clients(*, uow: UnitOfWork, registration_number: str) -> list[ClientRecord]:
    """The client with this registration number, if the bot has it (a list of 0 or 1)."""
    try:
        number = normalize_registration_number(registration_number)
    except InvalidRegistrationNumber as exc:
        raise Invalid("registration_number", "not a valid registration number") from exc
    client = await uow.clients.find_by_number(number)
    return [] if client is None else [client]


async def open_client(
    *,
    uow: UnitOfWork,
    registration_number: str,
    email: str | None,
    phone: str | None,
    actor: str,
    now: datetime,
) -> ClientRecord:
    """A company that is already ALTUM's client, brought into the bot from the Company
    Register as imported; ALTUM then gives its users access (`grant_access`). No review:
    ALTUM itself vouches for it."""
    try:
        number = normalize_registration_number(registration_number)
    except InvalidRegistrationNumber as exc:
        raise Invalid("registration_number", "not a valid registration number") from exc
    entry = await uow.company_register.find(number)
    if entry is None:
        raise Invalid("registration_number", "the imported Company Register has no such company")
    if not entry.is_active:
        raise Conflict("company_closed", "the company is struck off or liquidated")
    clean_email = normalize_email(email) if email else None
    if email and clean_email is None:
        raise Invalid("email", "not an e-mail address")
    clean_phone = normalize_phone(phone) if phone else None
    if phone and clean_phone is None:
        raise Invalid("phone", "not a phone number")
    try:
        client_id = await uow.clients.create(
            NewClient(
                kind=ClientKind.LEGAL_ENTITY,
                name=entry.name,
                registration_number=entry.regcode,
                personal_code=None,
                legal_form=entry.legal_form_text or entry.legal_form,
                address=entry.address,
                email=clean_email or "",
                phone=clean_phone or "",
                representation_rule=None,  # per signatory, from the register, when they sign
                representation_with_at_least=None,
                voice_password_hash=None,
                terms_version=None,
                terms_accepted_at=None,
            )
        )
    except AlreadyRegistered as exc:
        raise Conflict("already_registered", "a client with this number exists") from exc
    await uow.activity.record(
        ActivityEvent(
            action=Action.CLIENT_OPENED, client_id=client_id, actor=actor, occurred_at=now
        )
    )
    return await get_client(uow=uow, client_id=client_id)


async def get_consultant(*, uow: UnitOfWork, client_id: int) -> Consultant:
    await client_name(uow=uow, client_id=client_id)
    consultant = await uow.consultants.get(client_id)
    if consultant is None:
        raise NotFound("consultant")
    return consultant


async def set_consultant(
    *, uow: UnitOfWork, client_id: int, consultant: Consultant, actor: str, now: datetime
) -> Consultant:
    await client_name(uow=uow, client_id=client_id)
    email = normalize_email(consultant.email)
    if email is None:
        raise Invalid("email", "not an e-mail address")
    phone = normalize_phone(consultant.phone)
    if phone is None:
        raise Invalid("phone", "not a phone number")
    name = " ".join(consultant.name.split())
    if not name:
        raise Invalid("name", "empty")
    clean = Consultant(name=name, email=email, phone=phone)
    await uow.consultants.put(client_id, clean, now=now)
    await uow.activity.record(
        ActivityEvent(
            action=Action.CONSULTANT_SET,
            client_id=client_id,
            actor=actor,
            occurred_at=now,
            details={"name": name},
        )
    )
    return clean
