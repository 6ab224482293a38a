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
