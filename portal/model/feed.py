"""The event feed's entries, for ALTUM's systems to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    CLIENT_REGISTERED = "client.registered"  # a registration submitted (e-mail not yet opened)
    CLIENT_CONFIRMED = "client.confirmed"  # its e-mail link opened: the client exists
    USER_LINKED = "user.linked"  # a user of a client linked their Telegram account
    # Applications (issue 9): ids only; `GET /applications/{id}` gives the rest.
    APPLICATION_SENT_FOR_SIGNING = "application.sent_for_signing"
    SIGNATURE_ADDED = "signature.added"
    SIGNATURE_REFUSED = "signature.refused"
    APPLICATION_SUBMITTED = "application.submitted"
    MESSAGE_SENT = "message.sent"  # a client's message to ALTUM
    DOCUMENT_UPLOADED = "document.uploaded"  # a client's document, sent with a message
    # «Anketas» (issue 11): `GET /questionnaires/{id}` gives the answers.
    QUESTIONNAIRE_SUBMITTED = "questionnaire.submitted"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One entry of the event feed: ids to fetch the full objects, never secrets."""

    type: str
    occurred_at: datetime
    client_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    position: int | None = None  # given at commit
