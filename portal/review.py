"""ALTUM's review of registrations (the portal's user manual, «Jauna klienta izveide»; issue 15
item 2).

A company registration rests on a likely match: the Company Register shows only a name and six
digits of the code, which two people can share. Under `REGISTRATION_REVIEW=required` the
registrant gets the client at once to look around and prepare, but nothing is signed or
submitted in its name (`ensure_may_sign`) until ALTUM approves. An impostor who registered
first locks nobody out: another signatory may still register the same company while no
registration of it is approved, and ALTUM rejects the impostor's alone.
"""

from __future__ import annotations

from datetime import datetime

from portal.clients import person_of
from portal.model import (
    Action,
    ActivityEvent,
    AwaitingReview,
    Conflict,
    NoAccess,
    NotFound,
    RegistrationApproved,
    RegistrationRecord,
    RegistrationRejected,
    RegistrationStatus,
    RejectionReason,
)
from portal.ports import Notifier, UnitOfWork

S = RegistrationStatus
MAX_COMMENT = 500


async def ensure_may_sign(*, uow: UnitOfWork, telegram_user_id: int, client_id: int) -> None:
    """The check every signing and submission in a client's name makes first: an active user of
    an active client whose own registration of it is not waiting for ALTUM."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    if await uow.clients.access(person_id, client_id) is None:
        raise NoAccess
    if await uow.registrations.awaiting_review(person_id=person_id, client_id=client_id):
        raise AwaitingReview


async def may_join(*, uow: UnitOfWork, client_id: int) -> bool:
    """Whether another signatory may still register this existing client: some registration
    of it waits for review and none has been approved (a client ALTUM opened has none)."""
    statuses = {r.status for r in await uow.registrations.of_client(client_id)}
    return S.AWAITING_REVIEW in statuses and S.APPROVED not in statuses


async def get_registration(*, uow: UnitOfWork, registration_id: int) -> RegistrationRecord:
    registration = await uow.registrations.get(registration_id)
    if registration is None:
        raise NotFound("registration")
    return registration


async def list_registrations(
    *, uow: UnitOfWork, status: RegistrationStatus | None, limit: int = 100
) -> list[RegistrationRecord]:
    return await uow.registrations.listed(status=status, limit=limit)


async def approve(
    *, uow: UnitOfWork, notifier: Notifier, registration_id: int, actor: str, now: datetime
) -> RegistrationRecord:
    """ALTUM confirms the registrant may sign for the client. Approving twice is harmless."""
    registration = await get_registration(uow=uow, registration_id=registration_id)
    if registration.status is S.APPROVED:
        return registration
    if registration.status is S.AWAITING_CONFIRMATION:
        raise Conflict("not_confirmed", "the registrant has not confirmed the e-mail yet")
    await uow.registrations.set_status(registration_id, S.APPROVED, reviewed_at=now)
    await uow.activity.record(
        ActivityEvent(
            action=Action.REGISTRATION_APPROVED,
            client_id=registration.client_id,
            person_id=registration.person_id,
            actor=actor,
            occurred_at=now,
            details={"registration": registration_id},
        )
    )
    if registration.status is S.AWAITING_REVIEW:
        await notifier.notify(
            RegistrationApproved(
                telegram_user_id=registration.telegram_user_id, client_name=registration.name
            )
        )
    return await get_registration(uow=uow, registration_id=registration_id)


async def reject(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    registration_id: int,
    reason: RejectionReason,
    comment: str | None,
    actor: str,
    now: datetime,
) -> None:
    """ALTUM refuses a registration after its own check: the registrant loses the client and
    is told why. The client and all its data are deleted, unless another signatory's
    registration of it remains; then only this registrant's access and details go."""
    registration = await get_registration(uow=uow, registration_id=registration_id)
    if registration.status is S.APPROVED:
        raise Conflict("approved", "an approved registration cannot be rejected")
    client_id = registration.client_id
    deleted_client = False
    await uow.registrations.delete(registration_id)
    if client_id is not None:
        others = await uow.registrations.of_client(client_id)
        if others:
            await uow.client_users.remove(person_id=registration.person_id, client_id=client_id)
            details = await uow.registrations.details(others[0].id)
            assert details is not None
            await uow.clients.replace_details(client_id, details.client)
        else:
            await uow.clients.delete(client_id)
            deleted_client = True
    await uow.activity.record(
        ActivityEvent(
            action=Action.REGISTRATION_REJECTED,
            client_id=None if deleted_client else client_id,
            person_id=registration.person_id,
            actor=actor,
            occurred_at=now,
            details={
                "registration": registration_id,
                "client": client_id,
                "reason": str(reason),
                "client_deleted": deleted_client,
            },
        )
    )
    await notifier.notify(
        RegistrationRejected(
            telegram_user_id=registration.telegram_user_id,
            client_name=registration.name,
            reason=reason,
            comment=(comment or "").strip()[:MAX_COMMENT] or None,
        )
    )
