"""A main user running who may act for their client (the portal's «Administrēšana»): the
users with role, status and whether the Company Register shows them as a signatory; a new
additional user by personal code; blocking and restoring.

Every call checks again that the chat's person is an active main user of the client the chat
acts for now, and reads the user it changes through that client: a forged or stale button
reaches nothing of another client. A main user is made only by ALTUM (`client_users`), and
no change may leave the client without an active main user.
"""

from __future__ import annotations

from datetime import datetime

from portal.clients import current_client, person_of
from portal.company_register import match_officer
from portal.identifiers import InvalidPersonalCode, normalize_personal_code
from portal.identity import NaturalPerson
from portal.model import (
    AccessBlockedByMainUser,
    AccessGrantedByMainUser,
    AccessRestoredByMainUser,
    Action,
    ActivityEvent,
    Administered,
    ClientUser,
    Invalid,
    LastMainUser,
    MembershipStatus,
    NoClientChosen,
    NotFound,
    NotMainUser,
    Role,
    UserExists,
    UserLine,
)
from portal.ports import Notifier, UnitOfWork


def actor_of(person_id: int) -> str:
    """How the activity log names a person acting in chat (resolved to a name when shown)."""
    return f"person:{person_id}"


def actor_person(actor: str | None) -> int | None:
    """The person an `actor_of` names; None for anything else (ALTUM's `api:…`)."""
    prefix, _, rest = (actor or "").partition(":")
    return int(rest) if prefix == "person" and rest.isdigit() else None


async def administered(*, uow: UnitOfWork, telegram_user_id: int) -> Administered:
    """The chat's current client, if its person is an active main user of it now."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    access = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    if access is None:
        raise NoClientChosen
    if access.role is not Role.MAIN:
        raise NotMainUser
    return Administered(person_id=person_id, access=access)


async def users(*, uow: UnitOfWork, telegram_user_id: int) -> list[UserLine]:
    """The client's users, main users first, each with the register's view of them."""
    admin = await administered(uow=uow, telegram_user_id=telegram_user_id)
    listed = await uow.client_users.of_client(admin.client_id)
    entry = None
    if admin.access.registration_number:
        entry = await uow.company_register.find(admin.access.registration_number)
    lines = []
    for user in listed:
        signatory = user.is_signatory
        if entry is not None and user.given_name:
            person = NaturalPerson(
                personal_code=user.personal_code,
                given_name=user.given_name,
                family_name=user.family_name,
            )
            signatory = match_officer(entry, person) is not None
        lines.append(
            UserLine(
                user=user, register_signatory=signatory, is_me=user.person_id == admin.person_id
            )
        )
    lines.sort(key=lambda line: (line.user.role != Role.MAIN, line.user.family_name, line.user.id))
    return lines


async def user(*, uow: UnitOfWork, telegram_user_id: int, user_id: int) -> UserLine:
    for line in await users(uow=uow, telegram_user_id=telegram_user_id):
        if line.user.id == user_id:
            return line
    raise NotFound("user")


def checked_code(personal_code: str) -> str:
    try:
        return normalize_personal_code(personal_code)
    except InvalidPersonalCode as exc:
        raise Invalid("personal_code", "not a valid personal code") from exc


async def add_additional_user(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    telegram_user_id: int,
    personal_code: str,
    now: datetime,
) -> ClientUser:
    """An additional user of the current client: they act for it once they log in (told now
    if they already have)."""
    admin = await administered(uow=uow, telegram_user_id=telegram_user_id)
    code = checked_code(personal_code)
    person = await uow.persons.find_by_code(code)
    if person is None:
        # Known by the code alone until they log in; the provider then gives the name.
        person_id = await uow.persons.save(
            NaturalPerson(personal_code=code, given_name="", family_name=""), person_id=None
        )
    else:
        person_id = person.id
    existing = await uow.client_users.find(client_id=admin.client_id, person_id=person_id)
    if existing is not None:
        raise UserExists(existing.id)
    user_id = await uow.client_users.add(
        client_id=admin.client_id, person_id=person_id, role=Role.ADDITIONAL, is_signatory=False
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.USER_ADDED,
            client_id=admin.client_id,
            person_id=person_id,
            telegram_user_id=telegram_user_id,
            actor=actor_of(admin.person_id),
            occurred_at=now,
            details={"user": user_id, "role": str(Role.ADDITIONAL)},
        )
    )
    await notifier.notify(
        AccessGrantedByMainUser(
            person_id=person_id, client_name=admin.access.name, by=await _name(uow, admin)
        )
    )
    added = await uow.client_users.get(admin.client_id, user_id)
    assert added is not None
    return added


async def set_status(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    telegram_user_id: int,
    user_id: int,
    status: MembershipStatus,
    now: datetime,
) -> ClientUser:
    """Block or restore a user of the current client, effective on their next tap."""
    admin = await administered(uow=uow, telegram_user_id=telegram_user_id)
    target = await uow.client_users.get(admin.client_id, user_id)
    if target is None:
        raise NotFound("user")
    if target.status == status:
        return target
    if status is MembershipStatus.BLOCKED and target.role == Role.MAIN:
        everyone = await uow.client_users.of_client(admin.client_id)
        others = [
            u
            for u in everyone
            if u.role == Role.MAIN and u.status == MembershipStatus.ACTIVE and u.id != target.id
        ]
        if not others:
            raise LastMainUser
    await uow.client_users.update(user_id, role=target.role, status=status)
    await uow.activity.record(
        ActivityEvent(
            action=Action.USER_CHANGED,
            client_id=admin.client_id,
            person_id=target.person_id,
            telegram_user_id=telegram_user_id,
            actor=actor_of(admin.person_id),
            occurred_at=now,
            details={"user": user_id, "status": {"from": target.status, "to": str(status)}},
        )
    )
    if target.person_id != admin.person_id:
        notice = (
            AccessBlockedByMainUser
            if status is MembershipStatus.BLOCKED
            else AccessRestoredByMainUser
        )
        await notifier.notify(
            notice(
                person_id=target.person_id,
                client_name=admin.access.name,
                by=await _name(uow, admin),
            )
        )
    changed = await uow.client_users.get(admin.client_id, user_id)
    assert changed is not None
    return changed


async def _name(uow: UnitOfWork, admin: Administered) -> str:
    person = await uow.persons.get(admin.person_id)
    return person.full_name if person is not None else ""
