"""Linking a Telegram account to a natural person through a one-time link and a provider.

The link (≥128 random bits, only its hash stored, ≤10 minutes, once) is bound to the
Telegram user who asked, and only that user can use it: the web side proves who opened it
with the Mini App's signed `initData` (`portal.miniapp`) before calling `begin_login`.
Using it starts a provider flow bound to that browser by a cookie; the provider's answer
links the person. One person, one Telegram account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal import feed
from portal.accounts import ensure_account
from portal.identity import IdentityError, NaturalPerson, ProviderIdentity, Refusal, natural_person
from portal.model import (
    Action,
    ActivityEvent,
    EventType,
    IssuedLink,
    LinkResult,
    LoginFlowRecord,
    PersonRecord,
    TelegramAccount,
    TimeLimits,
)
from portal.ports import UnitOfWork
from portal.tokens import digest, new_secret


async def issue_login_link(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    first_name: str,
    username: str | None,
    now: datetime,
    limits: TimeLimits,
    language_code: str | None = None,
) -> IssuedLink:
    """A fresh one-time link for this Telegram user; older unused ones stop working."""
    await ensure_account(
        uow=uow,
        telegram_user_id=telegram_user_id,
        first_name=first_name,
        username=username,
        language_code=language_code,
    )
    await uow.login_links.revoke_unused(telegram_user_id, now=now)
    token = new_secret()
    link = IssuedLink(token=token, expires_at=now + limits.login_link)
    await uow.login_links.add(
        token_hash=digest(token),
        telegram_user_id=telegram_user_id,
        created_at=now,
        expires_at=link.expires_at,
    )
    await uow.activity.record(
        ActivityEvent(action=Action.LOGIN_LINK_ISSUED, telegram_user_id=telegram_user_id)
    )
    return link


async def account_for_link(*, uow: UnitOfWork, token: str, now: datetime) -> TelegramAccount:
    """The account a still-valid link was issued for; uses nothing up."""
    telegram_user_id = await uow.login_links.peek(digest(token), now=now)
    account = None if telegram_user_id is None else await uow.accounts.get(telegram_user_id)
    if account is None:
        raise IdentityError(Refusal.EXPIRED_LINK)
    return account


async def begin_login(
    *,
    uow: UnitOfWork,
    token: str,
    telegram_user_id: int,
    provider: str,
    flow_state: dict[str, Any],
    now: datetime,
    limits: TimeLimits,
) -> tuple[TelegramAccount, str]:
    """Use up the link of `telegram_user_id` (the user Telegram vouched for) and open a
    provider flow; returns the browser's session secret. Someone else's link stays unused."""
    account = await uow.accounts.get(telegram_user_id)
    used = await uow.login_links.consume(digest(token), telegram_user_id=telegram_user_id, now=now)
    if account is None or not used:
        raise IdentityError(Refusal.EXPIRED_LINK)
    session = new_secret()
    await uow.login_flows.add(
        LoginFlowRecord(
            session_hash=digest(session),
            telegram_user_id=account.telegram_user_id,
            provider=provider,
            flow_state=dict(flow_state),
            created_at=now,
            expires_at=now + limits.login_flow,
        )
    )
    return account, session


async def take_login_flow(*, uow: UnitOfWork, session: str, now: datetime) -> LoginFlowRecord:
    """The browser's flow, used up: a callback is accepted once."""
    flow = await uow.login_flows.consume(digest(session), now=now)
    if flow is None:
        raise IdentityError(Refusal.STATE_MISMATCH, "no login flow for this browser")
    return flow


