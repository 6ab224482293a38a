"""Questionnaires («Anketas») clients submitted in the chat: ALTUM reads one after the event
feed's `questionnaire.submitted` names it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.platform import Call, Resource
from api.resources.common import Id, Request
from portal import questionnaires
from portal.model import ApplicationRecord

resource = Resource(
    "questionnaires",
    "Questionnaires from the chat: the client questionnaire, EaSI and customer satisfaction.",
)


class Questionnaire(BaseModel):
    id: int
    client_id: int
    form_id: str = Field(
        description="client_questionnaire, easi_questionnaire or satisfaction_survey"
    )
    form_version: int
    answers: dict[str, Any] = Field(
        description="the form engine's JSON by field id: choices as option ids, skipped "
        "optional questions as null"
    )
    content_hash: str | None = Field(description="SHA-256 (hex) of the canonical content")
    submitted_by: int = Field(description="the person id of who submitted it")
    created_at: datetime
    submitted_at: datetime | None

    @classmethod
    def of(cls, record: ApplicationRecord) -> Questionnaire:
        return cls(
            id=record.id,
            client_id=record.client_id,
            form_id=record.form_id,
            form_version=record.form_version,
            answers=record.answers,
            content_hash=record.content_hash,
            submitted_by=record.prepared_by,
            created_at=record.created_at,
            submitted_at=record.submitted_at,
        )


class QuestionnairePath(Request):
    questionnaire_id: Id


@resource.operation(
    "GET",
    "/questionnaires/{questionnaire_id}",
    scope="questionnaires:read",
    summary="One submitted questionnaire with its answers",
    errors=(404,),
)
async def get_questionnaire(call: Call, path: QuestionnairePath) -> Questionnaire:
    """404 for a draft (the client's own until submitted) and for an application's id."""
    record = await questionnaires.get_questionnaire(
        uow=call.uow, forms=call.context.forms, questionnaire_id=path.questionnaire_id
    )
    return Questionnaire.of(record)
