"""Clients: find one by registration number, open an existing ALTUM client in the bot, and
set its consultant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Body, ClientPath, Request
from portal import client_admin
from portal.model import ClientRecord
from portal.model import Consultant as ConsultantRecord

resource = Resource("clients", "ALTUM clients in the bot and their consultants.")

RegistrationNumber = Annotated[
    str,
    Field(
        pattern=r"^\d{11}$",
        description="the Company Register's number, 11 digits",
        examples=["40103999940"],
    ),
]


class SigningRule(BaseModel):
    rule: Literal["individually", "with_all", "with_at_least"] | None = Field(
        description="how the registrant signs, as the Company Register says; null when ALTUM "
        "opened the client (each signatory's own rule applies)"
    )
    with_at_least: int | None


class Client(BaseModel):
    id: int
    kind: Literal["legal_entity", "natural_person"]
    name: str
    registration_number: str | None
    status: Literal["active", "blocked"]
    legal_form: str | None
    address: str | None
    email: str | None
    phone: str | None
    signing_rule: SigningRule
    awaiting_review: bool = Field(description="a registration of it waits for ALTUM's check")
    created_at: datetime

    @classmethod
    def of(cls, record: ClientRecord) -> Client:
        return cls(
            id=record.id,
            kind=record.kind,
            name=record.name,
            registration_number=record.registration_number,
            status=record.status,
            legal_form=record.legal_form,
            address=record.address,
            email=record.email,
            phone=record.phone,
            signing_rule=SigningRule(
                rule=record.representation_rule,
                with_at_least=record.representation_with_at_least,
            ),
            awaiting_review=record.awaiting_review,
            created_at=record.created_at,
        )


class ClientList(BaseModel):
    items: list[Client]


class ClientQuery(Request):
    registration_number: RegistrationNumber


class OpenClient(Body):
    registration_number: RegistrationNumber
    email: str | None = Field(default=None, max_length=254, examples=["info@ozolkalns.lv"])
    phone: str | None = Field(default=None, max_length=32, examples=["+37120000000"])


class Consultant(Body):
    name: str = Field(min_length=1, max_length=200, examples=["Ieva Kļava"])
    email: str = Field(
        min_length=3,
        max_length=254,
        description="normalized on the way in",
        examples=["ieva.klava@altum.lv"],
    )
    phone: str = Field(
        min_length=1, max_length=32, description="+371… or E.164", examples=["+37167774010"]
    )


@resource.operation(
    "GET",
    "/clients",
    scope="clients:read",
    summary="Find a client by registration number",
    links={
        "GetClient": {
            "operationId": "get_client",
            "parameters": {"client_id": "$response.body#/items/0/id"},
        }
    },
)
async def find_clients(call: Call, query: ClientQuery) -> ClientList:
    """A list of none or one: the bot has the client only once it registered or ALTUM opened
    it."""
    found = await client_admin.find_clients(
        uow=call.uow, registration_number=query.registration_number
    )
    return ClientList(items=[Client.of(record) for record in found])


@resource.operation(
    "POST",
    "/clients",
    scope="clients:write",
    summary="Open an existing ALTUM client in the bot",
    status=201,
    errors=(409,),
    links={
        "GetClient": {
            "operationId": "get_client",
            "parameters": {"client_id": "$response.body#/id"},
        }
    },
)
async def open_client(call: Call, body: OpenClient) -> Client:
    """A company that is already ALTUM's client, with its name, form and address from the
    imported Company Register; then give its users access (`POST …/users`). No review is
    needed: ALTUM vouches for it."""
    record = await client_admin.open_client(
        uow=call.uow,
        registration_number=body.registration_number,
        email=body.email,
        phone=body.phone,
        actor=call.actor,
        now=call.now,
    )
    return Client.of(record)


@resource.operation(
    "GET", "/clients/{client_id}", scope="clients:read", summary="One client", errors=(404,)
)
async def get_client(call: Call, path: ClientPath) -> Client:
    return Client.of(await client_admin.get_client(uow=call.uow, client_id=path.client_id))


@resource.operation(
    "GET",
    "/clients/{client_id}/consultant",
    scope="clients:read",
    summary="The client's ALTUM consultant",
    errors=(404,),
)
async def get_consultant(call: Call, path: ClientPath) -> Consultant:
    found = await client_admin.get_consultant(uow=call.uow, client_id=path.client_id)
    return Consultant(name=found.name, email=found.email, phone=found.phone)


@resource.operation(
    "PUT",
    "/clients/{client_id}/consultant",
    scope="clients:write",
    summary="Set the client's ALTUM consultant",
    errors=(404,),
)
async def put_consultant(call: Call, path: ClientPath, body: Consultant) -> Consultant:
    """Name, e-mail and phone; the e-mail and phone are normalized (as the chat writes them)."""
    saved = await client_admin.set_consultant(
        uow=call.uow,
        client_id=path.client_id,
        consultant=ConsultantRecord(name=body.name, email=body.email, phone=body.phone),
        actor=call.actor,
        now=call.now,
    )
    return Consultant(name=saved.name, email=saved.email, phone=saved.phone)
