"""The Company Register (Uzņēmumu reģistrs): who a company is and who may sign for it.

The register publishes two open-data files on data.gov.lv: `register.csv` (the companies) and
`officers.csv` (board and council members, procurators…). `integrations/company_register.py`
parses them into `CompanyRecord` / `OfficerRecord`; `storage/company_register.py` keeps the last
import and answers `portal.ports.CompanyRegister.find`. This module holds the rules: whether an
entity is active, how an officer may represent it, and whether a logged-in person is one of its
signatories.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple, Self

from portal.identity import NaturalPerson

RepresentationKind = Literal["individually", "with_all", "with_at_least"]

_REGISTER_KINDS: dict[str, RepresentationKind] = {
    "INDIVIDUALLY": "individually",
    "WITH_ALL": "with_all",
    "WITH_AT_LEAST": "with_at_least",
}
# The governing body whose members represent the company by law (Commercial Law, art. 303).
EXECUTIVE_BOARD = "EXECUTIVE_BOARD"


class CompanyRecord(NamedTuple):
    """One row of `register.csv`, as the import needs it."""

    regcode: str
    name: str
    legal_form: str | None  # `type`, e.g. SIA
    legal_form_text: str | None  # `type_text`
    address: str | None
    registered: date | None
    terminated: date | None  # non-empty: struck off
    closed: str | None  # e.g. `L`: liquidated


class OfficerRecord(NamedTuple):
    """One row of `officers.csv`, as the import needs it."""

    id: int
    regcode: str  # `at_legal_entity_registration_number`
    entity_type: str | None  # NATURAL_PERSON | LEGAL_ENTITY | …
    position: str | None  # CHAIR_OF_BOARD, BOARD_MEMBER, COUNCIL_MEMBER, …
    governing_body: str | None  # EXECUTIVE_BOARD, SUPERVISORY_BOARD, …
    name: str  # "Surname Firstname"
    code_masked: str | None  # `latvian_identity_number_masked`: `120584-*****`
    representation_type: str | None  # INDIVIDUALLY | WITH_ALL | WITH_AT_LEAST
    representation_with_at_least: int | None
    registered_on: date | None


@dataclass(frozen=True, slots=True)
class RepresentationRule:
    """How an officer signs for the company.

    `with_at_least` carries the register's N (`at_least`). Whether N counts the *other*
    signatories or all of them is unconfirmed (the register does not say): `signers_required`
    takes it as a setting (`RegistrationSettings.at_least_counts`).
    """

    kind: RepresentationKind
    at_least: int | None = None

    @classmethod
    def from_register(cls, representation_type: str | None, at_least: int | None) -> Self:
        """The register's `rights_of_representation_type` and `representation_with_at_least`.

        A missing or unknown type, and WITH_AT_LEAST without a usable N, are read as joint
        representation with all the others: by law (Commercial Law, art. 303) board members
        represent the company jointly unless the articles say otherwise, and it is also the
        strictest reading, so an unknown value never lets anyone sign alone.
        """
        kind = _REGISTER_KINDS.get((representation_type or "").strip().upper())
        if kind == "individually":
            return cls("individually")
        if kind == "with_at_least" and at_least is not None and at_least >= 1:
            return cls("with_at_least", at_least)
        return cls("with_all")

    def signers_required(self, *, signatories: int, counts: Literal["others", "total"]) -> int:
        """How many signatories must sign together (this one included), out of `signatories`."""
        if self.kind == "individually":
            return 1
        if self.kind == "with_all" or self.at_least is None:
            return max(signatories, 1)
        needed = self.at_least + 1 if counts == "others" else self.at_least
        return max(1, min(needed, max(signatories, 1)))


@dataclass(frozen=True, slots=True)
class Officer:
    name: str  # "Surname Firstname" as the register writes it
    code_masked: str | None  # `120584-*****`; None for legal entities
    position: str | None
    governing_body: str | None
    representation_type: str | None
    representation_with_at_least: int | None

    @property
    def can_represent(self) -> bool:
        """A signatory: the register gives them rights of representation, or they sit on the
        executive board (whose members represent jointly by law even where the register's
        column is empty). A council member without rights is not a signatory."""
        if self.representation_type and self.representation_type.strip():
            return True
        return (self.governing_body or "").strip().upper() == EXECUTIVE_BOARD

    @property
    def representation_rule(self) -> RepresentationRule | None:
        """None when the officer cannot represent the company at all."""
        if not self.can_represent:
            return None
        return RepresentationRule.from_register(
            self.representation_type, self.representation_with_at_least
        )


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    regcode: str
    name: str
    legal_form: str | None
    legal_form_text: str | None
    address: str | None
    registered: date | None
    terminated: date | None
    closed: str | None
    officers: tuple[Officer, ...] = ()

    @property
    def is_active(self) -> bool:
        """Neither struck off (`terminated`) nor closed (`closed`, e.g. `L` liquidated)."""
        return self.terminated is None and not (self.closed or "").strip()

    @property
    def signatories(self) -> tuple[Officer, ...]:
        return tuple(officer for officer in self.officers if officer.can_represent)


@dataclass(frozen=True, slots=True)
class OfficerMatch:
    """A person who is, very likely, this officer.

    `likely` is always True: the register shows only a name and the first six digits of the
    code, so a match is never proof; ALTUM makes the final check (it rejects registrations by
    non-signatories). `weak` marks new-format codes (32…–39…, issued from 1.7.2017), whose six
    digits are random and carry no birth date: there the match rests on the name and six random
    digits (one in a million per namesake), still a match but weaker than for old-format codes.
    """

    officer: Officer
    rule: RepresentationRule
    likely: bool = True
    weak: bool = False


_NAME_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")
_MASKED = re.compile(r"\s*(\d{6})")


def name_words(name: str) -> frozenset[str]:
    """The words of a name, compared without regard to case, order or spacing.

    NFC makes a composed `ā` equal to `a` + combining macron; diacritics stay significant
    (`Berzina` is not `Bērziņa`). Hyphens split double surnames the same way on both sides.
    """
    folded = unicodedata.normalize("NFC", name).casefold()
    return frozenset(word for word in _NAME_SEPARATORS.split(folded) if word)


def visible_digits(code_masked: str | None) -> str | None:
    """The six digits the register shows (`120584-*****` -> `120584`)."""
    if not code_masked:
        return None
    match = _MASKED.match(code_masked)
    return match.group(1) if match else None


def is_new_format_code(code: str) -> bool:
    return len(code) >= 2 and code[0] == "3" and code[1] in "23456789"


def match_officer(entry: RegisterEntry, person: NaturalPerson) -> OfficerMatch | None:
    """The signatory of `entry` that `person` (very likely) is, or None.

    A match needs the same set of name words (the register writes "Surname Firstname"; several
    given names and double surnames are fine) and the six visible digits of the officer's code
    equal to the start of the person's current code or of one they had before a code change.
    Officers who cannot represent the company (a council member without rights) never match.
    Of several matching entries the one with the widest rights wins (individually first).
    """
    person_words = name_words(f"{person.given_name} {person.family_name}")
    if not person_words:
        return None
    codes = (person.personal_code, *person.previous_codes)
    best: OfficerMatch | None = None
    for officer in entry.officers:
        rule = officer.representation_rule
        if rule is None:
            continue
        digits = visible_digits(officer.code_masked)
        if digits is None or name_words(officer.name) != person_words:
            continue
        code = next((c for c in codes if c[:6] == digits), None)
        if code is None:
            continue
        found = OfficerMatch(officer=officer, rule=rule, weak=is_new_format_code(code))
        if best is None or _breadth(rule) > _breadth(best.rule):
            best = found
    return best


def _breadth(rule: RepresentationRule) -> int:
    return {"individually": 2, "with_at_least": 1, "with_all": 0}[rule.kind]
