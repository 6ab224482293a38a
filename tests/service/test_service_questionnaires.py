"""«Anketas» through the use cases alone: one draft per questionnaire however often «fill» is
pressed, submission without signatures by any active user, the event and the activity entry it
leaves, the client questionnaire's update prefilled from the last submission (also across form
versions), and ALTUM's read refusing drafts and applications. In memory, no database."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, board_member, company
from test_service_applications import _filled, _setup

from integrations.forms import load_forms
from portal import applications as apps
from portal import questionnaires as qs
from portal.forms import Value, answer, confirm, resume_question, toggle_choice
from portal.model import Action, ApplicationNotFound, ApplicationStatus, NotFound

FORMS = load_forms()


async def _start(uow: FakeUnitOfWork, chat: int, form_id: str = "client_questionnaire") -> Any:
    return await qs.start(uow=uow, forms=FORMS, telegram_user_id=chat, form_id=form_id, now=NOW)


async def _submit(uow: FakeUnitOfWork, notifier: FakeNotifier, chat: int, app: int) -> Any:
    return await apps.submit(
        uow=uow,
        notifier=notifier,
        forms=FORMS,
        telegram_user_id=chat,
        application_id=app,
        now=NOW,
        counts="others",
    )


CLIENT_ANSWERS = (
    ("main_activity", "Sawmill"),
    ("nace", "16.10"),
    ("operates_abroad", "no"),
    ("cash_share", "5"),
    ("beneficial_owners", "Anna Bērziņa, 100%"),
    ("pep", "no"),
    ("sanctions", "no"),
    ("email", "info@ozolkalna.lv"),
    ("phone", "+37126123456"),
    ("website", "ozolkalna.lv"),
)


async def _answer_all(uow: FakeUnitOfWork, chat: int, draft_id: int) -> None:
    form = FORMS.current("client_questionnaire")
    answers: dict[str, Value | None] = {}
    for field, raw in CLIENT_ANSWERS:
        result = answer(form, answers, field, raw, context={})
        assert isinstance(result, dict), (field, result)
        answers = result
    chosen = toggle_choice(form, answers, "funds_sources", "business")
    assert isinstance(chosen, dict)
    done = confirm(form, chosen, "funds_sources", context={})
    assert isinstance(done, dict)
    await apps.save_answers(
        uow=uow,
        notifier=FakeNotifier(),
        forms=FORMS,
        telegram_user_id=chat,
        application_id=draft_id,
        answers=done,
        current_field=None,
        now=NOW,
        counts="others",
    )


async def test_submitted_once_without_signatures_then_updated_from_the_last_answers() -> None:
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    notifier = FakeNotifier()
    _anna, dace = await _setup(uow)
    draft = await _start(uow, 43)
    again = await _start(uow, 43)  # a second tap or a redelivery
    assert again.id == draft.id and len(uow.applications.rows) == 1
    await _answer_all(uow, 43, draft.id)

    # Dace signs nothing for the client, yet may submit a questionnaire.
    record, first = await _submit(uow, notifier, 43, draft.id)
    assert first and record.status is ApplicationStatus.SUBMITTED
    _same, second = await _submit(uow, notifier, 43, draft.id)
    assert not second
    await uow.commit()
    assert notifier.notices == []  # nobody is told in chat: ALTUM reads the feed
    (event,) = uow.feed.events
    assert event.type == "questionnaire.submitted"
    assert event.data == {"questionnaire_id": draft.id, "form_id": "client_questionnaire"}
    (entry,) = [e for e in uow.activity.events if e.action is Action.QUESTIONNAIRE_SUBMITTED]
    assert entry.person_id == dace and entry.details["questionnaire"] == draft.id

    _access, standings = await qs.overview(uow=uow, forms=FORMS, telegram_user_id=42)
    client = standings[0]
    assert client.form.id == "client_questionnaire" and client.draft is None
    assert client.last is not None and client.last.id == draft.id

    update = await _start(uow, 42)
    assert update.id != draft.id and update.answers == record.answers
    opened = await apps.open_application(
        uow=uow, forms=FORMS, telegram_user_id=42, application_id=update.id
    )
    assert resume_question(opened.form, opened.answers, update.current_field) is None

    # Another questionnaire is answered afresh.
    easi = await _start(uow, 42, "easi_questionnaire")
    assert easi.answers == {}


async def test_altum_reads_only_submitted_questionnaires() -> None:
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    await _setup(uow)
    draft = await _start(uow, 42)
    with pytest.raises(NotFound):
        await qs.get_questionnaire(uow=uow, forms=FORMS, questionnaire_id=draft.id)
    await _answer_all(uow, 42, draft.id)
    await _submit(uow, FakeNotifier(), 42, draft.id)
    found = await qs.get_questionnaire(uow=uow, forms=FORMS, questionnaire_id=draft.id)
    assert found.answers["main_activity"] == "Sawmill"
    application = await _filled(uow, FakeNotifier(), 42)
    with pytest.raises(NotFound):  # an application is not a questionnaire
        await qs.get_questionnaire(uow=uow, forms=FORMS, questionnaire_id=application)
    with pytest.raises(ApplicationNotFound):  # not a questionnaire's form
        await _start(uow, 42, "disbursement")


def test_an_update_keeps_the_answers_whose_questions_a_new_version_still_asks() -> None:
    old = FORMS.current("client_questionnaire")
    contact = old.steps[-1]
    new = replace(
        old,
        version=old.version + 1,
        steps=(
            *old.steps[:-1],
            replace(contact, fields=tuple(f for f in contact.fields if f.id != "website")),
        ),
    )
    stored: dict[str, Any] = {
        "main_activity": "Sawmill",
        "nace": "16.10",
        "website": "ozolkalna.lv",
    }
    assert qs._carried(old, new, stored) == {"main_activity": "Sawmill", "nace": "16.10"}
    assert qs._carried(old, old, stored) == stored
