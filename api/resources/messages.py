"""«Saziņa» from ALTUM's side: write to a client (a new thread or into one, with documents);
read a message and a document the client sent (the feed's `message.sent` and
`document.uploaded` name them). A document's bytes come only from the store, through the
document's own record."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Body, ClientPath, Id, Request
from portal import messages
from portal.document_types import BY_ID
from portal.documents import Refusal
from portal.model import (
    DocumentRecord,
    Invalid,
    MessageRecord,
    MessageStatus,
    NewAttachment,
    ThreadSummary,
)
from portal.uploads import receive_document

resource = Resource("messages", "Messages with a client («Saziņa») and their documents.")

FILE_IN_BODY = (
    "the file, base64. A body that carries files may weigh as much as one file at the "
    "bot's file limit (FILES_MAX_BYTES, 20 MiB by default) in base64 and 1 MiB more: one "
    "file at the limit, or several that together stay under it; a larger body is 413"
)
DocType = Literal[tuple(BY_ID)]  # type: ignore[valid-type]


class MessagePath(Request):
    message_id: Id


class DocumentPath(Request):
    document_id: Id


class AttachmentBody(Body):
    name: str = Field(min_length=1, max_length=200, examples=["grafiks.pdf"])
    content_base64: str = Field(description=FILE_IN_BODY)
    doc_type: DocType = Field(description="«dokumenta tips»")  # type: ignore[valid-type]
    prepared_on: date = Field(description="«dokumenta sagatavošanas datums»")


class MessageBody(Body):
    subject: str | None = Field(
        default=None, min_length=1, max_length=200, description="for a new thread"
    )
    thread_id: Id | None = Field(default=None, description="to write into a thread")
    body: str = Field(max_length=messages.MAX_BODY)
    attachments: list[AttachmentBody] = Field(default=[], max_length=messages.MAX_ATTACHMENTS)


class DocumentInfo(BaseModel):
    id: int
    client_id: int
    message_id: int | None
    thread_id: int | None
    name: str
    kind: str
    media_type: str
    size: int
    sha256: str
    doc_type: str | None
    prepared_on: date | None
    from_altum: bool
    deal_number: str | None
    created_at: datetime
    sent_on: date | None = Field(default=None, description="archived: sent in the old portal")

    @classmethod
    def of(cls, document: DocumentRecord) -> DocumentInfo:
        return cls(
            id=document.id,
            client_id=document.file.client_id,
            message_id=document.message_id,
            thread_id=document.thread_id,
            name=document.file.name,
            kind=str(document.file.kind),
            media_type=document.file.media_type,
            size=document.file.size,
            sha256=document.file.sha256,
            doc_type=document.doc_type,
            prepared_on=document.prepared_on,
            from_altum=document.incoming,
            deal_number=document.deal_number,
            created_at=document.created_at,
            sent_on=document.sent_on,
        )


class ArchiveBody(Body):
    name: str = Field(min_length=1, max_length=200, examples=["gada-parskats-2020.pdf"])
    content_base64: str = Field(description=FILE_IN_BODY)
    doc_type: DocType = Field(description="«dokumenta tips»")  # type: ignore[valid-type]
    prepared_on: date = Field(description="«dokumenta sagatavošanas datums»")
    sent_on: date = Field(description="when the client sent it; before 2022-01-22")


class DocumentContent(DocumentInfo):
    content_base64: str


class Message(BaseModel):
    id: int
    client_id: int
    thread_id: int
    subject: str
    status: Literal["sent", "received"]
    body: str
    from_altum: bool
    person_id: int | None
    deal_number: str | None
    created_at: datetime
    documents: list[DocumentInfo]
    application_id: int | None = None  # the client's application the thread concerns


def _message(
    message: MessageRecord, thread: ThreadSummary, documents: list[DocumentRecord]
) -> Message:
    return Message(
        id=message.id,
        client_id=message.client_id,
        thread_id=message.thread_id,
        subject=thread.subject,
        status="received" if message.status is MessageStatus.RECEIVED else "sent",
        body=message.body,
        from_altum=message.status is MessageStatus.RECEIVED,
        person_id=message.person_id,
        deal_number=thread.deal_number,
        created_at=message.created_at,
        documents=[DocumentInfo.of(d) for d in documents],
        application_id=thread.about.application_id,
    )


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data, self._offset = data, 0

    async def read(self, n: int = -1, /) -> bytes:
        end = len(self._data) if n < 0 else self._offset + n
        chunk = self._data[self._offset : end]
        self._offset += len(chunk)
        return chunk


async def _one(
    call: Call, client_id: int, attachment: AttachmentBody | ArchiveBody, where: str
) -> NewAttachment:
    """Decode, check and store one file as the chat's uploads are; `Invalid` naming the rule."""
    files = call.context.files
    if files is None:
        raise Invalid(where, "this server takes no documents")
    try:
        data = base64.b64decode(attachment.content_base64, validate=True)
    except ValueError:  # binascii.Error, or characters that are not ASCII
        raise Invalid(f"{where}.content_base64", "not base64") from None
    result = await receive_document(
        client_id=client_id,
        source=_Bytes(data),
        declared_name=attachment.name,
        declared_size=len(data),
        rules=files.rules,
        store=files.store,
        inspector=files.inspector,
    )
    if isinstance(result, Refusal):
        raise Invalid(where, f"refused: {result.code}")
    return NewAttachment(
        file=result.file, doc_type=attachment.doc_type, prepared_on=attachment.prepared_on
    )


