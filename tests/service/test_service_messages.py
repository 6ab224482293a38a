"""«Saziņa»'s use cases over the fakes: writing and drafts, ALTUM's messages and who is told,
unread counts, client-scoped reads, and the rules on subjects, attachments and the archive."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, client_of, linked

from portal import messages
from portal.clients import choose_client
from portal.documents import DocumentKind
from portal.model import (
    ClientFile,
    EventType,
    Invalid,
    MessageReceived,
    MessageStatus,
    NewAttachment,
    NoAccess,
    NotFound,
    ThreadQuery,
)

USER = 42
TODAY = NOW.date()


async def anna_at_client(uow: FakeUnitOfWork) -> int:
    result = await linked(uow, USER)
    client_id = await client_of(uow, result.person.id, 'SIA "Ozolkalna Koks"')
    await choose_client(uow=uow, telegram_user_id=USER, client_id=client_id)
    return client_id


def attachment(
    client_id: int, doc_type: str = "invoice", prepared_on: date = TODAY
) -> NewAttachment:
    file = ClientFile(client_id, "ab" * 32, 2048, DocumentKind.PDF, "rekins.pdf")
    return NewAttachment(file=file, doc_type=doc_type, prepared_on=prepared_on)


async def test_a_sent_message_is_a_thread_with_its_document_in_the_feed() -> None:
    uow = FakeUnitOfWork()
    client_id = await anna_at_client(uow)
    sent = await messages.write(
        uow=uow,
        telegram_user_id=USER,
        subject="  Pamatlīdzekļi  ",
        body="Labdien!",
        attachments=[attachment(client_id)],
        now=NOW,
    )
    view = await messages.overview(uow=uow, telegram_user_id=USER, query=ThreadQuery())
    (thread,) = view.threads.items
    assert thread.subject == "Pamatlīdzekļi" and thread.status is MessageStatus.SENT
    await uow.commit()
    types = [e.type for e in await uow.feed.after(0, limit=10)]
    assert types == [EventType.MESSAGE_SENT, EventType.DOCUMENT_UPLOADED]
    assert sent.thread_id == thread.id


async def test_a_draft_is_not_in_the_feed_until_sent_once() -> None:
    uow = FakeUnitOfWork()
    await anna_at_client(uow)
    draft = await messages.write(
        uow=uow, telegram_user_id=USER, subject="Grafiks", body="?", now=NOW, draft=True
    )
    await uow.commit()
    assert await uow.feed.after(0, limit=10) == []
    with pytest.raises(NotFound):
        await messages.message_for_altum(uow=uow, message_id=draft.id)
    await messages.send_draft(uow=uow, telegram_user_id=USER, message_id=draft.id, now=NOW)
    with pytest.raises(Invalid):
        await messages.send_draft(uow=uow, telegram_user_id=USER, message_id=draft.id, now=NOW)
    await uow.commit()
    assert [e.type for e in await uow.feed.after(0, limit=10)] == [EventType.MESSAGE_SENT]


async def test_altum_writes_every_active_user_is_told_and_opening_reads_it() -> None:
    uow = FakeUnitOfWork()
    client_id = await anna_at_client(uow)
    notifier = FakeNotifier()
    message, _ = await messages.altum_message(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        subject="Trūkst dokumentu",
        body="Lūdzu, atsūtiet.",
        actor="api:crm",
        now=NOW,
    )
    (notice,) = notifier.notices
    assert isinstance(notice, MessageReceived)
    assert notice.subject == "Trūkst dokumentu" and notice.client_id == client_id
    account = await uow.accounts.get(USER)
    assert account is not None and account.person_id is not None
    person_id = account.person_id
    assert await messages.unread_count(uow=uow, person_id=person_id, client_id=client_id) == 1
    unread = ThreadQuery(unread_only=True)
    view = await messages.overview(uow=uow, telegram_user_id=USER, query=unread)
    assert view.unread == 1 and len(view.threads.items) == 1
    await messages.open_thread(uow=uow, telegram_user_id=USER, thread_id=message.thread_id, now=NOW)
    assert await messages.unread_count(uow=uow, person_id=person_id, client_id=client_id) == 0
    assert await messages.unread_count(uow=uow, person_id=person_id, client_id=999) == 0


async def test_another_clients_thread_and_document_are_not_found() -> None:
    uow = FakeUnitOfWork()
    client_id = await anna_at_client(uow)
    other = await client_of(uow, 999, "Cits")
    notifier = FakeNotifier()
    theirs, documents = await messages.altum_message(
        uow=uow,
        notifier=notifier,
        client_id=other,
        subject="Cits",
        body="x",
        attachments=[attachment(other)],
        actor="api:crm",
        now=NOW,
    )
    with pytest.raises(NotFound):
        await messages.open_thread(
            uow=uow, telegram_user_id=USER, thread_id=theirs.thread_id, now=NOW
        )
    with pytest.raises(NotFound):
        await messages.client_document(uow=uow, telegram_user_id=USER, document_id=documents[0].id)
    with pytest.raises(NotFound):
        await messages.write(
            uow=uow, telegram_user_id=USER, thread_id=theirs.thread_id, body="x", now=NOW
        )
    with pytest.raises(NoAccess):  # a file of another client is never attached
        await messages.write(
            uow=uow,
            telegram_user_id=USER,
            subject="x",
            body="x",
            attachments=[attachment(other)],
            now=NOW,
        )
    assert client_id != other


@pytest.mark.parametrize(
    ("subject", "body", "change"),
    [
        ("", "x", {}),
        ("x" * 201, "x", {}),
        ("x", "", {}),
        ("x", "x", {"doc_type": "unknown"}),
        ("x", "x", {"prepared_on": NOW.date() + timedelta(days=1)}),
    ],
)
async def test_what_a_message_may_not_be(subject: str, body: str, change: dict[str, Any]) -> None:
    uow = FakeUnitOfWork()
    client_id = await anna_at_client(uow)
    attachments = [replace(attachment(client_id), **change)] if change else []
    with pytest.raises(Invalid):
        await messages.write(
            uow=uow,
            telegram_user_id=USER,
            subject=subject,
            body=body,
            attachments=attachments,
            now=NOW,
        )


async def test_the_archive_takes_only_what_was_sent_before_22_01_2022() -> None:
    uow = FakeUnitOfWork()
    client_id = await anna_at_client(uow)
    old = attachment(client_id, "annual", date(2021, 3, 31))
    kept = await messages.import_archived(
        uow=uow,
        client_id=client_id,
        attachment=old,
        sent_on=date(2021, 4, 15),
        actor="api:crm",
        now=NOW,
    )
    with pytest.raises(Invalid):
        await messages.import_archived(
            uow=uow,
            client_id=client_id,
            attachment=old,
            sent_on=date(2022, 1, 22),
            actor="api:crm",
            now=NOW,
        )
    page = await messages.archived_documents(uow=uow, telegram_user_id=USER)
    assert [d.id for d in page.items] == [kept.id] and page.items[0].sent_on == date(2021, 4, 15)
