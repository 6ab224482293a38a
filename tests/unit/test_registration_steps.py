"""The registration's step rules, now in the portal: each step refuses what its rule refuses,
and `validated` (what `submit` runs) refuses the same answers on a whole draft."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal import registration as steps
from portal import voice_password
from portal.contacts import normalize_address
from portal.model import (
    ClientKind,
    Detail,
    InvalidDetail,
    PersonRecord,
    Refused,
    RegistrationDraft,
    RegistrationRefused,
)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ANNA = PersonRecord(id=1, personal_code="12058412345", given_name="Anna", family_name="Bērziņa")
# Made once: scrypt takes a tenth of a second.
HASH = voice_password.hash_password("Ozols2026")


def natural_draft() -> RegistrationDraft:
    draft = steps.start_draft(ClientKind.NATURAL_PERSON, ANNA)
    draft = steps.with_address(draft, "Brīvības iela 1, Rīga, LV-1010")
    draft = steps.with_email(draft, "anna@example.lv")
    draft = steps.with_phone(draft, "20000000")
    draft = replace(draft, voice_password_hash=HASH)
    return steps.accept_terms(draft, now=NOW - timedelta(minutes=2))


def legal_draft() -> RegistrationDraft:
    draft = steps.start_draft(ClientKind.LEGAL_ENTITY, ANNA)
    draft = steps.with_registration_number(draft, " 40103999940 ")
    return replace(natural_draft(), kind=draft.kind, registration_number=draft.registration_number)


def test_the_address_is_one_line_of_5_to_300_characters() -> None:
    assert normalize_address("  Brīvības   iela 1,\nRīga ") == "Brīvības iela 1, Rīga"
    assert normalize_address("a" * 5) == "a" * 5
    assert normalize_address("a" * 300) == "a" * 300
    assert normalize_address("a" * 4) is None
    assert normalize_address("a" * 301) is None
    with pytest.raises(InvalidDetail) as refused:
        steps.with_address(RegistrationDraft(), "Rīga")
    assert refused.value.detail is Detail.ADDRESS


def test_each_step_refuses_what_its_rule_refuses() -> None:
    draft = RegistrationDraft()
    cases: list[tuple[Detail, Callable[[], object]]] = [
        (Detail.REGISTRATION_NUMBER, lambda: steps.with_registration_number(draft, "40103999941")),
        (Detail.EMAIL, lambda: steps.with_email(draft, "anna at example.lv")),
        (Detail.PHONE, lambda: steps.with_phone(draft, "+371 3000000")),
        (Detail.KIND, lambda: steps.start_draft("partnership", ANNA)),
    ]
    for detail, step in cases:
        with pytest.raises(InvalidDetail) as refused:
            step()
        assert refused.value.detail is detail


def test_a_natural_persons_draft_is_named_as_they_logged_in() -> None:
    assert steps.start_draft("natural_person", ANNA).name == "Anna Bērziņa"
    assert steps.start_draft("legal_entity", ANNA).name is None


def test_accepting_the_terms_stamps_the_current_version_and_the_moment() -> None:
    draft = steps.accept_terms(RegistrationDraft(), now=NOW)
    assert draft.terms_version == steps.TERMS_VERSION
    assert datetime.fromisoformat(draft.terms_accepted_at or "") == NOW
    with pytest.raises(ValueError, match="time zone"):
        steps.accept_terms(RegistrationDraft(), now=NOW.replace(tzinfo=None))


async def test_the_repeated_voice_password_must_match_the_first() -> None:
    draft = await steps.with_voice_password(RegistrationDraft(), repeated="Ozols2026", hashed=HASH)
    assert draft.voice_password_hash == HASH
    for repeated, hashed in (("Ozols2027", HASH), ("Ozols2026", None)):
        with pytest.raises(InvalidDetail) as refused:
            await steps.with_voice_password(RegistrationDraft(), repeated=repeated, hashed=hashed)
        assert refused.value.detail is Detail.VOICE_PASSWORD_REPEAT


def test_a_voice_password_hash_is_told_from_anything_else() -> None:
    assert voice_password.is_hash(HASH)
    assert not voice_password.is_hash("Ozols2026")
    assert not voice_password.is_hash("scrypt$32768$8$1$bm90IGJhc2U2NA$!!")
    assert not voice_password.is_hash("")


def test_the_personal_data_a_voice_password_must_not_hold() -> None:
    personal = voice_password.personal_data(
        given_name="Anna", family_name="Bērziņa", personal_code="12058412345"
    )
    assert voice_password.Weakness.PERSONAL in voice_password.weaknesses(
        "anna120584", personal=personal
    )


def test_validated_passes_drafts_the_steps_made() -> None:
    assert steps.validated(natural_draft(), now=NOW) == natural_draft()
    assert steps.validated(legal_draft(), now=NOW).registration_number == "40103999940"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"kind": "partnership"}, Detail.KIND),
        ({"address": "Rīga"}, Detail.ADDRESS),
        ({"address": None}, Detail.ADDRESS),
        ({"email": "anna@"}, Detail.EMAIL),
        ({"phone": "12345"}, Detail.PHONE),
        ({"voice_password_hash": "Ozols2026"}, Detail.VOICE_PASSWORD),
        ({"terms_version": "2020-01-01"}, Detail.TERMS),
        ({"terms_accepted_at": None}, Detail.TERMS),
        ({"terms_accepted_at": "2026-12-01T09:00:00"}, Detail.TERMS),  # no time zone
        ({"terms_accepted_at": (NOW + timedelta(hours=1)).isoformat()}, Detail.TERMS),
    ],
)
def test_validated_refuses_what_a_step_would_refuse(
    change: dict[str, object], detail: Detail
) -> None:
    with pytest.raises(RegistrationRefused) as refused:
        steps.validated(replace(natural_draft(), **change), now=NOW)  # type: ignore[arg-type]
    assert (refused.value.reason, refused.value.detail) == (Refused.INCOMPLETE, detail)


def test_a_company_draft_needs_a_valid_registration_number() -> None:
    with pytest.raises(RegistrationRefused) as refused:
        steps.validated(replace(legal_draft(), registration_number="40103999941"), now=NOW)
    assert refused.value.detail is Detail.REGISTRATION_NUMBER


def test_which_refusals_let_the_person_type_another_number() -> None:
    assert {reason for reason in Refused if reason.another_number_may_help} == {
        Refused.INVALID_NUMBER,
        Refused.UNKNOWN_COMPANY,
    }
