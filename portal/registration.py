"""Registering a new ALTUM client (the portal's user manual, «Jauna klienta izveide»): only
signatories, confirmed by e-mail.

The chat collects a draft one step at a time through the step functions here (`start_draft`,
`with_registration_number`, `with_company`, `with_address`, `with_email`, `with_phone`,
`hash_voice_password` and `with_voice_password`, `accept_terms`), each of which refuses
what its rule refuses (`InvalidDetail`). `submit` runs the very same steps again on the whole
draft, checks the company again, and keeps a pending registration with a one-time e-mail
link; `confirm` (the link opened) creates the client with the registrant as its main user.
Unconfirmed registrations expire.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from portal import contacts, feed, review, voice_password
from portal.clients import person_of
from portal.company_register import RegisterEntry, match_officer
from portal.identifiers import InvalidRegistrationNumber, normalize_registration_number
from portal.identity import NaturalPerson
from portal.linking import linked_person
from portal.model import (
    Action,
    ActivityEvent,
    AlreadyRegistered,
    ClientKind,
    CompanyCheck,
    ConfirmationExpired,
    ConfirmedRegistration,
    Detail,
    EventType,
    InvalidDetail,
    NewClient,
    PendingRegistration,
    PersonRecord,
    Refused,
    RegistrationDraft,
    RegistrationRefused,
    RegistrationStatus,
    Role,
    TimeLimits,
)
from portal.ports import UnitOfWork
from portal.tokens import digest, new_secret

TERMS_VERSION = "2026-11-27"
# Replicas' clocks may differ a little: an acceptance stamped by another one is not "future".
_CLOCK_SKEW = timedelta(minutes=1)


# --- the steps: each takes what the person answered and returns the draft with it ----------


def start_draft(kind: str, person: PersonRecord) -> RegistrationDraft:
    """A new draft for a company, or for the person themself (named as they logged in)."""
    chosen = _kind(kind)
    if chosen is ClientKind.NATURAL_PERSON:
        return RegistrationDraft(kind=chosen, name=person.full_name)
    return RegistrationDraft(kind=chosen)


def with_registration_number(draft: RegistrationDraft, raw: str) -> RegistrationDraft:
    try:
        number = normalize_registration_number(raw.strip())
    except InvalidRegistrationNumber:
        raise InvalidDetail(Detail.REGISTRATION_NUMBER) from None
    return replace(draft, registration_number=number)


def with_company(draft: RegistrationDraft, check: CompanyCheck) -> RegistrationDraft:
    """The company as the register has it (`check_company`)."""
    return replace(
        draft,
        registration_number=check.registration_number,
        name=check.name,
        legal_form=check.legal_form,
        address=check.address,
        representation_rule=check.representation_rule,
        representation_with_at_least=check.representation_with_at_least,
    )


def with_address(draft: RegistrationDraft, raw: str) -> RegistrationDraft:
    address = contacts.normalize_address(raw)
    if address is None:
        raise InvalidDetail(Detail.ADDRESS)
    return replace(draft, address=address)


def with_email(draft: RegistrationDraft, raw: str) -> RegistrationDraft:
    email = contacts.normalize_email(raw)
    if email is None:
        raise InvalidDetail(Detail.EMAIL)
    return replace(draft, email=email)


def with_phone(draft: RegistrationDraft, raw: str) -> RegistrationDraft:
    phone = contacts.normalize_phone(raw)
    if phone is None:
        raise InvalidDetail(Detail.PHONE)
    return replace(draft, phone=phone)


async def hash_voice_password(*, uow: UnitOfWork, telegram_user_id: int, password: str) -> str:
    """The voice password's rules (not the linked person's name or code among them), then its
    slow hash, made in a thread: the password itself is never kept."""
    person = await linked_person(uow=uow, telegram_user_id=telegram_user_id)
    personal = (
        ()
        if person is None
        else voice_password.personal_data(
            given_name=person.given_name,
            family_name=person.family_name,
            personal_code=person.personal_code,
        )
    )
    weaknesses = voice_password.weaknesses(password, personal=personal)
    if weaknesses:
        raise InvalidDetail(Detail.VOICE_PASSWORD, weaknesses=tuple(weaknesses))
    return await asyncio.to_thread(voice_password.hash_password, password)


async def with_voice_password(
    draft: RegistrationDraft, *, repeated: str, hashed: str | None
) -> RegistrationDraft:
    """The password typed a second time must match the first (`hashed`)."""
    matches = bool(hashed) and await asyncio.to_thread(
        voice_password.verify_password, repeated, hashed or ""
    )
    if not matches or hashed is None:
        raise InvalidDetail(Detail.VOICE_PASSWORD_REPEAT)
    return replace(draft, voice_password_hash=hashed)


def accept_terms(draft: RegistrationDraft, *, now: datetime) -> RegistrationDraft:
    """«Piekrītu»: the current terms, accepted now."""
    if now.tzinfo is None:
        raise ValueError("the acceptance time needs its time zone")
    return replace(draft, terms_version=TERMS_VERSION, terms_accepted_at=now.isoformat())


def validated(draft: RegistrationDraft, *, now: datetime) -> RegistrationDraft:
    """The draft as the steps make it, every answer through its step again; raises
    `RegistrationRefused(INCOMPLETE)` naming the first detail missing or refused. The voice
    password is only ever seen by its step: here its hash must be one `hash_voice_password`
    made. The company is checked against the register by `submit`."""
    try:
        checked = replace(draft, kind=_kind(draft.kind))
        if checked.kind is ClientKind.LEGAL_ENTITY:
            checked = with_registration_number(checked, _text(draft.registration_number))
        else:
            checked = with_address(checked, _text(draft.address))
        checked = with_email(checked, _text(draft.email))
        checked = with_phone(checked, _text(draft.phone))
    except InvalidDetail as refused:
        raise RegistrationRefused(Refused.INCOMPLETE, refused.detail) from None
    if not voice_password.is_hash(_text(draft.voice_password_hash)):
        raise RegistrationRefused(Refused.INCOMPLETE, Detail.VOICE_PASSWORD)
    if draft.terms_version != TERMS_VERSION or _accepted_at(draft, now) is None:
        raise RegistrationRefused(Refused.INCOMPLETE, Detail.TERMS)
    return checked


def _kind(kind: str) -> ClientKind:
    try:
        return ClientKind(kind)
    except ValueError:
        raise InvalidDetail(Detail.KIND) from None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _accepted_at(draft: RegistrationDraft, now: datetime) -> datetime | None:
    """When the terms were accepted: a moment with its time zone, not in the future."""
    try:
        accepted = datetime.fromisoformat(_text(draft.terms_accepted_at))
    except ValueError:
        return None
    if accepted.tzinfo is None or accepted > now + _CLOCK_SKEW:
        return None
    return accepted


# --- the server's side ---------------------------------------------------------------------


async def check_company(
    *,
    uow: UnitOfWork,
    person: PersonRecord,
    registration_number: str,
) -> CompanyCheck:
    """ "Importēt no UR": the company as the register has it, and the person as its signatory."""
    try:
        number = normalize_registration_number(registration_number)
    except InvalidRegistrationNumber as exc:
        raise RegistrationRefused(Refused.INVALID_NUMBER) from exc
    await _refuse_if_registered(uow, person, number)
    entry = await uow.company_register.find(number)
    if entry is None:
        raise RegistrationRefused(Refused.UNKNOWN_COMPANY)
    if not entry.is_active:
        raise RegistrationRefused(Refused.CLOSED_COMPANY)
    return _as_signatory(entry, person)


async def _refuse_if_registered(uow: UnitOfWork, person: PersonRecord, number: str) -> None:
    """A registered company is refused, unless its registration still waits for ALTUM's
    review and none is approved: then a real signatory is not locked out by whoever
    registered it first (ALTUM decides between them)."""
    client = await uow.clients.find_by_number(number)
    if client is None:
        return
    joinable = await review.may_join(uow=uow, client_id=client.id)
    if not joinable or await uow.client_users.find(client_id=client.id, person_id=person.id):
        raise RegistrationRefused(Refused.ALREADY_REGISTERED)


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
    telegram_user_id: int,
    draft: RegistrationDraft,
    now: datetime,
    limits: TimeLimits,
) -> tuple[PendingRegistration, str]:
    """ "Reģistrēties": everything checked again as the steps checked it, and the company
    against the register; returns the pending registration and the e-mail link's token."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    person = await uow.persons.get(person_id)
    assert person is not None
    draft = validated(draft, now=now)
    assert draft.email and draft.phone and draft.voice_password_hash  # validated
    accepted_at = _accepted_at(draft, now)
    assert accepted_at is not None and draft.terms_version is not None  # validated
    if draft.kind == ClientKind.LEGAL_ENTITY:
        check = await check_company(
            uow=uow,
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
            terms_accepted_at=accepted_at,
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
            terms_accepted_at=accepted_at,
        )
    token = new_secret()
    pending = PendingRegistration(
        person_id=person_id,
        telegram_user_id=telegram_user_id,
        client=client,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + limits.confirmation,
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
    await feed.publish(
        uow=uow, type=EventType.CLIENT_REGISTERED, now=now, registration_id=registration_id
    )
    return pending, token


async def pending_for_token(*, uow: UnitOfWork, token: str, now: datetime) -> PendingRegistration:
    pending = await uow.registrations.peek(digest(token), now=now)
    if pending is None:
        raise ConfirmationExpired
    return pending


async def confirm(
    *, uow: UnitOfWork, token: str, now: datetime, review_required: bool = True
) -> ConfirmedRegistration:
    """ "Apstiprināt": the client becomes active with the registrant as its main user.

    A company's registration rests on a likely match (a name and six digits), so with
    `review_required` it waits for ALTUM (`portal.review`); a natural person registering
    themselves was identified by the provider and needs no review. A company already a client
    whose registrations all still wait for review gets this registrant as another main user.
    """
    pending = await uow.registrations.take(digest(token), now=now)
    if pending is None or pending.id is None:
        raise ConfirmationExpired
    client = pending.client
    existing = (
        await uow.clients.find_by_number(client.registration_number)
        if client.registration_number
        else None
    )
    if existing is not None and await review.may_join(uow=uow, client_id=existing.id):
        if await uow.client_users.find(client_id=existing.id, person_id=pending.person_id):
            raise AlreadyRegistered
        client_id = existing.id
    elif await uow.clients.exists(
        registration_number=client.registration_number, personal_code=client.personal_code
    ):
        raise AlreadyRegistered
    else:
        client_id = await uow.clients.create(client)
    awaiting = review_required and client.kind == ClientKind.LEGAL_ENTITY
    status = RegistrationStatus.AWAITING_REVIEW if awaiting else RegistrationStatus.CONFIRMED
    await uow.registrations.set_status(pending.id, status, client_id=client_id)
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
                details={"kind": str(client.kind), "registration": pending.id},
            )
        )
    await feed.publish(
        uow=uow,
        type=EventType.CLIENT_CONFIRMED,
        now=now,
        client_id=client_id,
        registration_id=pending.id,
    )
    return ConfirmedRegistration(
        client_id=client_id,
        name=client.name,
        telegram_user_id=pending.telegram_user_id,
        person_id=pending.person_id,
        awaiting_review=awaiting,
    )
