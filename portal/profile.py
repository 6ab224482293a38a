"""«Profils» (MANUAL-EN §4): the person's own contacts — an e-mail address confirmed by a link
sent to it (the registration's machinery: a one-time token, only its hash kept, valid
`TimeLimits.confirmation`), a phone — and, for any active user of the chat's current client,
«Klienta informācija» (name, registration number, address, signing rule, main users) and the
consultant's contacts."""

from __future__ import annotations

from datetime import datetime

from portal import tokens
from portal.clients import current_client, person_of
from portal.contacts import normalize_email, normalize_phone
from portal.model import (
    Action,
    ActivityEvent,
    ClientInformation,
    ConfirmationExpired,
    ConfirmedEmail,
    Invalid,
    IssuedLink,
    MembershipStatus,
    NoClientChosen,
    NotFound,
    Profile,
    Role,
    TimeLimits,
)
from portal.ports import UnitOfWork


async def profile(*, uow: UnitOfWork, telegram_user_id: int) -> Profile:
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    person = await uow.persons.get(person_id)
    account = await uow.accounts.get(telegram_user_id)
    if person is None or account is None:
        raise NotFound("person")
    contacts = await uow.person_contacts.get(person_id)
    return Profile(person=person, contacts=contacts, language=account.locale)


async def change_phone(*, uow: UnitOfWork, telegram_user_id: int, phone: str, now: datetime) -> str:
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    normalized = normalize_phone(phone)
    if normalized is None:
        raise Invalid("phone", "not a phone number")
    await uow.person_contacts.set_phone(person_id, normalized, now=now)
    await uow.activity.record(
        ActivityEvent(
            action=Action.PHONE_CHANGED,
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            occurred_at=now,
        )
    )
    return normalized


async def request_email(
    *, uow: UnitOfWork, telegram_user_id: int, email: str, now: datetime, limits: TimeLimits
) -> tuple[str, IssuedLink]:
    """The new address waits until the link sent to it is opened: (address, the link's
    secret for the e-mail only)."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    normalized = normalize_email(email)
    if normalized is None:
        raise Invalid("email", "not an e-mail address")
    secret = tokens.new_secret()
    expires_at = now + limits.confirmation
    await uow.person_contacts.request_email(
        person_id, normalized, token_hash=tokens.digest(secret), expires_at=expires_at, now=now
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.EMAIL_REQUESTED,
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            occurred_at=now,
        )
    )
    return normalized, IssuedLink(token=secret, expires_at=expires_at)


async def confirm_email(*, uow: UnitOfWork, token: str, now: datetime) -> ConfirmedEmail:
    taken = await uow.person_contacts.confirm_email(tokens.digest(token), now=now)
    if taken is None:
        raise ConfirmationExpired
    person_id, email = taken
    account = await uow.accounts.find_by_person(person_id)
    await uow.activity.record(
        ActivityEvent(action=Action.EMAIL_CONFIRMED, person_id=person_id, occurred_at=now)
    )
    return ConfirmedEmail(
        person_id=person_id,
        email=email,
        telegram_user_id=account.telegram_user_id if account is not None else None,
    )


async def client_information(*, uow: UnitOfWork, telegram_user_id: int) -> ClientInformation:
    access = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    if access is None:
        raise NoClientChosen
    client = await uow.clients.get(access.client_id)
    if client is None:
        raise NoClientChosen
    main_users = [
        user
        for user in await uow.client_users.of_client(access.client_id)
        if user.role == Role.MAIN and user.status == MembershipStatus.ACTIVE
    ]
    consultant = await uow.consultants.get(access.client_id)
    return ClientInformation(client=client, main_users=main_users, consultant=consultant)
