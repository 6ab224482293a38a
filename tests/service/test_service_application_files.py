"""Files as a form's answers through the use cases alone: a photo becomes a `jpg` attachment
and a document of the client, and changes the content hash; a kind the question does not take
and a file stored for another client are refused before anything is recorded; a file sent
outside the form finds the draft whose question asks for one. In memory, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, board_member, company
from test_service_applications import FORMS, _setup

from portal import applications as apps
from portal.application_files import attach_file, waiting_for_files
from portal.documents import DocumentKind
from portal.forms import AttachmentRef, Code, Refusal, Value, answer
from portal.model import ClientFile, NewAttachment, NoAccess


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


async def test_a_discarded_draft_takes_its_own_files_along_not_those_named_elsewhere() -> None:
    """«Atcelt»: the draft's uploads leave the client's documents, unless another application
    names them too (a draft carried over from a submission's answers) or they belong to a
    message; the bytes stay in the shared store."""
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    notifier = FakeNotifier()
    await _setup(uow)
    first = await _at_the_files(uow, notifier, 42)
    second = await _at_the_files(uow, notifier, 42)
    first_record = await uow.applications.by_id(first)
    assert first_record is not None
    client_id = first_record.client_id
    attached = []
    for app, digit in ((first, "a"), (second, "b")):
        opened = await attach_file(
            uow=uow,
            notifier=notifier,
            forms=FORMS,
            telegram_user_id=42,
            application_id=app,
            field_id="supporting_documents",
            file=_file(client_id, DocumentKind.PDF, digit),
            now=NOW,
            counts="others",
        )
        assert not isinstance(opened, Refusal)
        attached.append(opened)
    shared = attached[0].application.answers["supporting_documents"]
    own = attached[1].application.answers["supporting_documents"]
    # The second draft names the first one's file as well, as a carried-over answer would.
    record = attached[1].application
    both = {**record.answers, "supporting_documents": [*own, *shared]}
    await uow.applications.save(replace(record, answers=both))
    (shared_id,) = [int(f["document_id"]) for f in shared]
    (own_id,) = [int(f["document_id"]) for f in own]
    mail = await uow.messages.add_document(
        client_id,
        NewAttachment(
            _file(client_id, DocumentKind.PDF, "c"), doc_type="other", prepared_on=NOW.date()
        ),
        incoming=False,
        now=NOW,
        message_id=77,
    )

    await apps.discard(uow=uow, forms=FORMS, telegram_user_id=42, application_id=first, now=NOW)
    assert await uow.applications.by_id(first) is None
    assert {shared_id, own_id, mail.id} <= set(uow.messages.docs)  # still named by the second

    await apps.discard(uow=uow, forms=FORMS, telegram_user_id=42, application_id=second, now=NOW)
    assert shared_id not in uow.messages.docs and own_id not in uow.messages.docs
    assert mail.id in uow.messages.docs
    # A forged id in a draft's answers cannot take a message's document along either.
    third = await _at_the_files(uow, notifier, 42)
    third_record = await uow.applications.by_id(third)
    assert third_record is not None
    forged = {"document_id": str(mail.id), "sha256": "c" * 64, "kind": "pdf", "name": "x.pdf"}
    await uow.applications.save(
        replace(third_record, answers={**third_record.answers, "supporting_documents": [forged]})
    )
    await apps.discard(uow=uow, forms=FORMS, telegram_user_id=42, application_id=third, now=NOW)
    assert mail.id in uow.messages.docs
