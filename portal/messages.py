"""«Saziņa»: the client's threads with ALTUM, its messages and their documents.

The chat's use cases act for the chat's current client, checked again on every call
(`current_client`); a thread, message or document is always loaded through a query that
names that client, so an id from another client's button finds nothing. ALTUM's side
(`altum_message`, `*_for_altum`) comes through the back-office API, which sees every client.
A message sent to ALTUM and each of its documents leave through the event feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from portal.client_admin import client_name
from portal.clients import current_client, person_of
from portal.document_types import document_type
from portal.feed import publish
from portal.model import (
    ALTUM_STATUSES,
    Action,
    ActivityEvent,
    ApplicationRecord,
    ApplicationStatus,
    ClientAccess,
    Consultant,
    DocumentRecord,
    EventType,
    Invalid,
    MessageReceived,
    MessageRecord,
    MessageStatus,
    NewAttachment,
    NoAccess,
    NotFound,
    Page,
    Subject,
    ThreadQuery,
    ThreadSummary,
    ThreadView,
)
from portal.ports import Notifier, UnitOfWork

MAX_SUBJECT = 200
MAX_BODY = 20_000  # the portal's field is long; the chat joins several messages into it
MAX_ATTACHMENTS = 20
PAGE = 8
# The old portal's «DOKUMENTI» section closed on 22.01.2022; what it received is the archive.
ARCHIVE_BEFORE = date(2022, 1, 22)


@dataclass(frozen=True, slots=True)
class Acting:
    """Who acts in the chat and for which client (checked now)."""

    telegram_user_id: int
    person_id: int
    access: ClientAccess

    @property
    def client_id(self) -> int:
        return self.access.client_id


@dataclass(frozen=True, slots=True)
class Overview:
    """What «Saziņa» shows: a page of threads, the unread count, the consultant."""

    threads: Page[ThreadSummary]
    unread: int
    consultant: Consultant | None


async def acting(*, uow: UnitOfWork, telegram_user_id: int) -> Acting:
    """NotLinked without a person; NoAccess without a current client one may act for."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    access = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    if access is None:
        raise NoAccess
    return Acting(telegram_user_id, person_id, access)


async def overview(
    *, uow: UnitOfWork, telegram_user_id: int, query: ThreadQuery, offset: int = 0
) -> Overview:
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    threads = await uow.messages.threads(who.client_id, query, offset=max(0, offset), limit=PAGE)
    return Overview(
        threads=threads,
        unread=await uow.messages.unread(who.client_id),
        consultant=await uow.consultants.get(who.client_id),
    )


async def unread_count(*, uow: UnitOfWork, person_id: int, client_id: int) -> int:
    """ALTUM's unread messages for this person at this client (0 without access): for a
    header or a menu label."""
    if await uow.clients.access(person_id, client_id) is None:
        return 0
    return await uow.messages.unread(client_id)


