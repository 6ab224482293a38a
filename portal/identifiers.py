"""Latvian personal codes and company registration numbers: formats and check digits."""

from __future__ import annotations

import re
from datetime import date

from stdnum.exceptions import ValidationError
from stdnum.lv import pvn

_WEIGHTS = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SEPARATORS = re.compile(r"[\s-]")


class InvalidPersonalCode(ValueError):
    pass


class InvalidRegistrationNumber(ValueError):
    pass


def normalize_personal_code(raw: str) -> str:
    """Eleven digits, validated; raises `InvalidPersonalCode`.

    Old format DDMMYY-CNNNX: a real date (C: 0 → 1800s, 1 → 1900s, 2 → 2000s) and a check
    digit. New format (from 1.7.2017): 32–39 then nine digits, no check digit documented.
    """
    digits = _SEPARATORS.sub("", raw)
    if not re.fullmatch(r"\d{11}", digits):
        raise InvalidPersonalCode("not 11 digits")
    if digits[0] == "3" and digits[1] in "23456789":
        return digits
    century = {"0": 1800, "1": 1900, "2": 2000}.get(digits[6])
    if century is None:
        raise InvalidPersonalCode("bad century digit")
    try:
        date(century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError as exc:
        raise InvalidPersonalCode("no such date") from exc
    check = (1101 - sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=False))) % 11 % 10
    if check != int(digits[10]):
        raise InvalidPersonalCode("check digit")
    return digits


def is_personal_code(raw: str) -> bool:
    try:
        normalize_personal_code(raw)
    except InvalidPersonalCode:
        return False
    return True


def mask_personal_code(code: str) -> str:
    """`120389-*****`: the six digits the Company Register shows, never the rest."""
    return f"{code[:6]}-*****"


def normalize_registration_number(raw: str) -> str:
    """A company's 11-digit registration number (an `LV` prefix is dropped); checksum checked.

    python-stdnum's `lv.pvn` takes personal codes too: those start with 0–3, companies not.
    """
    try:
        number = pvn.validate(raw)
    except ValidationError as exc:
        raise InvalidRegistrationNumber(str(exc)) from exc
    if number[0] <= "3":
        raise InvalidRegistrationNumber("a personal code, not a registration number")
    return str(number)
