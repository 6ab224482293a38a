"""Typed answers from what a person typed (or a button sent): `parse(field, raw)`.

Each type normalizes what it accepts, so a stored answer is already canonical: text in NFC
with plain line ends, money to the cent, identifiers in their compact form.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import TypeVar

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from portal.contacts import normalize_email, normalize_phone
from portal.forms import numbers
from portal.forms.model import Field, FieldType, Value
from portal.forms.refusals import Code, Refusal, refuse
from portal.identifiers import (
    InvalidPersonalCode,
    InvalidRegistrationNumber,
    normalize_personal_code,
    normalize_registration_number,
)

_DOTTED_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\.?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # what the date picker sends
_YES = frozenset({"yes", "y", "jā", "ja", "j", "true"})
_NO = frozenset({"no", "n", "nē", "ne", "false"})
_LIST_SEPARATORS = re.compile(r"[,;\n]")
_Number = TypeVar("_Number", int, Decimal)


def parse(field: Field, raw: str) -> Value | Refusal:
    """The typed value of one answer, or why it cannot be one. Rules come after (`rules.check`)."""
    if field.type is FieldType.ATTACHMENT:
        return refuse(Code.FILE_EXPECTED)
    text = clean_long_text(raw) if field.type is FieldType.LONG_TEXT else clean_text(raw)
    if not text:
        return refuse(Code.REQUIRED)
    match field.type:
        case FieldType.TEXT | FieldType.LONG_TEXT:
            return text
        case FieldType.MONEY:
            return _signed(field, numbers.parse_money(text))
        case FieldType.INTEGER:
            return _signed(field, numbers.parse_integer(text))
        case FieldType.PERCENT:
            return numbers.parse_percent(text)
        case FieldType.DATE:
            return parse_date(text)
        case FieldType.CHOICE:
            return parse_option(field, text)
        case FieldType.MULTI_CHOICE:
            return parse_options(field, text)
        case FieldType.YES_NO:
            return parse_yes_no(text)
        case FieldType.REGISTRATION_NUMBER:
            try:
                return normalize_registration_number(text)
            except InvalidRegistrationNumber:
                return refuse(Code.REGISTRATION_NUMBER)
        case FieldType.PERSONAL_CODE:
            try:
                return normalize_personal_code(text)
            except InvalidPersonalCode:
                return refuse(Code.PERSONAL_CODE)
        case FieldType.EMAIL:
            return normalize_email(text) or refuse(Code.EMAIL)
        case FieldType.PHONE:
            return normalize_phone(text) or refuse(Code.PHONE)
        case FieldType.IBAN:
            return parse_iban(field, text)
    raise AssertionError(field.type)  # pragma: no cover - every type is handled above


def clean_text(raw: str) -> str:
    """One line: NFC, control characters dropped, runs of white space made one space."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(" " if c.isspace() else c for c in text if c.isspace() or c.isprintable())
    return " ".join(text.split())


def clean_long_text(raw: str) -> str:
    """Paragraphs kept: NFC, `\\n` line ends, control characters dropped, outer blanks trimmed."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or c.isprintable())
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _signed(field: Field, value: _Number | Refusal) -> _Number | Refusal:
    if not isinstance(value, Refusal) and value < 0 and not field.negative:
        return refuse(Code.NEGATIVE)
    return value


def parse_date(text: str) -> date | Refusal:
    """`dd.mm.gggg` (also `7.3.2025` and a trailing dot) or the picker's `2025-03-07`."""
    if match := _DOTTED_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return refuse(Code.NOT_A_DATE)
    try:
        return date(year, month, day)
    except ValueError:
        return refuse(Code.NO_SUCH_DATE)


def parse_option(field: Field, text: str) -> str | Refusal:
    """A button's option id, or an option's label typed in either language."""
    if field.option(text) is not None:
        return text
    wanted = text.casefold()
    for option in field.options:
        if wanted in (option.label.lv.casefold(), option.label.en.casefold()):
            return option.id
    return refuse(Code.UNKNOWN_OPTION)


def parse_options(field: Field, text: str) -> tuple[str, ...] | Refusal:
    """Labels or ids separated by commas, semicolons or lines; kept in the form's order."""
    chosen: set[str] = set()
    for part in _LIST_SEPARATORS.split(text):
        if not part.strip():
            continue
        option = parse_option(field, part.strip())
        if isinstance(option, Refusal):
            return option
        chosen.add(option)
    return order_options(field, chosen)


def order_options(field: Field, chosen: set[str] | frozenset[str]) -> tuple[str, ...]:
    return tuple(o.id for o in field.options if o.id in chosen)


def parse_yes_no(text: str) -> bool | Refusal:
    word = text.casefold().rstrip(".!")
    if word in _YES:
        return True
    if word in _NO:
        return False
    return refuse(Code.NOT_YES_NO)


def parse_iban(field: Field, text: str) -> str | Refusal:
    try:
        number = str(stdnum_iban.validate(text)).upper()
    except ValidationError:
        return refuse(Code.IBAN)
    if field.countries and number[:2] not in field.countries:
        return refuse(Code.IBAN_COUNTRY, countries=field.countries)
    return number