async def open_thread(
    *, uow: UnitOfWork, telegram_user_id: int, thread_id: int, now: datetime
) -> ThreadView:
    """The thread's messages in order and its documents; ALTUM's messages become read."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    thread = await uow.messages.thread(who.client_id, thread_id)
    if thread is None:
        raise NotFound("thread")
    read = await uow.messages.mark_read(who.client_id, thread_id, now=now)
    if read:
        await uow.activity.record(
            ActivityEvent(
                action=Action.MESSAGES_READ,
                telegram_user_id=telegram_user_id,
                person_id=who.person_id,
                client_id=who.client_id,
                occurred_at=now,
                details={"thread": thread_id, "messages": read},
            )
        )
        thread = await uow.messages.thread(who.client_id, thread_id) or thread
    return ThreadView(
        thread=thread,
        messages=await uow.messages.messages(who.client_id, thread_id),
        documents=await uow.messages.documents_of(who.client_id, thread_id),
    )


def clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise Invalid("subject", "empty")
    if len(text) > MAX_SUBJECT:
        raise Invalid("subject", f"longer than {MAX_SUBJECT} characters")
    return text


def clean_body(body: str, *, attachments: int) -> str:
    text = body.strip()
    if not text and not attachments:
        raise Invalid("body", "empty")
    if len(text) > MAX_BODY:
        raise Invalid("body", f"longer than {MAX_BODY} characters")
    return text


def check_attachments(client_id: int, attachments: Sequence[NewAttachment], *, today: date) -> None:
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid("attachments", f"more than {MAX_ATTACHMENTS}")
    for attachment in attachments:
        if attachment.file.client_id != client_id:
            raise NoAccess  # a file of another client: never attached
        if document_type(attachment.doc_type) is None:
            raise Invalid("doc_type", "not a known document type")
        if attachment.prepared_on > today:
            raise Invalid("prepared_on", "in the future")


async def _deal_id(uow: UnitOfWork, client_id: int, deal_number: str | None) -> int | None:
    if deal_number is None:
        return None
    deal = await uow.deals.get(client_id, deal_number)
    if deal is None:
        raise NotFound("deal")
    return deal.id


# What a message may concern: the client's own applications, except those taken back.
LINKABLE = frozenset(set(ApplicationStatus) - {ApplicationStatus.WITHDRAWN})


async def linkable_applications(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    without_forms: frozenset[str] = frozenset(),
    limit: int = PAGE,
) -> list[ApplicationRecord]:
    """«Jauna ziņa»: the applications a message may concern, newest first."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    page = await uow.applications.page(
        who.client_id, before=None, limit=limit, statuses=LINKABLE, without_forms=without_forms
    )
    return page.items


async def linkable_application(
    *, uow: UnitOfWork, telegram_user_id: int, application_id: int
) -> ApplicationRecord:
    """The chat's client's application a message may concern; NotFound for another
    client's (loaded through a client-scoped query) or a withdrawn one."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    return await _application(uow, who.client_id, application_id)


# What a quick upload (a file sent outside any dialog) may be about: an application that has
# left the client's hands — sent for signing or submitted; a draft's file goes into its form.
UPLOAD_TARGETS = frozenset({ApplicationStatus.SENT_FOR_SIGNING} | ALTUM_STATUSES)


async def upload_applications(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    without_forms: frozenset[str] = frozenset(),
    limit: int = PAGE,
) -> list[ApplicationRecord]:
    """«Kas tas ir?» → «Par pieteikumu»: the applications a file may be sent about, those ALTUM
    asks more of («Nepieciešama papildu informācija», the likely reason to send a document)
    first, then the rest newest first; at most `limit`."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    found: list[ApplicationRecord] = []
    for statuses in (
        frozenset({ApplicationStatus.INFO_NEEDED}),
        UPLOAD_TARGETS - {ApplicationStatus.INFO_NEEDED},
    ):
        page = await uow.applications.page(
            who.client_id,
            before=None,
            limit=limit - len(found),
            statuses=statuses,
            without_forms=without_forms,
        )
        found += page.items
        if len(found) >= limit:
            break
    return found