async def link_person(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    identity: ProviderIdentity,
    now: datetime,
    limits: TimeLimits,
) -> LinkResult:
    """Accept a natural person's identity and link it to the Telegram account.

    A person has one Telegram account at a time: linking here ends an older link (whose
    chat the caller tells). Raises `IdentityError` for everything not accepted.
    """
    person = natural_person(identity)
    if identity.assertion_id is not None and not await uow.used_assertions.first_use(
        digest(identity.assertion_id),
        expires_at=replay_horizon(identity, now=now, limits=limits),
        now=now,
    ):
        raise IdentityError(Refusal.REPLAYED)
    account = await uow.accounts.get(telegram_user_id)
    if account is None:
        raise IdentityError(Refusal.EXPIRED_LINK, "account vanished")
    record = await _save_person(uow, person)
    replaced: int | None = None
    holder = await uow.accounts.find_by_person(record.id)
    if holder is not None and holder.telegram_user_id != telegram_user_id:
        replaced = holder.telegram_user_id
        holder.person_id, holder.current_client_id, holder.linked_at = None, None, None
        await uow.accounts.save(holder)
        await _record(uow, Action.UNLINKED, record.id, replaced, {"reason": "linked elsewhere"})
    previous = account.person_id if account.person_id != record.id else None
    if previous is not None:
        await _record(uow, Action.UNLINKED, previous, telegram_user_id, {"reason": "relinked"})
    if account.person_id != record.id:
        account.current_client_id = None
    account.person_id, account.linked_at = record.id, now
    await uow.accounts.save(account)
    await _record(uow, Action.LINKED, record.id, telegram_user_id, login_details(identity))
    for user in await uow.client_users.of_person(record.id):
        if user.status == "active":
            await feed.publish(
                uow=uow,
                type=EventType.USER_LINKED,
                now=now,
                client_id=user.client_id,
                user_id=user.id,
            )
    return LinkResult(account=account, person=record, replaced_telegram_user_id=replaced)


def login_details(identity: ProviderIdentity) -> dict[str, str]:
    """How the person logged in, for the activity log: never who (no code, no name)."""
    details = {"provider": identity.provider}
    if identity.authentication_method:
        details["authentication_method"] = identity.authentication_method
    if identity.assurance_level:
        details["assurance_level"] = identity.assurance_level
    return details


def replay_horizon(identity: ProviderIdentity, *, now: datetime, limits: TimeLimits) -> datetime:
    """Until when a used assertion id must be remembered: as long as the provider's verifier
    would still accept the assertion (its validity end plus the verifier's clock skew), and
    never less than a login flow lives."""
    floor = now + limits.login_flow + identity.clock_skew
    if identity.valid_until is None:
        return floor
    return max(identity.valid_until + identity.clock_skew, floor)


async def unlink(*, uow: UnitOfWork, telegram_user_id: int) -> PersonRecord | None:
    """/logout: the chat forgets the person at once. Returns who was linked, if anyone."""
    account = await uow.accounts.get(telegram_user_id)
    if account is None or account.person_id is None:
        return None
    person = await uow.persons.get(account.person_id)
    person_id = account.person_id
    account.person_id, account.current_client_id, account.linked_at = None, None, None
    await uow.accounts.save(account)
    await _record(uow, Action.UNLINKED, person_id, telegram_user_id, {"reason": "logout"})
    return person


async def linked_person(*, uow: UnitOfWork, telegram_user_id: int) -> PersonRecord | None:
    account = await uow.accounts.get(telegram_user_id)
    if account is None or account.person_id is None:
        return None
    return await uow.persons.get(account.person_id)


async def purge_expired(*, uow: UnitOfWork, now: datetime) -> int:
    return await uow.login_links.purge(now=now) + await uow.login_flows.purge(now=now)


async def _save_person(uow: UnitOfWork, person: NaturalPerson) -> PersonRecord:
    existing = await uow.persons.find_by_code(person.personal_code)
    for code in person.previous_codes:
        if existing is not None:
            break
        existing = await uow.persons.find_by_code(code)
    person_id = await uow.persons.save(person, person_id=existing.id if existing else None)
    return PersonRecord(
        id=person_id,
        personal_code=person.personal_code,
        given_name=person.given_name,
        family_name=person.family_name,
    )


async def _record(
    uow: UnitOfWork,
    action: Action,
    person_id: int,
    telegram_user_id: int,
    details: dict[str, Any],
) -> None:
    """One event without a client, and one in the log of each client the person acts for."""
    clients = [access.client_id for access in await uow.clients.accessible(person_id)]
    for client_id in (None, *clients):
        await uow.activity.record(
            ActivityEvent(
                action=action,
                telegram_user_id=telegram_user_id,
                person_id=person_id,
                client_id=client_id,
                details=details,
            )
        )
