"""Linking a Telegram account to a person, through the use cases alone: the one-time link,
the browser's flow, the provider's identity, the activity log. In memory, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fakes import FakeUnitOfWork
from service_support import ANNA, ANNA_CODE, LIMITS, NOW, identity, linked

from portal.identity import IdentityError, Refusal
from portal.linking import (
    account_for_link,
    begin_login,
    issue_login_link,
    link_person,
    linked_person,
    replay_horizon,
    take_login_flow,
    unlink,
)
from portal.model import Action, TimeLimits
from portal.tokens import digest


async def issue(
    uow: FakeUnitOfWork, telegram_user_id: int = 42, limits: TimeLimits = LIMITS
) -> str:
    link = await issue_login_link(
        uow=uow,
        telegram_user_id=telegram_user_id,
        first_name="Anna",
        username=None,
        now=NOW,
        limits=limits,
    )
    assert link.expires_at == NOW + limits.login_link
    return link.token


async def begin(uow: FakeUnitOfWork, token: str, telegram_user_id: int = 42) -> str:
    _account, session = await begin_login(
        uow=uow,
        token=token,
        telegram_user_id=telegram_user_id,
        provider="latvija",
        flow_state={"wctx": "w"},
        now=NOW + timedelta(minutes=1),
        limits=LIMITS,
    )
    return session


async def test_a_login_link_is_kept_only_as_its_digest() -> None:
    uow = FakeUnitOfWork()
    token = await issue(uow)
    assert list(uow.login_links.rows) == [digest(token)]
    assert (await account_for_link(uow=uow, token=token, now=NOW)).telegram_user_id == 42
    assert uow.activity.actions() == [Action.ACCOUNT_CREATED, Action.LOGIN_LINK_ISSUED]


async def test_a_new_link_revokes_the_older_one() -> None:
    uow = FakeUnitOfWork()
    older, newer = await issue(uow), await issue(uow)
    with pytest.raises(IdentityError) as refused:
        await begin(uow, older)
    assert refused.value.refusal is Refusal.EXPIRED_LINK
    assert await begin(uow, newer)


async def test_only_its_owner_uses_a_link_and_another_user_uses_nothing_up() -> None:
    uow = FakeUnitOfWork()
    token = await issue(uow, telegram_user_id=42)
    await issue(uow, telegram_user_id=7)
    with pytest.raises(IdentityError) as refused:
        await begin(uow, token, telegram_user_id=7)
    assert refused.value.refusal is Refusal.EXPIRED_LINK
    assert await begin(uow, token, telegram_user_id=42)  # still there for its owner


async def test_a_link_works_once() -> None:
    uow = FakeUnitOfWork()
    token = await issue(uow)
    await begin(uow, token)
    with pytest.raises(IdentityError):
        await begin(uow, token)


async def test_a_link_works_for_as_long_as_the_settings_say() -> None:
    uow = FakeUnitOfWork()
    three_minutes = replace(LIMITS, login_link=timedelta(minutes=3))
    token = await issue(uow, limits=three_minutes)
    assert await account_for_link(uow=uow, token=token, now=NOW + timedelta(minutes=2))
    with pytest.raises(IdentityError) as refused:
        await account_for_link(uow=uow, token=token, now=NOW + timedelta(minutes=3))
    assert refused.value.refusal is Refusal.EXPIRED_LINK


def test_no_setting_makes_a_login_link_live_longer_than_ten_minutes() -> None:
    with pytest.raises(ValueError, match="at most 10 minutes"):
        replace(LIMITS, login_link=timedelta(minutes=11))


async def test_the_flow_and_the_replay_memory_follow_the_flow_limit() -> None:
    uow = FakeUnitOfWork()
    session = await begin(uow, await issue(uow))
    flow = uow.login_flows.rows[digest(session)]
    assert flow.expires_at == NOW + timedelta(minutes=1) + LIMITS.login_flow
    longer = replace(LIMITS, login_flow=timedelta(minutes=30))
    assert replay_horizon(ANNA, now=NOW, limits=longer) == NOW + timedelta(minutes=30)


async def test_the_browsers_flow_keeps_the_providers_state_and_is_taken_once() -> None:
    uow = FakeUnitOfWork()
    session = await begin(uow, await issue(uow))
    assert list(uow.login_flows.rows) == [digest(session)]
    flow = await take_login_flow(uow=uow, session=session, now=NOW + timedelta(minutes=2))
    assert (flow.telegram_user_id, flow.provider, flow.flow_state) == (42, "latvija", {"wctx": "w"})
    with pytest.raises(IdentityError) as refused:
        await take_login_flow(uow=uow, session=session, now=NOW + timedelta(minutes=2))
    assert refused.value.refusal is Refusal.STATE_MISMATCH


async def test_linking_a_person_records_an_activity_event() -> None:
    uow = FakeUnitOfWork()
    result = await linked(uow)
    assert result.person.full_name == "Anna Bērziņa"  # Latvija.lv's upper-case surname tidied
    assert result.account.person_id == result.person.id and result.account.linked_at == NOW
    event = uow.activity.events[-1]
    assert (event.action, event.person_id, event.telegram_user_id) == (Action.LINKED, 1, 42)
    assert event.details == {
        "provider": "latvija",
        "authentication_method": "urn:ivis:100001:am-swedbank",
        "assurance_level": "3",
    }  # how, never who: no code, no name
    stored = await uow.accounts.get(42)
    assert stored is not None and stored.person_id == result.person.id


async def test_linking_from_another_account_ends_the_older_link() -> None:
    uow = FakeUnitOfWork()
    first = await linked(uow, telegram_user_id=42)
    second = await linked(uow, telegram_user_id=7, who=identity(assertion_id="assertion-2"))
    assert second.person.id == first.person.id
    assert second.replaced_telegram_user_id == 42
    old = await uow.accounts.get(42)
    assert old is not None and old.person_id is None and old.current_client_id is None
    unlinked = [e for e in uow.activity.events if e.action is Action.UNLINKED]
    assert [(e.telegram_user_id, e.details) for e in unlinked] == [
        (42, {"reason": "linked elsewhere"})
    ]


async def test_a_replayed_assertion_is_refused_and_links_nothing() -> None:
    uow = FakeUnitOfWork()
    await linked(uow, telegram_user_id=42)
    before = list(uow.activity.events)
    with pytest.raises(IdentityError) as refused:
        await linked(uow, telegram_user_id=7)  # the same assertion id again
    assert refused.value.refusal is Refusal.REPLAYED
    account = await uow.accounts.get(7)
    assert account is not None and account.person_id is None
    assert [e.action for e in uow.activity.events[len(before) :]] == [Action.ACCOUNT_CREATED]


async def test_only_natural_persons_are_linked() -> None:
    uow = FakeUnitOfWork()
    signatory = identity(subject=f"PK:{ANNA_CODE}-UR:40103999940")
    with pytest.raises(IdentityError) as refused:
        await linked(uow, who=signatory)
    assert refused.value.refusal is Refusal.NOT_NATURAL_PERSON
    assert uow.persons.rows == {}


async def test_a_person_whose_code_changed_is_found_by_the_earlier_one() -> None:
    uow = FakeUnitOfWork()
    first = await linked(uow)
    new_code = "32058412349"
    renamed = identity(
        subject=f"PK:{new_code}", personal_codes=(new_code, ANNA_CODE), assertion_id="a-2"
    )
    again = await linked(uow, who=renamed)
    assert again.person.id == first.person.id
    assert again.person.personal_code == new_code
    assert (await uow.persons.find_by_code(ANNA_CODE)) == again.person


async def test_logging_out_unlinks_at_once_and_records_it() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    person = await unlink(uow=uow, telegram_user_id=42)
    assert person is not None and person.full_name == "Anna Bērziņa"
    assert await linked_person(uow=uow, telegram_user_id=42) is None
    assert uow.activity.events[-1].action is Action.UNLINKED
    assert uow.activity.events[-1].details == {"reason": "logout"}
    assert await unlink(uow=uow, telegram_user_id=42) is None  # twice changes nothing


async def test_use_cases_leave_the_commit_to_their_caller() -> None:
    uow = FakeUnitOfWork()
    session = await begin(uow, await issue(uow))
    await take_login_flow(uow=uow, session=session, now=NOW)
    await link_person(uow=uow, telegram_user_id=42, identity=ANNA, now=NOW, limits=LIMITS)
    assert not uow.committed