async def upload_application(
    *, uow: UnitOfWork, telegram_user_id: int, application_id: int
) -> ApplicationRecord:
    """The chat's client's application a file may be sent about; NotFound for another
    client's (loaded through a client-scoped query), a deleted one or a draft."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    application = await uow.applications.get(who.client_id, application_id)
    if application is None or application.status not in UPLOAD_TARGETS:
        raise NotFound("application")
    return application


async def _application(uow: UnitOfWork, client_id: int, application_id: int) -> ApplicationRecord:
    application = await uow.applications.get(client_id, application_id)
    if application is None or application.status not in LINKABLE:
        raise NotFound("application")
    return application


async def write(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    body: str,
    now: datetime,
    subject: str | None = None,
    thread_id: int | None = None,
    deal_number: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    draft: bool = False,
    application_id: int | None = None,
) -> MessageRecord:
    """«Jauna ziņa» (a subject, no thread) or «Atbildēt» (a thread): «Nosūtīt», or
    «Saglabāt» as a draft."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    text = clean_body(body, attachments=len(attachments))
    check_attachments(who.client_id, attachments, today=now.date())
    deal_id = await _deal_id(uow, who.client_id, deal_number)
    if application_id is not None:
        await _application(uow, who.client_id, application_id)
    if thread_id is None:
        thread_id = await uow.messages.start_thread(
            who.client_id,
            clean_subject(subject or ""),
            Subject(deal_id=deal_id, application_id=application_id),
            now=now,
        )
    else:
        thread = await uow.messages.thread(who.client_id, thread_id)
        if thread is None:
            raise NotFound("thread")
        deal_id = deal_id or thread.about.deal_id
    status = MessageStatus.DRAFT if draft else MessageStatus.SENT
    message = await uow.messages.add_message(
        who.client_id,
        thread_id,
        status=status,
        body=text,
        now=now,
        person_id=who.person_id,
    )
    documents = [
        await uow.messages.add_document(
            who.client_id,
            attachment,
            incoming=False,
            now=now,
            message_id=message.id,
            deal_id=deal_id,
        )
        for attachment in attachments
    ]
    await uow.activity.record(
        ActivityEvent(
            action=Action.MESSAGE_DRAFTED if draft else Action.MESSAGE_SENT,
            telegram_user_id=telegram_user_id,
            person_id=who.person_id,
            client_id=who.client_id,
            occurred_at=now,
            details={"thread": thread_id, "message": message.id, "documents": len(documents)},
        )
    )
    if not draft:
        await _published(uow, message, [d.id for d in documents], now)
    return message


async def send_draft(
    *, uow: UnitOfWork, telegram_user_id: int, message_id: int, now: datetime
) -> MessageRecord:
    """A saved draft sent; `Invalid` when it is no draft any more (sent twice)."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    message = await uow.messages.message(who.client_id, message_id)
    if message is None:
        raise NotFound("message")
    if not await uow.messages.send_draft(who.client_id, message_id, now=now):
        raise Invalid("message", "not a draft")
    documents = await uow.messages.documents_of(who.client_id, message.thread_id)
    await uow.activity.record(
        ActivityEvent(
            action=Action.MESSAGE_SENT,
            telegram_user_id=telegram_user_id,
            person_id=who.person_id,
            client_id=who.client_id,
            occurred_at=now,
            details={"thread": message.thread_id, "message": message_id, "draft": True},
        )
    )
    sent = await uow.messages.message(who.client_id, message_id)
    assert sent is not None
    await _published(uow, sent, [d.id for d in documents if d.message_id == message_id], now)
    return sent


async def _published(
    uow: UnitOfWork, message: MessageRecord, documents: list[int], now: datetime
) -> None:
    await publish(
        uow=uow,
        type=EventType.MESSAGE_SENT,
        now=now,
        client_id=message.client_id,
        message_id=message.id,
        thread_id=message.thread_id,
    )
    for document_id in documents:
        await publish(
            uow=uow,
            type=EventType.DOCUMENT_UPLOADED,
            now=now,
            client_id=message.client_id,
            document_id=document_id,
            message_id=message.id,
        )


async def client_document(
    *, uow: UnitOfWork, telegram_user_id: int, document_id: int
) -> DocumentRecord:
    """A document of the chat's current client, or NotFound (another client's too)."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    document = await uow.messages.document(who.client_id, document_id)
    if document is None:
        raise NotFound("document")
    return document


async def client_documents(
    *, uow: UnitOfWork, telegram_user_id: int, offset: int = 0
) -> Page[DocumentRecord]:
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    return await uow.messages.documents(who.client_id, offset=max(0, offset), limit=PAGE)


async def archived_documents(
    *, uow: UnitOfWork, telegram_user_id: int, offset: int = 0
) -> Page[DocumentRecord]:
    """«Nosūtīto dokumentu arhīvs»: what was sent through the old portal."""
    who = await acting(uow=uow, telegram_user_id=telegram_user_id)
    return await uow.messages.archived(who.client_id, offset=max(0, offset), limit=PAGE)


