"""ALTUM's review of registrations through the use cases alone: a confirmed company
registration waits, nothing is signed until ALTUM approves, a rejection is told and deletes
the client, and an impostor who registered first locks no real signatory out. In memory,
no database; the notifier keeps what the chat would be told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import (
    ANNA,
    ANNA_CODE,
    LIMITS,
    NOW,
    REGCODE,
    company,
    company_draft,
    identity,
    linked,
    submitted,
)

from portal import registration as steps
from portal.identity import ProviderIdentity
from portal.model import (
    Action,
    AwaitingReview,
    Conflict,
    EventType,
    Refused,
    RegistrationApproved,
    RegistrationRefused,
    RegistrationRejected,
    RegistrationStatus,
    RejectionReason,
)
from portal.registration import check_company, confirm, submit
from portal.review import approve, ensure_may_sign, reject

ACTOR = "api:crm"
LATER = NOW + timedelta(hours=1)
# Another "Anna Bērziņa" whose code starts with the same six digits: the register's masked
# code ("120584-*****") cannot tell the two apart.
OTHER_CODE = "12058400006"
OTHER_ANNA = identity(
    subject=f"PK:{OTHER_CODE}", personal_codes=(OTHER_CODE,), assertion_id="assertion-2"
)


async def registered(
    uow: FakeUnitOfWork,
    telegram_user_id: int = 42,
    who: ProviderIdentity = ANNA,
    email: str = "birojs@example.lv",
) -> tuple[int, int]:
    """A company registered by this chat's person and its e-mail link opened: the client's id
    and the registration's."""
    person = (await linked(uow, telegram_user_id, who)).person
    draft = steps.with_email(await company_draft(uow, person), email)
    _pending, token = await submit(
        uow=uow, telegram_user_id=telegram_user_id, draft=draft, now=NOW, limits=LIMITS
    )
    confirmed = await confirm(uow=uow, token=token, now=LATER)
    (mine,) = [
        r
        for r in await uow.registrations.of_client(confirmed.client_id)
        if r.person_id == person.id
    ]
    return confirmed.client_id, mine.id


async def approved(uow: FakeUnitOfWork, notifier: FakeNotifier, registration_id: int) -> None:
    await approve(
        uow=uow, notifier=notifier, registration_id=registration_id, actor=ACTOR, now=LATER
    )


async def test_a_confirmed_company_registration_waits_and_nothing_is_signed_until_approved() -> (
    None
):
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    client_id, registration_id = await registered(uow)
    record = await uow.registrations.get(registration_id)
    assert record is not None and record.status is RegistrationStatus.AWAITING_REVIEW
    with pytest.raises(AwaitingReview):
        await ensure_may_sign(uow=uow, telegram_user_id=42, client_id=client_id)
    access = await uow.clients.access(record.person_id, client_id)
    assert access is not None and access.awaiting_review  # the menu says so

    approved = await approve(
        uow=uow, notifier=notifier, registration_id=registration_id, actor=ACTOR, now=LATER
    )
    assert (approved.status, approved.reviewed_at) == (RegistrationStatus.APPROVED, LATER)
    await ensure_may_sign(uow=uow, telegram_user_id=42, client_id=client_id)  # no refusal now
    assert notifier.notices == [
        RegistrationApproved(telegram_user_id=42, client_name='SIA "Ozolkalna Koks"')
    ]
    event = uow.activity.events[-1]
    assert (event.action, event.actor, event.client_id) == (
        Action.REGISTRATION_APPROVED,
        ACTOR,
        client_id,
    )


async def test_approving_again_tells_and_records_nothing_more() -> None:
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    _client_id, registration_id = await registered(uow)
    await approve(
        uow=uow, notifier=notifier, registration_id=registration_id, actor=ACTOR, now=LATER
    )
    events = len(uow.activity.events)
    await approve(
        uow=uow, notifier=notifier, registration_id=registration_id, actor=ACTOR, now=LATER
    )
    assert (len(notifier.notices), len(uow.activity.events)) == (1, events)


async def test_a_registration_whose_link_was_not_opened_cannot_be_approved() -> None:
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    person = (await linked(uow)).person
    await submitted(uow, await company_draft(uow, person))
    with pytest.raises(Conflict) as refused:
        await approve(uow=uow, notifier=notifier, registration_id=1, actor=ACTOR, now=LATER)
    assert refused.value.code == "not_confirmed"
    assert notifier.notices == []


