"""Why an answer was refused: a machine code and its parameters, never prose.

The dialogs turn a refusal into a sentence in the person's language (`dialogs/form_texts.py`);
parameters are typed values (Decimal, date, int, str) so they are shown in that locale's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

Param = str | int | Decimal | date | tuple[str, ...]


class Code(StrEnum):
    REQUIRED = "required"
    TOO_SHORT = "too_short"  # min_length
    TOO_LONG = "too_long"  # max_length
    PATTERN = "pattern"  # example (may be absent)
    NOT_A_NUMBER = "not_a_number"
    AMBIGUOUS_NUMBER = "ambiguous_number"  # `1,234`: thousands or decimals?
    TOO_MANY_DECIMALS = "too_many_decimals"  # decimals
    NOT_WHOLE = "not_whole"
    NEGATIVE = "negative"
    BELOW_MIN = "below_min"  # min; context or field when the bound came from there
    ABOVE_MAX = "above_max"  # max; context or field
    NOT_A_DATE = "not_a_date"
    NO_SUCH_DATE = "no_such_date"
    DATE_TOO_EARLY = "date_too_early"  # min; context or field
    DATE_TOO_LATE = "date_too_late"  # max; context or field
    UNKNOWN_OPTION = "unknown_option"
    TOO_FEW_CHOICES = "too_few_choices"  # min
    TOO_MANY_CHOICES = "too_many_choices"  # max
    NOT_YES_NO = "not_yes_no"
    REGISTRATION_NUMBER = "registration_number"
    PERSONAL_CODE = "personal_code"
    EMAIL = "email"
    PHONE = "phone"
    IBAN = "iban"
    IBAN_COUNTRY = "iban_country"  # countries
    FILE_EXPECTED = "file_expected"  # text sent where a file is asked for
    FILE_KIND = "file_kind"  # kinds
    TOO_MANY_FILES = "too_many_files"  # max
    DUPLICATE_FILE = "duplicate_file"


@dataclass(frozen=True, slots=True)
class Refusal:
    code: Code
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)


def refuse(code: Code, **params: Param) -> Refusal:
    return Refusal(code, params)
