"""«Profils» through the use cases: a phone normalized and logged; a new e-mail waits for its
link (only the token's hash kept), confirms once and not after it expired; «Klienta
informācija» names only active main users and needs a current client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import FakeUnitOfWork
from service_support import LIMITS, NOW, client_of, linked

from portal import profile, tokens
from portal.clients import choose_client
from portal.model import Action, ConfirmationExpired, Invalid, NoClientChosen


async def test_phone_and_email_change_with_the_email_confirmed_once() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    with pytest.raises(Invalid):
        await profile.change_phone(uow=uow, telegram_user_id=42, phone="12", now=NOW)
    assert await profile.change_phone(uow=uow, telegram_user_id=42, phone="2000 0001", now=NOW) == (
        "+37120000001"
    )
    email, link = await profile.request_email(
        uow=uow, telegram_user_id=42, email="Anna@Ozolkalns.LV", now=NOW, limits=LIMITS
    )
    assert email == "Anna@ozolkalns.lv" and link.expires_at == NOW + LIMITS.confirmation
    assert link.token not in uow.person_contacts.tokens  # only its hash
    assert tokens.digest(link.token) in uow.person_contacts.tokens
    shown = await profile.profile(uow=uow, telegram_user_id=42)
    assert (shown.contacts.email, shown.contacts.pending_email) == (None, "Anna@ozolkalns.lv")

    confirmed = await profile.confirm_email(uow=uow, token=link.token, now=NOW)
    assert (confirmed.email, confirmed.telegram_user_id) == ("Anna@ozolkalns.lv", 42)
    with pytest.raises(ConfirmationExpired):
        await profile.confirm_email(uow=uow, token=link.token, now=NOW)
    shown = await profile.profile(uow=uow, telegram_user_id=42)
    assert (shown.contacts.email, shown.contacts.phone) == ("Anna@ozolkalns.lv", "+37120000001")
    assert uow.activity.actions()[-3:] == [
        Action.PHONE_CHANGED,
        Action.EMAIL_REQUESTED,
        Action.EMAIL_CONFIRMED,
    ]


async def test_an_expired_or_replaced_link_confirms_nothing() -> None:
    uow = FakeUnitOfWork()
    await linked(uow)
    _, old = await profile.request_email(
        uow=uow, telegram_user_id=42, email="a@example.lv", now=NOW, limits=LIMITS
    )
    _, new = await profile.request_email(
        uow=uow, telegram_user_id=42, email="b@example.lv", now=NOW, limits=LIMITS
    )
    with pytest.raises(ConfirmationExpired):  # replaced by the newer request
        await profile.confirm_email(uow=uow, token=old.token, now=NOW)
    with pytest.raises(ConfirmationExpired):
        await profile.confirm_email(
            uow=uow, token=new.token, now=NOW + LIMITS.confirmation + timedelta(seconds=1)
        )
    assert (await profile.profile(uow=uow, telegram_user_id=42)).contacts.email is None


async def test_client_information_needs_a_current_client() -> None:
    uow = FakeUnitOfWork()
    anna = (await linked(uow)).person
    with pytest.raises(NoClientChosen):
        await profile.client_information(uow=uow, telegram_user_id=42)
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    await choose_client(uow=uow, telegram_user_id=42, client_id=client_id)
    info = await profile.client_information(uow=uow, telegram_user_id=42)
    assert info.client.name == "Ozolkalna Koks" and info.consultant is None
    assert [u.person_id for u in info.main_users] == [anna.id]
