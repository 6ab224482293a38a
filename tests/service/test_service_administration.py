"""«Administrēšana» through the use cases alone: only an active main user of the chat's current
client reaches it; an additional user is added by personal code; a user is blocked and
restored (told, logged); the last active main user cannot block themselves; a user of another
client is out of reach whatever id a button names."""

from __future__ import annotations

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, client_of, identity, linked

from portal import administration
from portal.clients import choose_client, current_client, person_of
from portal.model import (
    AccessBlockedByMainUser,
    AccessGrantedByMainUser,
    AccessRestoredByMainUser,
    Action,
    Invalid,
    LastMainUser,
    MembershipStatus,
    NoClientChosen,
    NotFound,
    NotLinked,
    NotMainUser,
    UserExists,
)

JANIS_CODE = "03037915671"
JANIS = identity(
    subject=f"PK:{JANIS_CODE}",
    personal_codes=(JANIS_CODE,),
    given_name="Jānis",
    family_name="KALNIŅŠ",
    assertion_id="assertion-2",
)


async def anna_main_user(uow: FakeUnitOfWork) -> int:
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    return client_id


async def test_a_main_user_adds_an_additional_user_who_is_told_once_linked() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    client_id = await anna_main_user(uow)
    janis = (await linked(uow, 43, JANIS)).person

    with pytest.raises(Invalid):
        await administration.add_additional_user(
            uow=uow, notifier=notifier, telegram_user_id=42, personal_code="030379-15670", now=NOW
        )
    added = await administration.add_additional_user(
        uow=uow, notifier=notifier, telegram_user_id=42, personal_code="030379-15671", now=NOW
    )
    assert (added.role, added.status, added.person_id) == ("additional", "active", janis.id)
    assert notifier.notices == [
        AccessGrantedByMainUser(person_id=janis.id, client_name="Ozolkalna Koks", by="Anna Bērziņa")
    ]
    event = uow.activity.events[-1]
    assert (event.action, event.client_id, event.actor) == (
        Action.USER_ADDED,
        client_id,
        administration.actor_of(await person_of(uow=uow, telegram_user_id=42)),
    )
    with pytest.raises(UserExists):
        await administration.add_additional_user(
            uow=uow, notifier=notifier, telegram_user_id=42, personal_code=JANIS_CODE, now=NOW
        )
    # Jānis acts for it now; as an additional user he cannot administer it.
    await choose_client(uow=uow, telegram_user_id=43, client_id=client_id)
    with pytest.raises(NotMainUser):
        await administration.users(uow=uow, telegram_user_id=43)
    lines = await administration.users(uow=uow, telegram_user_id=42)
    assert [(line.user.role, line.is_me) for line in lines] == [
        ("main", True),
        ("additional", False),
    ]


async def test_blocking_is_told_logged_and_takes_the_client_at_the_next_tap() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    client_id = await anna_main_user(uow)
    janis = (await linked(uow, 43, JANIS)).person
    added = await administration.add_additional_user(
        uow=uow, notifier=notifier, telegram_user_id=42, personal_code=JANIS_CODE, now=NOW
    )
    await choose_client(uow=uow, telegram_user_id=43, client_id=client_id)
    blocked = await administration.set_status(
        uow=uow,
        notifier=notifier,
        telegram_user_id=42,
        user_id=added.id,
        status=MembershipStatus.BLOCKED,
        now=NOW,
    )
    assert blocked.status == "blocked"
    assert await current_client(uow=uow, telegram_user_id=43) is None
    await administration.set_status(
        uow=uow,
        notifier=notifier,
        telegram_user_id=42,
        user_id=added.id,
        status=MembershipStatus.ACTIVE,
        now=NOW,
    )
    assert notifier.notices[1:] == [
        AccessBlockedByMainUser(
            person_id=janis.id, client_name="Ozolkalna Koks", by="Anna Bērziņa"
        ),
        AccessRestoredByMainUser(
            person_id=janis.id, client_name="Ozolkalna Koks", by="Anna Bērziņa"
        ),
    ]
    changes = [e for e in uow.activity.events if e.action is Action.USER_CHANGED]
    assert [c.details["status"]["to"] for c in changes] == ["blocked", "active"]


async def test_the_last_active_main_user_cannot_block_themselves() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    await anna_main_user(uow)
    (me,) = await administration.users(uow=uow, telegram_user_id=42)
    with pytest.raises(LastMainUser):
        await administration.set_status(
            uow=uow,
            notifier=notifier,
            telegram_user_id=42,
            user_id=me.user.id,
            status=MembershipStatus.BLOCKED,
            now=NOW,
        )
    assert (await administration.users(uow=uow, telegram_user_id=42))[0].user.status == "active"
    assert notifier.notices == []


async def test_another_clients_user_and_people_without_the_right_are_refused() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    await anna_main_user(uow)
    janis = (await linked(uow, 43, JANIS)).person
    other = await client_of(uow, janis.id, "Daugavas Dzirnavas")
    (foreign,) = await uow.client_users.of_client(other)
    with pytest.raises(NotFound):
        await administration.set_status(
            uow=uow,
            notifier=notifier,
            telegram_user_id=42,
            user_id=foreign.id,
            status=MembershipStatus.BLOCKED,
            now=NOW,
        )
    assert await uow.client_users.get(other, foreign.id) == foreign  # unchanged
    with pytest.raises(NoClientChosen):  # Jānis chose no client yet
        await administration.users(uow=uow, telegram_user_id=43)
    with pytest.raises(NotLinked):
        await administration.users(uow=uow, telegram_user_id=99)