async def test_rejecting_the_only_registration_deletes_the_client_and_says_why() -> None:
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    client_id, registration_id = await registered(uow)
    await reject(
        uow=uow,
        notifier=notifier,
        registration_id=registration_id,
        reason=RejectionReason.NOT_SIGNATORY,
        comment="  " + "x" * 600,
        actor=ACTOR,
        now=LATER,
    )
    assert await uow.clients.get(client_id) is None
    assert uow.clients.memberships == [] and uow.registrations.rows == {}
    account = await uow.accounts.get(42)
    assert account is not None and account.current_client_id is None
    (notice,) = notifier.notices
    assert isinstance(notice, RegistrationRejected)
    assert (notice.telegram_user_id, notice.reason) == (42, RejectionReason.NOT_SIGNATORY)
    assert notice.comment == "x" * 500
    event = uow.activity.events[-1]
    assert (event.action, event.client_id, event.details["client_deleted"]) == (
        Action.REGISTRATION_REJECTED,
        None,
        True,
    )


async def test_an_impostor_who_registered_first_locks_no_real_signatory_out() -> None:
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    client_id, impostors = await registered(
        uow, telegram_user_id=43, who=OTHER_ANNA, email="impostor@example.lv"
    )
    # The real signatory may still register the company while nothing is approved...
    same_client, annas = await registered(uow, telegram_user_id=42)
    assert same_client == client_id
    anna, impostor = (
        await uow.persons.find_by_code(ANNA_CODE),
        await uow.persons.find_by_code(OTHER_CODE),
    )
    assert anna is not None and impostor is not None
    users = await uow.client_users.of_client(client_id)
    assert [(u.person_id, u.role) for u in users] == [(impostor.id, "main"), (anna.id, "main")]
    # ... ALTUM rejects the impostor alone: the client stays, with Anna's details.
    await reject(
        uow=uow,
        notifier=notifier,
        registration_id=impostors,
        reason=RejectionReason.IDENTITY_NOT_CONFIRMED,
        comment=None,
        actor=ACTOR,
        now=LATER,
    )
    assert [u.person_id for u in await uow.client_users.of_client(client_id)] == [anna.id]
    assert [r.id for r in await uow.registrations.of_client(client_id)] == [annas]
    client = await uow.clients.get(client_id)
    assert client is not None and client.email == "birojs@example.lv"
    await approved(uow, notifier, annas)
    await ensure_may_sign(uow=uow, telegram_user_id=42, client_id=client_id)
    assert [type(n) for n in notifier.notices] == [RegistrationRejected, RegistrationApproved]
    # Once one is approved, nobody else may register it.
    with pytest.raises(RegistrationRefused) as refused:
        await check_company(uow=uow, person=impostor, registration_number=REGCODE)
    assert refused.value.reason is Refused.ALREADY_REGISTERED


async def test_an_approved_registration_cannot_be_rejected() -> None:
    uow, notifier = FakeUnitOfWork(company()), FakeNotifier()
    client_id, registration_id = await registered(uow)
    await approve(
        uow=uow, notifier=notifier, registration_id=registration_id, actor=ACTOR, now=LATER
    )
    with pytest.raises(Conflict) as refused:
        await reject(
            uow=uow,
            notifier=notifier,
            registration_id=registration_id,
            reason=RejectionReason.OTHER,
            comment=None,
            actor=ACTOR,
            now=LATER,
        )
    assert refused.value.code == "approved"
    assert await uow.clients.get(client_id) is not None


async def test_with_review_off_a_company_registration_may_sign_at_once() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    _pending, token = await submitted(uow, await company_draft(uow, person))
    confirmed = await confirm(uow=uow, token=token, now=LATER, review_required=False)
    assert not confirmed.awaiting_review
    (record,) = await uow.registrations.of_client(confirmed.client_id)
    assert record.status is RegistrationStatus.CONFIRMED
    await ensure_may_sign(uow=uow, telegram_user_id=42, client_id=confirmed.client_id)


async def test_submitting_and_confirming_feed_events_get_positions_at_commit() -> None:
    uow = FakeUnitOfWork(company())
    client_id, registration_id = await registered(uow)
    assert uow.feed.events == []  # nothing is visible before the transaction commits
    await uow.commit()
    assert [(e.position, e.type, e.data) for e in uow.feed.events] == [
        (1, EventType.CLIENT_REGISTERED, {"registration_id": registration_id}),
        (2, EventType.CLIENT_CONFIRMED, {"registration_id": registration_id}),
    ]
    assert uow.feed.events[1].client_id == client_id
