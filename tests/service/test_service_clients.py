"""Choosing the client the chat acts for, through the use cases alone: access is checked on
every call from the memberships, never from what a button said. In memory, no database."""

from __future__ import annotations

import pytest
from fakes import FakeUnitOfWork
from service_support import client_of, linked

from portal.clients import choose_client, clients_to_choose, current_client
from portal.model import Action, MembershipStatus, NoAccess, NotLinked, Role


async def test_choosing_a_client_records_the_switch() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    client_id = await client_of(uow, person.id, "Ozolkalna Koks")
    access = await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    assert (access.name, access.role, access.is_signatory) == ("Ozolkalna Koks", Role.MAIN, True)
    account = await uow.accounts.get(42)
    assert account is not None and account.current_client_id == client_id
    event = uow.activity.events[-1]
    assert (event.action, event.client_id, event.details) == (
        Action.CLIENT_SWITCHED,
        client_id,
        {"from": None},
    )


async def test_choosing_the_current_client_again_changes_and_records_nothing() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    client_id = await client_of(uow, person.id, "Ozolkalna Koks")
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    events = len(uow.activity.events)
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    assert len(uow.activity.events) == events


async def test_a_client_the_person_does_not_act_for_is_refused() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    someone_elses = await client_of(uow, person_id=99, name="Cits SIA")
    with pytest.raises(NoAccess):
        await choose_client(uow=uow, telegram_user_id=42, client_id=someone_elses)
    account = await uow.accounts.get(42)
    assert account is not None and account.current_client_id is None


async def test_a_chat_not_linked_to_anyone_is_asked_to_log_in() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(NotLinked):
        await clients_to_choose(uow=uow, telegram_user_id=42)
    with pytest.raises(NotLinked):
        await choose_client(uow=uow, telegram_user_id=42, client_id=1)


async def test_a_blocked_membership_hides_the_client_at_once() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    client_id = await client_of(uow, person.id, "Ozolkalna Koks")
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    uow.clients.membership(person.id, client_id).status = MembershipStatus.BLOCKED
    assert await current_client(uow=uow, telegram_user_id=42) is None
    account = await uow.accounts.get(42)
    assert account is not None and account.current_client_id is None
    assert uow.activity.events[-1].action is Action.CLIENT_ACCESS_LOST
    assert (await clients_to_choose(uow=uow, telegram_user_id=42)).clients == []


async def test_the_list_is_by_name_and_marks_the_client_acted_for() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    zeta = await client_of(uow, person.id, "Zeta SIA", role=Role.ADDITIONAL)
    await client_of(uow, person.id, "alfa SIA")
    await choose_client(uow=uow, telegram_user_id=42, client_id=zeta)
    listing = await clients_to_choose(uow=uow, telegram_user_id=42)
    assert [access.name for access in listing.clients] == ["alfa SIA", "Zeta SIA"]
    assert listing.current_client_id == zeta
    assert not uow.committed
