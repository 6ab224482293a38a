"""Files as a form's answers through the use cases alone: a photo becomes a `jpg` attachment
and a document of the client, and changes the content hash; a kind the question does not take
and a file stored for another client are refused before anything is recorded; a file sent
outside the form finds the draft whose question asks for one. In memory, no database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, board_member, company
from test_service_applications import FORMS, _setup

from portal import applications as apps
from portal.application_files import attach_file, waiting_for_files
from portal.documents import DocumentKind
from portal.forms import AttachmentRef, Code, Refusal, Value, answer
from portal.model import ClientFile, NoAccess


async def _at_the_files(uow: FakeUnitOfWork, notifier: FakeNotifier, chat: int) -> int:
    """A disbursement request answered up to «Pamatojošie dokumenti», asked now."""
    form = FORMS.current("disbursement")
    record = await apps.start_application(
        uow=uow, telegram_user_id=chat, form=form, now=NOW, deal_number="K-1"
    )
    context = await apps.form_context(uow=uow, application=record, now=NOW)
    answers: dict[str, Value | None] = {}
    tomorrow = (NOW + timedelta(days=1)).strftime("%d.%m.%Y")
    for field, raw in (
        ("amount", "12 500"),
        ("target_iban", "LV80BANK0000435195001"),
        ("planned_date", tomorrow),
        ("purpose", "Raw timber for the spring season."),
    ):
        result = answer(form, answers, field, raw, context=context)
        assert isinstance(result, dict), result
        answers = result
    await apps.save_answers(
        uow=uow,
        notifier=notifier,
        forms=FORMS,
        telegram_user_id=chat,
        application_id=record.id,
        answers=answers,
        current_field="supporting_documents",
        now=NOW,
        counts="others",
    )
    return record.id


def _file(client_id: int, kind: DocumentKind, digit: str = "a") -> ClientFile:
    return ClientFile(client_id, digit * 64, 2048, kind, f"file.{kind}")


async def test_a_photo_is_attached_as_a_document_of_the_client_and_bound_by_the_hash() -> None:
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    notifier = FakeNotifier()
    await _setup(uow)
    app = await _at_the_files(uow, notifier, 42)
    before = await apps.open_application(
        uow=uow, forms=FORMS, telegram_user_id=42, application_id=app
    )
    client_id = before.application.client_id
    (waiting,) = await waiting_for_files(uow=uow, forms=FORMS, telegram_user_id=42)
    assert waiting[0].application.id == app and waiting[1].id == "supporting_documents"

    async def attach(file: ClientFile) -> apps.Opened | Refusal:
        return await attach_file(
            uow=uow,
            notifier=notifier,
            forms=FORMS,
            telegram_user_id=42,
            application_id=app,
            field_id="supporting_documents",
            file=file,
            now=NOW,
            counts="others",
        )

    opened = await attach(_file(client_id, DocumentKind.JPEG))
    assert not isinstance(opened, Refusal)
    files = opened.answers["supporting_documents"]
    assert isinstance(files, tuple)
    (ref,) = files
    assert isinstance(ref, AttachmentRef) and ref.kind == "jpg" and ref.sha256 == "a" * 64
    document = await uow.messages.document(client_id, int(ref.document_id))
    assert document is not None and document.file.sha256 == "a" * 64
    assert apps.hash_of(opened) != apps.hash_of(before)

    # A drawing the question does not take, and the same photo again: nothing recorded.
    docs = len(uow.messages.docs)
    refused = await attach(_file(client_id, DocumentKind.DWG, "b"))
    assert isinstance(refused, Refusal) and refused.code is Code.FILE_KIND
    again = await attach(_file(client_id, DocumentKind.JPEG))
    assert isinstance(again, Refusal) and again.code is Code.DUPLICATE_FILE
    # A file stored for another client is never attached.
    with pytest.raises(NoAccess):
        await attach(_file(client_id + 1, DocumentKind.PDF, "c"))
    assert len(uow.messages.docs) == docs
