"""Registrations for ALTUM's review: approve, or reject (the registrant is told why, and the
client and its data are deleted unless another signatory's registration of it remains)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Body, Id, Request
from portal import review
from portal.model import RegistrationRecord, RegistrationStatus, RejectionReason

resource = Resource(
    "registrations",
    "New clients registered in the chat, for ALTUM's check (REGISTRATION_REVIEW).",
)

Status = Literal["awaiting_confirmation", "awaiting_review", "confirmed", "approved"]


class Registrant(BaseModel):
    given_name: str
    family_name: str
    personal_code: str = Field(description="as the identity provider asserted it")


class Registration(BaseModel):
    id: int
    status: Status = Field(
        description="awaiting_confirmation: the e-mail link not opened yet; awaiting_review: "
        "the client exists, nothing is signed in its name until approved; confirmed: no "
        "review needed; approved: ALTUM checked it"
    )
    kind: Literal["legal_entity", "natural_person"]
    name: str
    registration_number: str | None
    email: str
    phone: str
    client_id: int | None
    registrant: Registrant
    match: Literal["likely", "identity"] = Field(
        description="likely: the registrant matched a signatory by name and six digits of the "
        "code only; identity: a natural person registering themselves"
    )
    created_at: datetime
    confirmed_at: datetime | None
    reviewed_at: datetime | None

    @classmethod
    def of(cls, record: RegistrationRecord) -> Registration:
        return cls(
            id=record.id,
            status=record.status.value,
            kind=record.kind,
            name=record.name,
            registration_number=record.registration_number,
            email=record.email,
            phone=record.phone,
            client_id=record.client_id,
            registrant=Registrant(
                given_name=record.registrant_given_name,
                family_name=record.registrant_family_name,
                personal_code=record.registrant_personal_code,
            ),
            match="likely" if record.kind == "legal_entity" else "identity",
            created_at=record.created_at,
            confirmed_at=record.confirmed_at,
            reviewed_at=record.reviewed_at,
        )


class RegistrationList(BaseModel):
    items: list[Registration]


class RegistrationPath(Request):
    registration_id: Id


class RegistrationQuery(Request):
    status: Status | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


class Rejection(Body):
    reason: Literal["not_signatory", "identity_not_confirmed", "other"] = Field(
        description="explained to the registrant in their language"
    )
    comment: str | None = Field(
        default=None, max_length=500, description="shown to the registrant as written"
    )


_GET = {
    "GetRegistration": {
        "operationId": "get_registration",
        "parameters": {"registration_id": "$request.path.registration_id"},
    }
}


@resource.operation(
    "GET",
    "/registrations",
    scope="registrations:read",
    summary="Registrations, oldest first",
    links={
        name: {
            "operationId": operation,
            "parameters": {"registration_id": "$response.body#/items/0/id"},
        }
        for name, operation in (
            ("GetRegistration", "get_registration"),
            ("ApproveRegistration", "approve_registration"),
            ("RejectRegistration", "reject_registration"),
        )
    },
)
async def list_registrations(call: Call, query: RegistrationQuery) -> RegistrationList:
    found = await review.list_registrations(
        uow=call.uow,
        status=RegistrationStatus(query.status) if query.status else None,
        limit=query.limit,
    )
    return RegistrationList(items=[Registration.of(record) for record in found])


@resource.operation(
    "GET",
    "/registrations/{registration_id}",
    scope="registrations:read",
    summary="One registration",
    errors=(404,),
)
async def get_registration(call: Call, path: RegistrationPath) -> Registration:
    record = await review.get_registration(uow=call.uow, registration_id=path.registration_id)
    return Registration.of(record)


@resource.operation(
    "POST",
    "/registrations/{registration_id}/approve",
    scope="registrations:write",
    summary="Approve a registration after ALTUM's check",
    errors=(404, 409),
    links=_GET,
)
async def approve_registration(call: Call, path: RegistrationPath) -> Registration:
    """The registrant may now sign and submit in the client's name, and is told so in chat.
    Approving again changes nothing; 409 while the e-mail link is not opened yet."""
    record = await review.approve(
        uow=call.uow,
        notifier=call.notifier,
        registration_id=path.registration_id,
        actor=call.actor,
        now=call.now,
    )
    return Registration.of(record)


@resource.operation(
    "POST",
    "/registrations/{registration_id}/reject",
    scope="registrations:write",
    summary="Reject a registration",
    status=204,
    errors=(404, 409),
)
async def reject_registration(call: Call, path: RegistrationPath, body: Rejection) -> None:
    """The registrant is told in chat, in their language, with the reason. The client and all
    its data are deleted (as the portal does: «Jauna klienta izveide»), unless another
    signatory's registration of the same client remains: then only this registrant's access
    and details go. 409 once approved."""
    await review.reject(
        uow=call.uow,
        notifier=call.notifier,
        registration_id=path.registration_id,
        reason=RejectionReason(body.reason),
        comment=body.comment,
        actor=call.actor,
        now=call.now,
    )