# --- ALTUM's side --------------------------------------------------------------------------


async def altum_message(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    client_id: int,
    body: str,
    actor: str,
    now: datetime,
    subject: str | None = None,
    thread_id: int | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> tuple[MessageRecord, list[DocumentRecord]]:
    """ALTUM writes to the client (a new thread with a subject, or into a thread): every
    active user of the client is told, with the subject and «Atvērt»."""
    client = await client_name(uow=uow, client_id=client_id)
    text = clean_body(body, attachments=len(attachments))
    check_attachments(client_id, attachments, today=now.date())
    if thread_id is None:
        if subject is None:
            raise Invalid("subject", "needed for a new thread")
        thread_id = await uow.messages.start_thread(
            client_id, clean_subject(subject), Subject(), now=now
        )
    elif await uow.messages.thread(client_id, thread_id) is None:
        raise NotFound("thread")
    thread = await uow.messages.thread(client_id, thread_id)
    assert thread is not None
    message = await uow.messages.add_message(
        client_id, thread_id, status=MessageStatus.RECEIVED, body=text, now=now, actor=actor
    )
    documents = [
        await uow.messages.add_document(
            client_id,
            attachment,
            incoming=True,
            now=now,
            message_id=message.id,
            deal_id=thread.about.deal_id,
        )
        for attachment in attachments
    ]
    await uow.activity.record(
        ActivityEvent(
            action=Action.MESSAGE_RECEIVED,
            client_id=client_id,
            actor=actor,
            occurred_at=now,
            details={"thread": thread_id, "message": message.id, "documents": len(documents)},
        )
    )
    for person_id in await uow.client_users.active_people(client_id):
        await notifier.notify(
            MessageReceived(
                person_id=person_id,
                client_id=client_id,
                client_name=client,
                subject=thread.subject,
                thread_id=thread_id,
                documents=len(documents),
            )
        )
    return message, documents


async def message_for_altum(
    *, uow: UnitOfWork, message_id: int
) -> tuple[MessageRecord, ThreadSummary, list[DocumentRecord]]:
    message = await uow.messages.message_by_id(message_id)
    if message is None or message.status is MessageStatus.DRAFT:
        raise NotFound("message")  # a draft is the client's own until sent
    thread = await uow.messages.thread(message.client_id, message.thread_id)
    assert thread is not None
    documents = await uow.messages.documents_of(message.client_id, message.thread_id)
    return message, thread, [d for d in documents if d.message_id == message_id]


async def document_for_altum(*, uow: UnitOfWork, document_id: int) -> DocumentRecord:
    document = await uow.messages.document_by_id(document_id)
    if document is None:
        raise NotFound("document")
    if document.message_id is not None and not document.incoming:
        message = await uow.messages.message_by_id(document.message_id)
        if message is None or message.status is MessageStatus.DRAFT:
            raise NotFound("document")
    return document


async def import_archived(
    *,
    uow: UnitOfWork,
    client_id: int,
    attachment: NewAttachment,
    sent_on: date,
    actor: str,
    now: datetime,
) -> DocumentRecord:
    """A document the client sent through the old portal, imported by ALTUM into the
    archive (sent before 22.01.2022); nobody is told."""
    await client_name(uow=uow, client_id=client_id)
    if sent_on >= ARCHIVE_BEFORE:
        raise Invalid("sent_on", "the archive holds documents sent before 2022-01-22")
    check_attachments(client_id, [attachment], today=now.date())
    if attachment.prepared_on > sent_on:
        raise Invalid("prepared_on", "after the document was sent")
    document = await uow.messages.add_document(
        client_id, attachment, incoming=False, now=now, sent_on=sent_on
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.DOCUMENT_ARCHIVED,
            client_id=client_id,
            actor=actor,
            occurred_at=now,
            details={"document": document.id, "sent_on": sent_on.isoformat()},
        )
    )
    return document
