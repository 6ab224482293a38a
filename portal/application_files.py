"""Files as a form's answers (issue 9 item 1): a document the chat has checked and stored
(`portal.uploads`) becomes a document record of the application's client, so ALTUM can fetch
it (`GET /api/v1/documents/{id}`), and an `AttachmentRef` in the answers, whose SHA-256 the
content hash binds. The answer is saved like any other (an edit while signing voids)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from portal import applications as apps
from portal.forms import (
    AttachmentRef,
    Field,
    FieldType,
    FormCatalogue,
    Refusal,
    add_attachment,
    resume_question,
)
from portal.model import OPEN, ClientFile, NewAttachment, NoAccess, NotEditable
from portal.ports import Notifier, UnitOfWork
from portal.signing import Counts

# The documents module calls a JPEG "jpeg"; forms name it as the manual does.
_FORM_KIND = {"jpeg": "jpg"}
DOC_TYPE = "other"  # «Cits dokuments»: the form's question says what it is for


def form_kind(file: ClientFile) -> str:
    kind = str(file.kind)
    return _FORM_KIND.get(kind, kind)


async def attach_file(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    field_id: str,
    file: ClientFile,
    now: datetime,
    counts: Counts,
) -> apps.Opened | Refusal:
    """Add `file` to the attachment question `field_id` (the one asked now: the caller
    checked it). A file the form does not take is refused before anything is recorded."""
    opened = await apps.open_application(
        uow=uow, forms=forms, telegram_user_id=telegram_user_id, application_id=application_id
    )
    application = opened.application
    if application.status not in OPEN:
        raise NotEditable
    if file.client_id != application.client_id:
        raise NoAccess  # stored for another client: never attached here
    ref = AttachmentRef(document_id="", sha256=file.sha256, kind=form_kind(file), name=file.name)
    checked = add_attachment(opened.form, dict(opened.answers), field_id, ref)
    if isinstance(checked, Refusal):
        return checked
    document = await uow.messages.add_document(
        application.client_id,
        NewAttachment(file=file, doc_type=DOC_TYPE, prepared_on=now.astimezone(apps.RIGA).date()),
        incoming=False,
        now=now,
    )
    answers = add_attachment(
        opened.form, dict(opened.answers), field_id, replace(ref, document_id=str(document.id))
    )
    assert not isinstance(answers, Refusal)  # the same check passed a moment ago
    record = await apps.save_answers(
        uow=uow,
        notifier=notifier,
        forms=forms,
        telegram_user_id=telegram_user_id,
        application_id=application.id,
        answers=answers,
        current_field=field_id,
        now=now,
        counts=counts,
    )
    return apps.Opened(record, opened.form, answers, opened.access, opened.person_id)


async def waiting_for_files(
    *, uow: UnitOfWork, forms: FormCatalogue, telegram_user_id: int, limit: int = 3
) -> list[tuple[apps.Opened, Field]]:
    """Open applications of the chat's current client whose question now asked is an
    attachment (newest first): where a file sent outside the form may go («Kas tas ir?»)."""
    page = await apps.list_applications(
        uow=uow, telegram_user_id=telegram_user_id, statuses=OPEN, limit=20
    )
    found: list[tuple[apps.Opened, Field]] = []
    for record in page.items:
        opened = await apps.open_application(
            uow=uow, forms=forms, telegram_user_id=telegram_user_id, application_id=record.id
        )
        field = resume_question(opened.form, opened.answers, record.current_field)
        if field is not None and field.type is FieldType.ATTACHMENT:
            found.append((opened, field))
        if len(found) == limit:
            break
    return found
