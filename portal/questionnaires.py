"""«Anketas» (issue 11): ALTUM's questionnaires, filled with the applications' form engine.

A questionnaire's draft and submission are rows of the applications table (forms of kind
questionnaire, never signed): the form dialog, its drafts and its server-side check are the
applications'. This module adds what is the questionnaires' own: which exist and where the
client stands with each (a draft, the last submission), one draft per questionnaire, the client
questionnaire's update prefilled from its last submission, and ALTUM's read of one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from portal import applications as apps
from portal.clients import acting_for
from portal.forms import Form, FormCatalogue, FormKind, decode_answers, encode_answers
from portal.model import (
    ALTUM_STATUSES,
    ApplicationNotFound,
    ApplicationRecord,
    ApplicationStatus,
    ClientAccess,
    NotFound,
)
from portal.ports import UnitOfWork

# Updated rather than answered afresh: the next submission starts from the last one.
PREFILLED = frozenset({"client_questionnaire"})
DRAFTS = frozenset({ApplicationStatus.DRAFT})


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the current client stands with one questionnaire."""

    form: Form
    draft: ApplicationRecord | None
    last: ApplicationRecord | None  # the newest submission


def questionnaire_ids(forms: FormCatalogue) -> frozenset[str]:
    return frozenset(form.id for form in forms.offered(FormKind.QUESTIONNAIRE))


async def _newest(
    uow: UnitOfWork, client_id: int, form_id: str, statuses: frozenset[ApplicationStatus]
) -> ApplicationRecord | None:
    page = await uow.applications.page(
        client_id, before=None, limit=1, statuses=statuses, only_forms=frozenset({form_id})
    )
    return page.items[0] if page.items else None


async def overview(
    *, uow: UnitOfWork, forms: FormCatalogue, telegram_user_id: int
) -> tuple[ClientAccess, list[Standing]]:
    """«Anketas»: every questionnaire with the client's draft and last submission."""
    _person_id, access = await acting_for(uow=uow, telegram_user_id=telegram_user_id)
    standings = [
        Standing(
            form,
            await _newest(uow, access.client_id, form.id, DRAFTS),
            await _newest(uow, access.client_id, form.id, ALTUM_STATUSES),
        )
        for form in forms.offered(FormKind.QUESTIONNAIRE)
    ]
    return access, standings


def _carried(old: Form, new: Form, answers: dict[str, Any]) -> dict[str, Any]:
    """The last submission's answers as the new draft's: as they are for the same version,
    else those whose question is still there with the same type."""
    if old.version == new.version:
        return dict(answers)
    decoded = decode_answers(old, answers)
    kept = {
        key: value
        for key, value in decoded.items()
        if key in {f.id for f in new.fields} and new.field(key).type is old.field(key).type
    }
    return dict(encode_answers(new, kept))


async def start(
    *, uow: UnitOfWork, forms: FormCatalogue, telegram_user_id: int, form_id: str, now: datetime
) -> ApplicationRecord:
    """Fill (or update) a questionnaire: its draft if one is open (a second tap or a redelivered
    update makes no second draft), else a new one, prefilled from the last submission for the
    questionnaires that are updated rather than answered afresh."""
    offered = {form.id: form for form in forms.offered(FormKind.QUESTIONNAIRE)}
    form = offered.get(form_id)
    if form is None:
        raise ApplicationNotFound
    _person_id, access = await acting_for(uow=uow, telegram_user_id=telegram_user_id)
    draft = await _newest(uow, access.client_id, form.id, DRAFTS)
    if draft is not None:
        return draft
    last = await _newest(uow, access.client_id, form.id, ALTUM_STATUSES)
    record = await apps.start_application(
        uow=uow, telegram_user_id=telegram_user_id, form=form, now=now
    )
    if last is None or form.id not in PREFILLED:
        return record
    answers = _carried(forms.get(last.form_id, last.form_version), form, last.answers)
    # Revision 0: nothing the person changed yet (the menu counts no draft until they do).
    prefilled = replace(record, answers=answers, current_field=None)
    await uow.applications.save(prefilled)
    return prefilled


async def get_questionnaire(
    *, uow: UnitOfWork, forms: FormCatalogue, questionnaire_id: int
) -> ApplicationRecord:
    """ALTUM's read of a submitted questionnaire (drafts are the client's own)."""
    found = await uow.applications.by_id(questionnaire_id)
    if found is None or found.status not in ALTUM_STATUSES:
        raise NotFound("questionnaire")
    if forms.get(found.form_id, found.form_version).kind is not FormKind.QUESTIONNAIRE:
        raise NotFound("questionnaire")
    return found
