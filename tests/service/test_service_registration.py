"""Registering a client through the use cases alone: drafts built by the portal's steps (no
dialog), submitted, confirmed. In memory, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fakes import FakeUnitOfWork
from service_support import (
    LIMITS,
    NOW,
    REGCODE,
    board_member,
    company,
    company_draft,
    finish,
    linked,
    submitted,
)

from portal import registration as steps
from portal import voice_password
from portal.model import (
    Action,
    AlreadyRegistered,
    ClientKind,
    ConfirmationExpired,
    Detail,
    InvalidDetail,
    Refused,
    RegistrationRefused,
    RegistrationStatus,
    Role,
)
from portal.registration import check_company, confirm
from portal.tokens import digest


async def test_a_signatory_submits_a_company_and_gets_a_confirmation_link() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    pending, token = await submitted(uow, await company_draft(uow, person))
    assert pending.client.name == 'SIA "Ozolkalna Koks"'
    assert (pending.client.email, pending.client.phone) == ("Birojs@example.lv", "+37120000000")
    assert pending.client.representation_rule == "individually"
    assert pending.expires_at == NOW + timedelta(hours=24)
    assert [r.pending.token_hash for r in uow.registrations.rows.values()] == [digest(token)]
    event = uow.activity.events[-1]
    assert (event.action, event.details) == (
        Action.REGISTRATION_SUBMITTED,
        {"registration": 1, "kind": "legal_entity"},
    )
    assert not uow.committed


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"registration_number": "40103999941"}, Detail.REGISTRATION_NUMBER),
        ({"email": "birojs@"}, Detail.EMAIL),
        ({"email": None}, Detail.EMAIL),
        ({"phone": "+371 3000000"}, Detail.PHONE),
        ({"voice_password_hash": "Ozols2026"}, Detail.VOICE_PASSWORD),
        ({"terms_version": "2025-01-01"}, Detail.TERMS),
        ({"terms_accepted_at": "yesterday"}, Detail.TERMS),
    ],
)
async def test_submit_refuses_a_draft_the_steps_would_refuse(
    change: dict[str, object], detail: Detail
) -> None:
    """The draft here comes from no dialog: built by hand, as a stale or tampered
    conversation state could hold it. The server refuses it as the steps would have."""
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    draft = replace(await company_draft(uow, person), **change)  # type: ignore[arg-type]
    with pytest.raises(RegistrationRefused) as refused:
        await submitted(uow, draft)
    assert (refused.value.reason, refused.value.detail) == (Refused.INCOMPLETE, detail)
    assert uow.registrations.rows == {}
    assert uow.activity.events[-1].action is not Action.REGISTRATION_SUBMITTED


async def test_a_natural_persons_address_is_checked_as_its_step_checks_it() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    with pytest.raises(InvalidDetail):
        steps.with_address(steps.start_draft(ClientKind.NATURAL_PERSON, person), "Rīga")
    short = replace(finish(steps.start_draft(ClientKind.NATURAL_PERSON, person)), address="Rīga")
    with pytest.raises(RegistrationRefused) as refused:
        await submitted(uow, short)
    assert refused.value.detail is Detail.ADDRESS


async def test_a_natural_person_registers_themself() -> None:
    uow = FakeUnitOfWork()
    person = (await linked(uow)).person
    draft = steps.with_address(
        steps.start_draft(ClientKind.NATURAL_PERSON, person), " Brīvības  iela 1, Rīga "
    )
    pending, _token = await submitted(uow, finish(draft))
    assert (pending.client.kind, pending.client.name) == (ClientKind.NATURAL_PERSON, "Anna Bērziņa")
    assert (pending.client.personal_code, pending.client.address) == (
        person.personal_code,
        "Brīvības iela 1, Rīga",
    )


async def test_submit_checks_the_company_in_the_register_again() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    draft = await company_draft(uow, person)
    uow.company_register.entries[REGCODE] = company(closed="L")  # liquidated meanwhile
    with pytest.raises(RegistrationRefused) as refused:
        await submitted(uow, draft)
    assert refused.value.reason is Refused.CLOSED_COMPANY


async def test_only_a_signatory_may_register_a_company() -> None:
    uow = FakeUnitOfWork(company(board_member("Kalniņš Jānis", "010170-*****")))
    person = (await linked(uow)).person
    with pytest.raises(RegistrationRefused) as refused:
        await check_company(uow=uow, person=person, registration_number=REGCODE)
    assert refused.value.reason is Refused.NOT_SIGNATORY


async def test_a_voice_password_holding_the_persons_name_or_code_is_refused() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    for personal in ("Bērziņa2026", "x120584y"):
        with pytest.raises(InvalidDetail) as refused:
            await steps.hash_voice_password(uow=uow, telegram_user_id=42, password=personal)
        assert refused.value.weaknesses == (voice_password.Weakness.PERSONAL,)
    hashed = await steps.hash_voice_password(uow=uow, telegram_user_id=42, password="Ozols2026")
    assert voice_password.is_hash(hashed) and voice_password.verify_password("Ozols2026", hashed)


async def test_confirming_makes_the_registrant_the_clients_main_user() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    _pending, token = await submitted(uow, await company_draft(uow, person))
    confirmed = await confirm(uow=uow, token=token, now=NOW + timedelta(hours=1))
    access = await uow.clients.access(person.id, confirmed.client_id)
    assert access is not None and (access.role, access.is_signatory) == (Role.MAIN, True)
    account = await uow.accounts.get(42)
    assert account is not None and account.current_client_id == confirmed.client_id
    assert uow.activity.actions()[-2:] == [Action.REGISTERED, Action.CONFIRMED]
    # A company's registration is kept, waiting for ALTUM's review (portal.review).
    (row,) = uow.registrations.rows.values()
    assert (row.status, row.client_id) == (RegistrationStatus.AWAITING_REVIEW, confirmed.client_id)
    assert confirmed.awaiting_review and access.awaiting_review
    with pytest.raises(ConfirmationExpired):  # a link confirms once
        await confirm(uow=uow, token=token, now=NOW + timedelta(hours=1))


async def test_a_confirmation_link_expires_when_the_settings_say() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    two_hours = replace(LIMITS, confirmation=timedelta(hours=2))
    pending, token = await submitted(uow, await company_draft(uow, person), two_hours)
    assert pending.expires_at == NOW + timedelta(hours=2)
    with pytest.raises(ConfirmationExpired):
        await confirm(uow=uow, token=token, now=NOW + timedelta(hours=2))
    assert uow.clients.rows == {}


async def test_a_company_registered_meanwhile_is_not_registered_twice() -> None:
    uow = FakeUnitOfWork(company())
    person = (await linked(uow)).person
    _first, token = await submitted(uow, await company_draft(uow, person))
    _second, other = await submitted(uow, await company_draft(uow, person))
    await confirm(uow=uow, token=token, now=NOW)
    with pytest.raises(AlreadyRegistered):
        await confirm(uow=uow, token=other, now=NOW)
    with pytest.raises(RegistrationRefused) as refused:
        await check_company(uow=uow, person=person, registration_number=REGCODE)
    assert refused.value.reason is Refused.ALREADY_REGISTERED
