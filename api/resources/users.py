"""A client's users: access granted by personal code (only ALTUM makes another main user: the
portal's user manual, «Lietotāju administrēšana»), blocked or restored with effect on the
person's next tap in chat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Body, ClientPath, Id, Request
from portal import client_users
from portal.model import ClientUser, MembershipStatus, Role

resource = Resource("users", "Who may act for a client in the bot, and whether they are blocked.")

PersonalCode = Annotated[
    str,
    Field(
        pattern=r"^\d{6}-?\d{5}$",
        description="Latvian personal code (11 digits)",
        examples=["120584-12349"],
    ),
]


class User(BaseModel):
    id: int
    client_id: int
    personal_code: str
    given_name: str = Field(description="empty until the person logs in for the first time")
    family_name: str
    role: Literal["main", "additional"]
    status: Literal["active", "blocked"]
    is_signatory: bool
    linked: bool = Field(description="the person has logged in with a Telegram account")
    created_at: datetime

    @classmethod
    def of(cls, user: ClientUser) -> User:
        return cls(
            id=user.id,
            client_id=user.client_id,
            personal_code=user.personal_code,
            given_name=user.given_name,
            family_name=user.family_name,
            role=user.role,
            status=user.status,
            is_signatory=user.is_signatory,
            linked=user.linked,
            created_at=user.created_at,
        )


class UserList(BaseModel):
    items: list[User]


class UserPath(Request):
    client_id: Id
    user_id: Id


class NewUser(Body):
    personal_code: PersonalCode
    role: Literal["main", "additional"]
    is_signatory: bool = False


class UserChange(Body):
    status: Literal["active", "blocked"] | None = None
    role: Literal["main", "additional"] | None = None


_USER_LINK = {
    "GetUser": {
        "operationId": "get_user",
        "parameters": {"client_id": "$request.path.client_id", "user_id": "$response.body#/id"},
    }
}


@resource.operation(
    "GET",
    "/clients/{client_id}/users",
    scope="users:read",
    summary="The client's users",
    errors=(404,),
)
async def list_users(call: Call, path: ClientPath) -> UserList:
    users = await client_users.list_users(uow=call.uow, client_id=path.client_id)
    return UserList(items=[User.of(user) for user in users])


@resource.operation(
    "POST",
    "/clients/{client_id}/users",
    scope="users:write",
    summary="Give a person access to the client",
    status=201,
    errors=(404, 409),
    links=_USER_LINK,
)
async def add_user(call: Call, path: ClientPath, body: NewUser) -> User:
    """The person sees the client in chat once they log in (at once if they already have);
    a person already a user gets 409 with their `user_id`."""
    user = await client_users.grant_access(
        uow=call.uow,
        notifier=call.notifier,
        client_id=path.client_id,
        personal_code=body.personal_code,
        role=Role(body.role),
        is_signatory=body.is_signatory,
        actor=call.actor,
        now=call.now,
    )
    return User.of(user)


@resource.operation(
    "GET",
    "/clients/{client_id}/users/{user_id}",
    scope="users:read",
    summary="One user",
    errors=(404,),
)
async def get_user(call: Call, path: UserPath) -> User:
    user = await client_users.get_user(uow=call.uow, client_id=path.client_id, user_id=path.user_id)
    return User.of(user)


@resource.operation(
    "PATCH",
    "/clients/{client_id}/users/{user_id}",
    scope="users:write",
    summary="Block or restore a user, or change the role",
    errors=(404,),
)
async def change_user(call: Call, path: UserPath, body: UserChange) -> User:
    """Blocking takes effect on the person's next tap: the bot checks access on every use.
    The person is told in chat."""
    user = await client_users.change_user(
        uow=call.uow,
        notifier=call.notifier,
        client_id=path.client_id,
        user_id=path.user_id,
        status=MembershipStatus(body.status) if body.status else None,
        role=Role(body.role) if body.role else None,
        actor=call.actor,
        now=call.now,
    )
    return User.of(user)