async def _received(call: Call, client_id: int, body: MessageBody) -> list[NewAttachment]:
    return [
        await _one(call, client_id, attachment, f"attachments.{index}")
        for index, attachment in enumerate(body.attachments)
    ]


@resource.operation(
    "POST",
    "/clients/{client_id}/messages",
    scope="messages:write",
    summary="Write to the client",
    status=201,
    errors=(404,),
    files=True,
    links={
        "GetMessage": {
            "operationId": "get_message",
            "parameters": {"message_id": "$response.body#/id"},
        }
    },
)
async def post_message(call: Call, path: ClientPath, body: MessageBody) -> Message:
    """A new thread (with `subject`) or a message into `thread_id`, with documents checked as
    the chat checks them. Every active user of the client is told in chat, with «Atvērt»."""
    attachments = await _received(call, path.client_id, body)
    message, documents = await messages.altum_message(
        uow=call.uow,
        notifier=call.notifier,
        client_id=path.client_id,
        body=body.body,
        actor=call.actor,
        now=call.now,
        subject=body.subject,
        thread_id=body.thread_id,
        attachments=attachments,
    )
    _, thread, _ = await messages.message_for_altum(uow=call.uow, message_id=message.id)
    return _message(message, thread, documents)


@resource.operation(
    "GET",
    "/messages/{message_id}",
    scope="messages:read",
    summary="One message (drafts are not shown)",
    errors=(404,),
)
async def get_message(call: Call, path: MessagePath) -> Message:
    message, thread, documents = await messages.message_for_altum(
        uow=call.uow, message_id=path.message_id
    )
    return _message(message, thread, documents)


@resource.operation(
    "GET",
    "/documents/{document_id}",
    scope="documents:read",
    summary="One document with its bytes (base64)",
    errors=(404,),
)
async def get_document(call: Call, path: DocumentPath) -> DocumentContent:
    document = await messages.document_for_altum(uow=call.uow, document_id=path.document_id)
    files = call.context.files
    if files is None:
        raise Invalid("document_id", "this server keeps no documents")
    data = b"".join([chunk async for chunk in files.store.chunks(document.file)])
    info = DocumentInfo.of(document)
    return DocumentContent(**info.model_dump(), content_base64=base64.b64encode(data).decode())


@resource.operation(
    "POST",
    "/clients/{client_id}/archive-documents",
    scope="documents:write",
    summary="Import a document the client sent through the old portal",
    status=201,
    errors=(404,),
    files=True,
    links={
        "GetDocument": {
            "operationId": "get_document",
            "parameters": {"document_id": "$response.body#/id"},
        }
    },
)
async def post_archive_document(call: Call, path: ClientPath, body: ArchiveBody) -> DocumentInfo:
    """For «Nosūtīto dokumentu arhīvs»: a document sent before 22.01.2022 in the old
    «DOKUMENTI» section, checked like any upload. The client's users are not told."""
    if body.sent_on >= messages.ARCHIVE_BEFORE:
        raise Invalid("sent_on", "the archive holds documents sent before 2022-01-22")
    attachment = await _one(call, path.client_id, body, "content_base64")
    document = await messages.import_archived(
        uow=call.uow,
        client_id=path.client_id,
        attachment=attachment,
        sent_on=body.sent_on,
        actor=call.actor,
        now=call.now,
    )
    return DocumentInfo.of(document)
