"""Applications clients submitted in the chat: read one (answers, attachments' ids, the content
hash, the signatures) and set ALTUM's status, which the client's users are told in chat."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from api.platform import Call, FileAnswer, Resource
from api.resources.common import Body, Id, Request
from portal import application_status
from portal.application_document import application_document
from portal.model import ApplicationRecord, ApplicationStatus, NotFound, SignatureRecord

resource = Resource(
    "applications",
    "Applications and deal applications from the chat, with their signatures and statuses.",
)

AltumStatus = Literal["submitted", "in_review", "info_needed", "approved", "rejected"]


class Signature(BaseModel):
    person_id: int
    decision: Literal["signed", "refused"]
    content_hash: str = Field(description="SHA-256 (hex) of the canonical content signed")
    at: datetime
    reason: str | None
    void: bool = Field(description="an edit after it made it void")

    @classmethod
    def of(cls, record: SignatureRecord) -> Signature:
        return cls(
            person_id=record.person_id,
            decision=record.decision.value,
            content_hash=record.content_hash,
            at=record.at,
            reason=record.reason,
            void=record.void,
        )


class Application(BaseModel):
    id: int
    client_id: int
    form_id: str
    form_version: int
    deal_number: str | None
    status: Literal[
        "draft",
        "sent_for_signing",
        "submitted",
        "in_review",
        "info_needed",
        "approved",
        "rejected",
        "withdrawn",
    ]
    answers: dict[str, Any] = Field(
        description="the form engine's JSON by field id: money as strings with two decimals, "
        "dates ISO, choices as option ids, attachments as their document ids and SHA-256"
    )
    attachment_ids: list[str]
    content_hash: str | None
    prepared_by: int
    created_at: datetime
    submitted_at: datetime | None
    comment: str | None
    signatures: list[Signature]

    @classmethod
    def of(cls, record: ApplicationRecord, signatures: list[SignatureRecord]) -> Application:
        attachments = [
            str(item["document_id"])
            for value in record.answers.values()
            if isinstance(value, list)
            for item in value
            if isinstance(item, dict) and "document_id" in item
        ]
        return cls(
            id=record.id,
            client_id=record.client_id,
            form_id=record.form_id,
            form_version=record.form_version,
            deal_number=record.deal_number,
            status=record.status.value,
            answers=record.answers,
            attachment_ids=attachments,
            content_hash=record.content_hash,
            prepared_by=record.prepared_by,
            created_at=record.created_at,
            submitted_at=record.submitted_at,
            comment=record.comment,
            signatures=[Signature.of(s) for s in signatures],
        )


class ApplicationPath(Request):
    application_id: Id


class StatusChange(Body):
    status: AltumStatus = Field(
        description="«Iesniegts», «Izskatīšanā», «Nepieciešama papildu informācija», "
        "«Apstiprināts», «Noraidīts»"
    )
    comment: str | None = Field(
        default=None, max_length=2000, description="shown to the client's users as written"
    )


@resource.operation(
    "GET",
    "/applications/{application_id}",
    scope="applications:read",
    summary="One application with its answers and signatures",
    errors=(404,),
)
async def get_application(call: Call, path: ApplicationPath) -> Application:
    record, signatures = await application_status.get_application(
        uow=call.uow, application_id=path.application_id
    )
    return Application.of(record, signatures)


@resource.operation(
    "POST",
    "/applications/{application_id}/status",
    scope="applications:write",
    summary="Set ALTUM's status of a submitted application",
    errors=(404, 409),
)
async def set_status(call: Call, path: ApplicationPath, body: StatusChange) -> Application:
    """The client's users are told in chat, in their language, with the comment. The same
    status and comment again (a retry) changes nothing and tells no one. 409 for an
    application not submitted yet (a draft, one being signed, one withdrawn)."""
    record = await application_status.set_status(
        uow=call.uow,
        notifier=call.notifier,
        forms=call.context.forms,
        application_id=path.application_id,
        status=ApplicationStatus(body.status),
        comment=body.comment,
        actor=call.actor,
        now=call.now,
    )
    _, signatures = await application_status.get_application(uow=call.uow, application_id=record.id)
    return Application.of(record, signatures)


class PdfFile(FileAnswer):
    media_type: ClassVar[str] = "application/pdf"


@resource.operation(
    "GET",
    "/applications/{application_id}/pdf",
    scope="applications:read",
    summary="A submitted application as a PDF",
    errors=(404,),
)
async def get_application_pdf(call: Call, path: ApplicationPath) -> PdfFile:
    """The same document the client's users get in chat: answers, signers with times, and the
    content hash on every page. 404 until the application is submitted."""
    document = await application_document(
        uow=call.uow, forms=call.context.forms, application_id=path.application_id
    )
    writer = call.context.pdf
    if writer is None:
        raise NotFound("PDF writer")
    data = await asyncio.to_thread(writer.render, document)
    return PdfFile(data=data, filename=f"application-{path.application_id}.pdf")
