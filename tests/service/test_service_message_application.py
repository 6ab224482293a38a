"""A message about an application: the client's own only (another client's or a withdrawn one
is refused and nothing is written), shown on the thread and found by the search."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakeUnitOfWork
from service_support import NOW, client_of, linked

from portal import messages
from portal.clients import choose_client
from portal.model import ApplicationStatus, NewApplication, NotFound, ThreadQuery

USER = 42


async def test_only_the_clients_own_application_and_the_search_finds_it() -> None:
    uow = FakeUnitOfWork()
    result = await linked(uow, USER)
    person_id = result.person.id
    own_client = await client_of(uow, person_id, 'SIA "Ozolkalna Koks"')
    other_client = await client_of(uow, person_id, 'SIA "Cits"')
    await choose_client(uow=uow, telegram_user_id=USER, client_id=own_client)
    own = await uow.applications.add(NewApplication(own_client, "f", 1, person_id, None, NOW))
    other = await uow.applications.add(NewApplication(other_client, "f", 1, person_id, None, NOW))
    gone = await uow.applications.add(NewApplication(own_client, "f", 1, person_id, None, NOW))
    await uow.applications.save(replace(gone, status=ApplicationStatus.WITHDRAWN))

    listed = await messages.linkable_applications(uow=uow, telegram_user_id=USER)
    assert [a.id for a in listed] == [own.id]
    for refused in (other.id, gone.id):
        with pytest.raises(NotFound):
            await messages.linkable_application(
                uow=uow, telegram_user_id=USER, application_id=refused
            )
        with pytest.raises(NotFound):
            await messages.write(
                uow=uow,
                telegram_user_id=USER,
                subject="?",
                body="?",
                now=NOW,
                application_id=refused,
            )
    nothing = await messages.overview(uow=uow, telegram_user_id=USER, query=ThreadQuery())
    assert nothing.threads.items == []

    await messages.write(
        uow=uow,
        telegram_user_id=USER,
        subject="Par pieteikumu",
        body="?",
        now=NOW,
        application_id=own.id,
    )
    await messages.write(uow=uow, telegram_user_id=USER, subject="Cits", body="?", now=NOW)
    found = await messages.overview(
        uow=uow, telegram_user_id=USER, query=ThreadQuery(application_id=own.id)
    )
    (thread,) = found.threads.items
    assert thread.subject == "Par pieteikumu" and thread.about.application_id == own.id


async def test_a_quick_upload_offers_what_left_the_clients_hands_asked_ones_first() -> None:
    """«Kas tas ir?» → «Par pieteikumu»: sent for signing or submitted, the ones ALTUM asks
    more of first (even when older than the cap), then newest first; never a draft, a
    withdrawn one, a questionnaire or another client's."""
    uow = FakeUnitOfWork()
    result = await linked(uow, USER)
    person_id = result.person.id
    own_client = await client_of(uow, person_id, 'SIA "Ozolkalna Koks"')
    other_client = await client_of(uow, person_id, 'SIA "Cits"')
    await choose_client(uow=uow, telegram_user_id=USER, client_id=own_client)

    async def made(client_id: int, status: ApplicationStatus, form: str = "f") -> int:
        added = await uow.applications.add(NewApplication(client_id, form, 1, person_id, None, NOW))
        await uow.applications.save(replace(added, status=status))
        return added.id

    S = ApplicationStatus
    asked = await made(own_client, S.INFO_NEEDED)  # the oldest
    signing = await made(own_client, S.SENT_FOR_SIGNING)
    draft = await made(own_client, S.DRAFT)
    withdrawn = await made(own_client, S.WITHDRAWN)
    questionnaire = await made(own_client, S.SUBMITTED, form="anketa")
    foreign = await made(other_client, S.SUBMITTED)
    decided = [await made(own_client, s) for s in (S.APPROVED, S.REJECTED, S.IN_REVIEW)]
    newest = await made(own_client, S.SUBMITTED)

    offered = await messages.upload_applications(
        uow=uow, telegram_user_id=USER, without_forms=frozenset({"anketa"})
    )
    assert [a.id for a in offered] == [asked, newest, *reversed(decided), signing]
    capped = await messages.upload_applications(uow=uow, telegram_user_id=USER, limit=2)
    assert [a.id for a in capped] == [asked, newest]
    for refused in (draft, withdrawn, foreign):
        with pytest.raises(NotFound):
            await messages.upload_application(
                uow=uow, telegram_user_id=USER, application_id=refused
            )
    assert (
        await messages.upload_application(uow=uow, telegram_user_id=USER, application_id=signing)
    ).id == signing
    assert questionnaire not in [a.id for a in offered]
