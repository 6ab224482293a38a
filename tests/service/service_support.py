"""What the service-layer tests share: a moment, a person as a provider asserts them, a
company in the register, and short ways to reach a state through the use cases (a linked
chat, a client, a registration draft built by the portal's own steps)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes import FakeUnitOfWork

from portal import registration as steps
from portal import voice_password
from portal.accounts import ensure_account
from portal.company_register import Officer, RegisterEntry
from portal.identity import ProviderIdentity
from portal.linking import link_person
from portal.model import (
    ClientKind,
    LinkResult,
    NewClient,
    PendingRegistration,
    PersonRecord,
    RegistrationDraft,
    Role,
    TimeLimits,
)
from portal.registration import check_company, submit

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# As the settings' defaults are; tests that are about a limit make their own.
LIMITS = TimeLimits(
    login_link=timedelta(minutes=10),
    login_flow=timedelta(minutes=10),
    confirmation=timedelta(hours=24),
)
ANNA_CODE = "12058412349"
ANNA = ProviderIdentity(
    provider="latvija",
    subject=f"PK:{ANNA_CODE}",
    personal_codes=(ANNA_CODE,),
    given_name="Anna",
    family_name="BĒRZIŅA",
    authentication_method="urn:ivis:100001:am-swedbank",
    assurance_level="3",
    assertion_id="assertion-1",
)
REGCODE = "40103999940"


def identity(**changes: Any) -> ProviderIdentity:
    return replace(ANNA, **changes)


def company(*officers: Officer, regcode: str = REGCODE, **changes: Any) -> RegisterEntry:
    entry = RegisterEntry(
        regcode=regcode,
        name='SIA "Ozolkalna Koks"',
        legal_form="SIA",
        legal_form_text="Sabiedrība ar ierobežotu atbildību",
        address="Ozolu iela 1, Rīga, LV-1010",
        registered=None,
        terminated=None,
        closed=None,
        officers=officers or (board_member("Bērziņa Anna", "120584-*****"),),
    )
    return replace(entry, **changes)


def board_member(name: str, code_masked: str, rights: str = "INDIVIDUALLY") -> Officer:
    return Officer(
        name=name,
        code_masked=code_masked,
        position="BOARD_MEMBER",
        governing_body="EXECUTIVE_BOARD",
        representation_type=rights,
        representation_with_at_least=None,
    )


async def linked(
    uow: FakeUnitOfWork, telegram_user_id: int = 42, who: ProviderIdentity = ANNA
) -> LinkResult:
    """A chat linked to a person, as the login's callback leaves it."""
    await ensure_account(
        uow=uow, telegram_user_id=telegram_user_id, first_name="Anna", username=None
    )
    return await link_person(
        uow=uow, telegram_user_id=telegram_user_id, identity=who, now=NOW, limits=LIMITS
    )


async def client_of(
    uow: FakeUnitOfWork, person_id: int, name: str, *, role: Role = Role.MAIN
) -> int:
    """A client the person acts for."""
    client_id = await uow.clients.create(
        NewClient(
            kind=ClientKind.LEGAL_ENTITY,
            name=name,
            registration_number=None,
            personal_code=None,
            legal_form="SIA",
            address=None,
            email="birojs@example.lv",
            phone="+37120000000",
            representation_rule="individually",
            representation_with_at_least=None,
            voice_password_hash="-",
            terms_version="-",
            terms_accepted_at=NOW,
        )
    )
    await uow.clients.add_membership(
        person_id=person_id, client_id=client_id, role=role, is_signatory=role is Role.MAIN
    )
    return client_id


HASH = voice_password.hash_password("Ozols2026")  # once: scrypt takes a tenth of a second


async def company_draft(uow: FakeUnitOfWork, person: PersonRecord) -> RegistrationDraft:
    """What the dialog's steps leave in the conversation for a company, step by step."""
    draft = steps.start_draft(ClientKind.LEGAL_ENTITY, person)
    draft = steps.with_registration_number(draft, REGCODE)
    check = await check_company(uow=uow, person=person, registration_number=REGCODE)
    draft = steps.with_company(draft, check)
    return finish(draft)


def finish(draft: RegistrationDraft) -> RegistrationDraft:
    draft = steps.with_email(draft, "Birojs@Example.LV")
    draft = steps.with_phone(draft, "2000 0000")
    draft = replace(draft, voice_password_hash=HASH)
    return steps.accept_terms(draft, now=NOW - timedelta(minutes=1))


async def submitted(
    uow: FakeUnitOfWork, draft: RegistrationDraft, limits: TimeLimits = LIMITS
) -> tuple[PendingRegistration, str]:
    return await submit(uow=uow, telegram_user_id=42, draft=draft, now=NOW, limits=limits)
