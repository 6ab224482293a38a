"""The event feed: what happened on the client side, in commit order, each event once.

A consumer keeps the `next` cursor of the last page it handled and asks for `after=<next>`:
after a crash it resumes there and misses nothing. `wait` long-polls: an empty page is held
until an event commits or the seconds pass (events committed by this process wake it at
once, those of other processes are found by a re-check every `recheck` seconds).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Request
from portal import feed
from portal.model import FeedEvent

resource = Resource("events", "The feed of what clients did in the bot, for ALTUM's systems.")

EventType = Literal[
    "client.registered",
    "client.confirmed",
    "user.linked",
    # Applications (issue 9).
    "application.sent_for_signing",
    "signature.added",
    "signature.refused",
    "application.submitted",
    "message.sent",
    "document.uploaded",
    "questionnaire.submitted",  # «Anketas» (issue 11)
]


class EventQuery(Request):
    after: Annotated[str, Field(pattern=r"^\d{1,18}$")] = Field(
        default="0", description="the `next` of the previous page; 0 for the beginning"
    )
    limit: Annotated[int, Field(ge=1, le=1000)] = 100
    wait: Annotated[int, Field(ge=0, le=60)] = Field(
        default=0, description="seconds to hold an empty page for new events (long poll)"
    )


class Event(BaseModel):
    cursor: str = Field(description="this event's position; `after=<cursor>` continues here")
    type: EventType
    occurred_at: datetime
    client_id: int | None = Field(description="GET /clients/{client_id}")
    registration_id: int | None = Field(
        default=None, description="GET /registrations/{registration_id}"
    )
    user_id: int | None = Field(
        default=None, description="GET /clients/{client_id}/users/{user_id}"
    )
    application_id: int | None = Field(
        default=None, description="GET /applications/{application_id}"
    )
    person_id: int | None = Field(default=None, description="who signed or refused")
    message_id: int | None = Field(default=None, description="GET /messages/{message_id}")
    thread_id: int | None = Field(default=None, description="the message's thread")
    document_id: int | None = Field(default=None, description="GET /documents/{document_id}")
    questionnaire_id: int | None = Field(
        default=None, description="GET /questionnaires/{questionnaire_id}"
    )
    form_id: str | None = Field(default=None, description="which questionnaire it is")

    @classmethod
    def of(cls, event: FeedEvent) -> Event:
        return cls(
            cursor=str(event.position),
            type=event.type,
            occurred_at=event.occurred_at,
            client_id=event.client_id,
            registration_id=event.data.get("registration_id"),
            user_id=event.data.get("user_id"),
            application_id=event.data.get("application_id"),
            person_id=event.data.get("person_id"),
            message_id=event.data.get("message_id"),
            thread_id=event.data.get("thread_id"),
            document_id=event.data.get("document_id"),
            questionnaire_id=event.data.get("questionnaire_id"),
            form_id=event.data.get("form_id"),
        )


class EventPage(BaseModel):
    events: list[Event]
    next: str = Field(description="pass as `after` for the next page (the same when empty)")


@resource.operation(
    "GET",
    "/events",
    scope="events:read",
    summary="Read the event feed",
    transactional=False,  # a long poll must not hold a transaction while it waits
)
async def read_events(call: Call, query: EventQuery) -> EventPage:
    """Types: `client.registered` (a registration submitted; `registration_id`),
    `client.confirmed` (its e-mail link opened, the client exists; `client_id`,
    `registration_id`), `user.linked` (a user of a client logged in with Telegram;
    `client_id`, `user_id`)."""
    context = call.context
    after = int(query.after)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(query.wait, context.max_wait)
    while True:
        async with context.slots, context.transaction() as (uow, _notifier):
            found = await feed.read(uow=uow, after=after, limit=query.limit)
        remaining = deadline - loop.time()
        if found or remaining <= 0 or context.stopping.is_set():
            break
        await context.feed_signal.wait(min(context.recheck, remaining))
    last = found[-1].position if found else after
    return EventPage(events=[Event.of(event) for event in found], next=str(last))
