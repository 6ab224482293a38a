"""ALTUM's side of applications (the back-office API): read one with its signatures, and set
its status once it reached ALTUM, which every user of the client is told in chat."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from portal.forms import FormCatalogue
from portal.model import (
    ALTUM_STATUSES,
    Action,
    ActivityEvent,
    ApplicationRecord,
    ApplicationStatus,
    ApplicationStatusChanged,
    Invalid,
    NotFound,
    SignatureRecord,
    StatusNotAllowed,
)
from portal.ports import Notifier, UnitOfWork


async def get_application(
    *, uow: UnitOfWork, application_id: int
) -> tuple[ApplicationRecord, list[SignatureRecord]]:
    found = await uow.applications.by_id(application_id)
    if found is None:
        raise NotFound("application")
    return found, await uow.applications.signatures(application_id)


async def set_status(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    application_id: int,
    status: ApplicationStatus,
    comment: str | None,
    actor: str,
    now: datetime,
) -> ApplicationRecord:
    """ALTUM's decision on a submitted application, told to the client's users in chat. The
    same status with the same comment again (a retry after a lost answer) changes nothing
    and tells no one again."""
    found = await uow.applications.by_id(application_id)
    if found is None:
        raise NotFound("application")
    if status not in ALTUM_STATUSES:
        raise Invalid("status", "one of " + ", ".join(sorted(ALTUM_STATUSES)))
    if found.status not in ALTUM_STATUSES:
        raise StatusNotAllowed("the application has not been submitted")
    clean = " ".join((comment or "").split()) or None
    if clean is not None and len(clean) > 2000:
        raise Invalid("comment", "at most 2000 characters")
    if (found.status, found.comment) == (status, clean):
        return found
    updated = replace(found, status=status, comment=clean, updated_at=now)
    await uow.applications.save(updated)
    await uow.activity.record(
        ActivityEvent(
            action=Action.APPLICATION_STATUS_SET,
            client_id=found.client_id,
            actor=actor,
            occurred_at=now,
            details={"application": found.id, "status": str(status)},
        )
    )
    form = forms.get(found.form_id, found.form_version)
    name = await uow.clients.name(found.client_id) or ""
    for person_id in await uow.client_users.active_people(found.client_id):
        await notifier.notify(
            ApplicationStatusChanged(
                person_id=person_id,
                client_name=name,
                application_id=found.id,
                form_title_lv=form.title.lv,
                form_title_en=form.title.en,
                status=status,
                comment=clean,
            )
        )
    return updated
