"""Personal codes (the old format with its date and check digit, the new one from 1 July 2017
without) and registration numbers (weighted checksum), as `portal/identifiers.py` states them."""

from __future__ import annotations

import pytest

from portal.identifiers import (
    InvalidPersonalCode,
    InvalidRegistrationNumber,
    mask_personal_code,
    normalize_personal_code,
    normalize_registration_number,
)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("120584-12349", "12058412349"),  # old format: date, century 1, check digit
        ("12058412349", "12058412349"),
        (" 050588 19012 ", "05058819012"),
        ("32987612345", "32987612345"),  # new format: 32–39, no check digit
        ("39000000000", "39000000000"),
    ],
)
def test_valid_personal_codes_become_digits(raw: str, digits: str) -> None:
    assert normalize_personal_code(raw) == digits


@pytest.mark.parametrize(
    "raw",
    [
        "120584-12345",  # wrong check digit
        "310284-12340",  # 31 February
        "120584-32341",  # century digit 3
        "31234567890",  # 31 is neither a new-format prefix nor a valid date here
        "1205841234",  # ten digits
        "12058412349x",
        "",
    ],
)
def test_invalid_personal_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPersonalCode):
        normalize_personal_code(raw)


def test_codes_are_shown_masked() -> None:
    assert mask_personal_code("12058412349") == "120584-*****"


@pytest.mark.parametrize("raw", ["40103999940", "LV40103999940", "4010399 9940"])
def test_registration_numbers_are_checked_with_their_checksum(raw: str) -> None:
    assert normalize_registration_number(raw) == "40103999940"


@pytest.mark.parametrize("raw", ["40103999941", "4010399994", "12058412349", "abc"])
def test_bad_registration_numbers_and_personal_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRegistrationNumber):
        normalize_registration_number(raw)
