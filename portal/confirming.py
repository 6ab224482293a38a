"""A signature needs a fresh identity confirmation (MANUAL-EN §13): «Parakstīt» gives the signer
a one-time link, like a bank's payment confirmation. Its page (a Mini App: only the signer's
Telegram account can open it) shows what is being signed — form, amount, account, the content
hash — and only then hands over to the identity provider; the signature is made when the
provider confirms the very person linked to the chat, within SIGNATURE_CONFIRMATION_MINUTES.
A phone left unlocked cannot sign: signing needs the person at the provider again.

The link binds the user, the application and the exact content: an edit meanwhile makes it
sign nothing (the content hash no longer matches).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from portal import applications as apps
from portal.application_pdf import Printing
from portal.forms import FormCatalogue
from portal.identity import IdentityError, ProviderIdentity, Refusal, natural_person
from portal.model import (
    OPEN,
    ApplicationNotFound,
    ApplicationRecord,
    Decision,
    LoginFlowRecord,
    MayNotSign,
    NotEditable,
    NotThePerson,
    SignatureConfirmation,
    TimeLimits,
)
from portal.ports import Notifier, UnitOfWork
from portal.review import ensure_may_sign
from portal.signing import Counts
from portal.tokens import digest, new_secret

PURPOSE = "sign"  # marks a provider flow that confirms a signature, not a login


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WhatIsSigned:
    """What the confirmation page shows before the provider."""

    client_name: str
    form_title_lv: str
    form_title_en: str
    application_id: int
    content_hash: str
    lines: tuple[tuple[str, str, str, str], ...]  # (label lv, label en, value lv, value en)
    submit: bool


async def request_confirmation(
    *,
    uow: UnitOfWork,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    content_hash_seen: str,
    submit: bool,
    now: datetime,
    minutes: int,
    counts: Counts,
) -> Issued:
    """«Parakstīt»: every check a signature makes, now (a non-signatory is refused at once);
    then a link to confirm the identity, valid `minutes`."""
    opened = await apps.open_application(
        uow=uow, forms=forms, telegram_user_id=telegram_user_id, application_id=application_id
    )
    application = opened.application
    if application.status not in OPEN or not opened.form.needs_signatures:
        raise NotEditable
    await ensure_may_sign(
        uow=uow, telegram_user_id=telegram_user_id, client_id=application.client_id
    )
    rule = await apps.signing_rule(uow=uow, client_id=application.client_id, counts=counts)
    if opened.person_id not in rule.rules:
        raise MayNotSign
    digest_now = apps.hash_of(opened)
    if len(content_hash_seen) < 16 or not digest_now.startswith(content_hash_seen):
        raise NotEditable
    if application.content_hash is not None and application.content_hash != digest_now:
        raise NotEditable
    token = new_secret()
    expires = now + timedelta(minutes=minutes)
    await uow.applications.add_confirmation(
        SignatureConfirmation(
            token_hash=digest(token),
            telegram_user_id=telegram_user_id,
            application_id=application.id,
            client_id=application.client_id,
            content_hash=digest_now,
            submit=submit,
            created_at=now,
            expires_at=expires,
        )
    )
    return Issued(token, expires)


async def _current(
    uow: UnitOfWork, confirmation: SignatureConfirmation
) -> ApplicationRecord | None:
    return await uow.applications.get(confirmation.client_id, confirmation.application_id)


async def what_is_signed(
    *, uow: UnitOfWork, forms: FormCatalogue, token: str, now: datetime
) -> tuple[SignatureConfirmation, WhatIsSigned]:
    """The page's content; raises `IdentityError(EXPIRED_LINK)` for a used, old or unknown link."""
    confirmation = await uow.applications.confirmation(digest(token), now=now)
    if confirmation is None:
        raise IdentityError(Refusal.EXPIRED_LINK)
    opened = await apps.open_application(
        uow=uow,
        forms=forms,
        telegram_user_id=confirmation.telegram_user_id,
        application_id=confirmation.application_id,
    )
    if apps.hash_of(opened) != confirmation.content_hash:
        raise IdentityError(Refusal.EXPIRED_LINK, "the content changed")
    return confirmation, WhatIsSigned(
        client_name=opened.access.name,
        form_title_lv=opened.form.title.lv,
        form_title_en=opened.form.title.en,
        application_id=opened.application.id,
        content_hash=confirmation.content_hash,
        lines=apps.summary_lines(opened),
        submit=confirmation.submit,
    )


async def begin_confirmation(
    *,
    uow: UnitOfWork,
    token: str,
    telegram_user_id: int,
    provider: str,
    flow_state: dict[str, Any],
    now: datetime,
    limits: TimeLimits,
) -> str:
    """Use up the link (only its own user) and open the provider's flow; the browser's secret."""
    confirmation = await uow.applications.use_confirmation(
        digest(token), telegram_user_id=telegram_user_id, now=now
    )
    if confirmation is None:
        raise IdentityError(Refusal.EXPIRED_LINK)
    session = new_secret()
    await uow.login_flows.add(
        LoginFlowRecord(
            session_hash=digest(session),
            telegram_user_id=telegram_user_id,
            provider=provider,
            flow_state={
                **flow_state,
                "purpose": PURPOSE,
                "application_id": confirmation.application_id,
                "client_id": confirmation.client_id,
                "content_hash": confirmation.content_hash,
                "submit": confirmation.submit,
            },
            created_at=now,
            expires_at=now + limits.login_flow,
        )
    )
    return session


def provider_state(flow: LoginFlowRecord) -> dict[str, Any]:
    """The provider's own part of a flow's state (ours taken out)."""
    ours = {"purpose", "application_id", "client_id", "content_hash", "submit"}
    return {k: v for k, v in flow.flow_state.items() if k not in ours}


def is_signature(flow: LoginFlowRecord) -> bool:
    return flow.flow_state.get("purpose") == PURPOSE


@dataclass(frozen=True, slots=True)
class Confirmed:
    state: apps.SigningState
    submitted: bool


async def confirm_signature(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    flow: LoginFlowRecord,
    identity: ProviderIdentity,
    now: datetime,
    counts: Counts,
    printing: Printing | None = None,
) -> Confirmed:
    """The provider confirmed someone: if it is the person linked to the chat, the signature
    binds the content the link was made for (and a sole signatory's form is submitted)."""
    person = natural_person(identity)
    user = flow.telegram_user_id
    linked = await uow.accounts.get(user)
    record = None
    if linked is not None and linked.person_id is not None:
        record = await uow.persons.get(linked.person_id)
    if record is None or record.personal_code != person.personal_code:
        raise NotThePerson
    application_id = int(flow.flow_state["application_id"])
    content = str(flow.flow_state["content_hash"])
    try:
        state = await apps.decide(
            uow=uow,
            notifier=notifier,
            forms=forms,
            telegram_user_id=user,
            application_id=application_id,
            content_hash_seen=content,
            decision=Decision.SIGNED,
            now=now,
            counts=counts,
        )
    except ApplicationNotFound:
        raise NotEditable from None
    submitted = False
    if flow.flow_state.get("submit") and state.met:
        _record, submitted = await apps.submit(
            uow=uow,
            notifier=notifier,
            forms=forms,
            telegram_user_id=user,
            application_id=application_id,
            now=now,
            counts=counts,
            printing=printing,
        )
    return Confirmed(replace(state), submitted)
