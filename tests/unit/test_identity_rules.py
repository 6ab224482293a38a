"""Only natural persons get in; voice passwords are strong and stored only as a hash;
contact details are normalized or refused."""

from __future__ import annotations

import logging

import pytest

from portal import voice_password
from portal.contacts import normalize_email, normalize_phone
from portal.identity import IdentityError, ProviderIdentity, Refusal, natural_person


def identity(subject: str, *codes: str) -> ProviderIdentity:
    return ProviderIdentity(
        provider="test",
        subject=subject,
        personal_codes=codes,
        given_name="ANNA",
        family_name="BĒRZIŅA-OZOLA",
    )


def test_a_natural_person_is_accepted_with_code_history_and_readable_names() -> None:
    person = natural_person(identity("PK:120584-12349", "12058412349", "32987612345"))
    assert person.personal_code == "12058412349"
    assert person.previous_codes == ("32987612345",)
    assert person.full_name == "Anna Bērziņa-Ozola"


@pytest.mark.parametrize(
    ("subject", "refusal"),
    [
        ("PK:120584-12349-UR:40103999940", Refusal.NOT_NATURAL_PERSON),
        ("DP:120584-12349", Refusal.NOT_NATURAL_PERSON),
        ("AU:90000000000", Refusal.NOT_NATURAL_PERSON),
        ("PK:120584-12345", Refusal.INVALID_PERSONAL_CODE),  # check digit
        ("120584-12349", Refusal.INVALID_PERSONAL_CODE),
        ("", Refusal.INVALID_PERSONAL_CODE),
    ],
)
def test_everyone_else_is_refused(subject: str, refusal: Refusal) -> None:
    with pytest.raises(IdentityError) as raised:
        natural_person(identity(subject))
    assert raised.value.refusal is refusal


def test_a_code_claim_that_contradicts_the_subject_is_refused() -> None:
    with pytest.raises(IdentityError):
        natural_person(identity("PK:120584-12349", "05058819012"))


def test_an_invalid_current_code_claim_is_refused() -> None:
    with pytest.raises(IdentityError) as raised:
        natural_person(identity("PK:120584-12349", "12345678901"))
    assert raised.value.refusal is Refusal.INVALID_PERSONAL_CODE


def test_an_earlier_code_that_is_not_valid_is_skipped_and_logged_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The Latvija.lv test environment sends `12345678901` as an earlier code (the
    omniauth-latvija fixtures): the login goes on, the code is not kept and not logged."""
    caplog.set_level(logging.INFO)
    person = natural_person(
        identity("PK:32345678901", "32345678901", "12345678901", "120584-12349", "")
    )
    assert person.personal_code == "32345678901"
    assert person.previous_codes == ("12058412349",)
    (record,) = [r for r in caplog.records if r.name == "portal.identity"]
    assert "skipped" in record.getMessage()
    assert record.fields == {"provider": "test", "skipped": 1}  # type: ignore[attr-defined]
    assert "12345678901" not in caplog.text and "12345678901" not in str(record.__dict__)


@pytest.mark.parametrize(
    ("password", "weakness"),
    [
        ("ab1", voice_password.Weakness.TOO_SHORT),
        ("abcdefghij", voice_password.Weakness.NO_DIGIT),
        ("1234567890", voice_password.Weakness.NO_LETTER),
        ("aaaa1111", voice_password.Weakness.REPEATED),
        ("password1", voice_password.Weakness.COMMON),
        ("Anna 2024 x", voice_password.Weakness.PERSONAL),
        ("x120584y99", voice_password.Weakness.PERSONAL),
    ],
)
def test_weak_voice_passwords_are_named(password: str, weakness: voice_password.Weakness) -> None:
    found = voice_password.weaknesses(password, personal=("Anna", "Bērziņa", "120584"))
    assert weakness in found


def test_a_good_voice_password_hashes_slowly_salted_and_verifies() -> None:
    good = "Ozols mežā 2024"
    assert voice_password.weaknesses(good, personal=("Anna", "120584")) == []
    first, second = voice_password.hash_password(good), voice_password.hash_password(good)
    assert first != second and good not in first  # salted, not the password
    assert first.startswith("scrypt$32768$8$1$")
    assert voice_password.verify_password(good, first)
    assert voice_password.verify_password("Ozols mežā 2024 ", first)  # outer spaces
    assert not voice_password.verify_password("ozols mežā 2024", first)
    assert not voice_password.verify_password(good, "md5$nonsense")


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("anna@ozolkalns.lv", "anna@ozolkalns.lv"),
        (" Anna.B@Ozolkalns.LV ", "Anna.B@ozolkalns.lv"),
        ("anna@", None),
        ("anna@localhost", None),
        ("a b@c.lv", None),
        ("<x>@c.lv", None),
    ],
)
def test_emails(raw: str, email: str | None) -> None:
    assert normalize_email(raw) == email


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("20000000", "+37120000000"),
        ("+371 2000 0000", "+37120000000"),
        ("00371 67 000 000", "+37167000000"),
        ("+49 30 1234567", "+49301234567"),
        ("+371 1234", None),
        ("+37150000000", None),  # no Latvian number starts with 5
        ("12", None),
        ("phone", None),
    ],
)
def test_phones(raw: str, phone: str | None) -> None:
    assert normalize_phone(raw) == phone
