"""ALTUM administering a client's users (the portal's user manual, «Lietotāju veidi» and
«Lietotāju administrēšana»): granting access by personal code (only ALTUM makes a second
main user), blocking and restoring. A blocked user loses the client on their next tap
(portal/clients.py checks access on every use)."""

from __future__ import annotations

from datetime import datetime

from portal.client_admin import client_name
from portal.identifiers import InvalidPersonalCode, normalize_personal_code
from portal.identity import NaturalPerson
from portal.model import (
    AccessBlocked,
    AccessGranted,
    AccessRestored,
    Action,
    ActivityEvent,
    ClientUser,
    Invalid,
    MembershipStatus,
    NotFound,
    Role,
    UserExists,
)
from portal.ports import Notifier, UnitOfWork


async def list_users(*, uow: UnitOfWork, client_id: int) -> list[ClientUser]:
    await client_name(uow=uow, client_id=client_id)
    return await uow.client_users.of_client(client_id)


async def get_user(*, uow: UnitOfWork, client_id: int, user_id: int) -> ClientUser:
    user = await uow.client_users.get(client_id, user_id)
    if user is None:
        raise NotFound("user")
    return user


async def grant_access(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    client_id: int,
    personal_code: str,
    role: Role,
    is_signatory: bool,
    actor: str,
    now: datetime,
) -> ClientUser:
    """The person with this code may act for the client; they see it once they log in."""
    client = await client_name(uow=uow, client_id=client_id)
    try:
        code = normalize_personal_code(personal_code)
    except InvalidPersonalCode as exc:
        raise Invalid("personal_code", "not a valid personal code") from exc
    person = await uow.persons.find_by_code(code)
    if person is None:
        # Known by the code alone until they log in; the provider then gives the name.
        person_id = await uow.persons.save(
            NaturalPerson(personal_code=code, given_name="", family_name=""), person_id=None
        )
    else:
        person_id = person.id
    existing = await uow.client_users.find(client_id=client_id, person_id=person_id)
    if existing is not None:
        raise UserExists(existing.id)
    user_id = await uow.client_users.add(
        client_id=client_id, person_id=person_id, role=role, is_signatory=is_signatory
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.USER_ADDED,
            client_id=client_id,
            person_id=person_id,
            actor=actor,
            occurred_at=now,
            details={"user": user_id, "role": str(role)},
        )
    )
    await notifier.notify(AccessGranted(person_id=person_id, client_name=client, role=role))
    return await get_user(uow=uow, client_id=client_id, user_id=user_id)


async def change_user(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    client_id: int,
    user_id: int,
    status: MembershipStatus | None,
    role: Role | None,
    actor: str,
    now: datetime,
) -> ClientUser:
    """Block or restore (at once, in chat too), or change the role."""
    client = await client_name(uow=uow, client_id=client_id)
    user = await get_user(uow=uow, client_id=client_id, user_id=user_id)
    new_status = status or MembershipStatus(user.status)
    new_role = role or Role(user.role)
    if (new_status, new_role) == (user.status, user.role):
        return user
    await uow.client_users.update(user_id, role=new_role, status=new_status)
    await uow.activity.record(
        ActivityEvent(
            action=Action.USER_CHANGED,
            client_id=client_id,
            person_id=user.person_id,
            actor=actor,
            occurred_at=now,
            details={
                "user": user_id,
                "status": {"from": user.status, "to": str(new_status)},
                "role": {"from": user.role, "to": str(new_role)},
            },
        )
    )
    if new_status != user.status:
        notice = AccessBlocked if new_status is MembershipStatus.BLOCKED else AccessRestored
        await notifier.notify(notice(person_id=user.person_id, client_name=client))
    return await get_user(uow=uow, client_id=client_id, user_id=user_id)
