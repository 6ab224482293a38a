"""Messages with ALTUM («Saziņa») and the documents that travel with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from portal.model.files import ClientFile
from portal.model.notices import Notice


class MessageStatus(StrEnum):
    """The portal's statuses: «Melnraksts», «Nosūtīta», «Saņemta» (an answer from ALTUM)."""

    DRAFT = "draft"
    SENT = "sent"
    RECEIVED = "received"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a thread concerns: a deal (by id) now, an application later (no foreign key, so
    the applications' own tables can arrive without touching this one)."""

    deal_id: int | None = None
    application_id: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    id: int
    client_id: int
    subject: str
    status: MessageStatus  # of its newest message
    last_text: str
    last_at: datetime
    unread: int  # ALTUM's messages not opened yet
    about: Subject = Subject()
    deal_number: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    thread_id: int
    client_id: int
    status: MessageStatus
    body: str
    created_at: datetime
    person_id: int | None = None  # who wrote it on the client's side
    actor: str | None = None  # `api:<token name>` for ALTUM's messages
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A stored file as a document of the client: found only by client."""

    id: int
    file: ClientFile
    doc_type: str | None
    prepared_on: date | None
    incoming: bool  # from ALTUM
    created_at: datetime
    message_id: int | None = None
    thread_id: int | None = None
    deal_number: str | None = None
    sent_on: date | None = None  # in the old portal's «DOKUMENTI» (the archive)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    file: ClientFile
    doc_type: str
    prepared_on: date


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: ThreadSummary
    messages: list[MessageRecord]
    documents: list[DocumentRecord]


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """«Detalizēta meklēšana»: every given condition must hold."""

    text: str | None = None
    status: MessageStatus | None = None
    since: date | None = None
    until: date | None = None
    unread_only: bool = False
    deal_id: int | None = None
    application_id: int | None = None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    offset: int = 0


@dataclass(frozen=True, slots=True)
class MessageReceived(Notice):
    """ALTUM wrote: the subject and a button to open the thread."""

    client_id: int = 0
    client_name: str = ""
    subject: str = ""
    thread_id: int = 0
    documents: int = 0
