"""Forms as data: a form is steps of fields, each field a typed question with rules.

Built by the loader (`integrations/forms.py`) from one YAML file per form version, or in code by
tests. Everything is frozen: a form version never changes once drafts refer to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    MONEY = "money"
    INTEGER = "integer"
    PERCENT = "percent"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    REGISTRATION_NUMBER = "registration_number"
    PERSONAL_CODE = "personal_code"
    EMAIL = "email"
    PHONE = "phone"
    IBAN = "iban"
    ATTACHMENT = "attachment"


NUMBERS = frozenset({FieldType.MONEY, FieldType.INTEGER, FieldType.PERCENT})
BOUNDED = NUMBERS | {FieldType.DATE}
TEXTS = frozenset({FieldType.TEXT, FieldType.LONG_TEXT})
# Answered over several messages or taps; the dialog keeps asking until «Gatavs» (`confirm`).
ACCUMULATING = frozenset({FieldType.LONG_TEXT, FieldType.MULTI_CHOICE, FieldType.ATTACHMENT})

# File kinds a form may ask for (the portal's user manual, «Dokumentu noformēšanas prasības»);
# the documents module decides a file's kind.
ATTACHMENT_KINDS = frozenset(
    {"docx", "doc", "pdf", "edoc", "xlsx", "xls", "jpg", "png", "tiff", "cad", "dwg"}
)

# Values supplied at run time that rules may refer to, with their types. A new key is added
# here and supplied by the use case that opens the form.
CONTEXT_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "today": date,
        "deal.amount": Decimal,
        "deal.undrawn_balance": Decimal,
    }
)


class FormKind(StrEnum):
    APPLICATION = "application"  # «Jauns pieteikums» for a product
    DEAL_APPLICATION = "deal_application"  # on an existing deal («Darījuma pieteikumi»)
    QUESTIONNAIRE = "questionnaire"  # «Anketas»


@dataclass(frozen=True, slots=True)
class Text:
    lv: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.lv


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A stored document as a form answer: the form binds its content hash, not the id."""

    document_id: str
    sha256: str  # lower-case hex of the file's content
    kind: str  # one of ATTACHMENT_KINDS
    name: str


Value = str | int | bool | Decimal | date | tuple[str, ...] | tuple[AttachmentRef, ...]
# field id -> its answer; None means "skipped" (an optional field the person passed over).
# A field with no key has not been asked yet.
Answers = Mapping[str, Value | None]
Context = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ContextRef:
    """`{context: deal.undrawn_balance}`: a value known only when the form is filled."""

    key: str
    days: int = 0  # for dates: today + 7 is `{context: today, days: 7}`


@dataclass(frozen=True, slots=True)
class FieldRef:
    """`{field: project_cost}`: another (earlier) answer of the same form."""

    field: str
    days: int = 0


Bound = Decimal | date | ContextRef | FieldRef


class Op(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    CONTAINS = "contains"  # a multi choice includes the option
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    ANSWERED = "answered"  # true: answered; false: skipped or not given


Operand = str | bool | Decimal | date | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: Op
    value: Operand


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


Condition = Compare | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Rules:
    # Every bound must hold: `max: [5000000, {field: project_cost}]`.
    min: tuple[Bound, ...] = ()
    max: tuple[Bound, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # the whole answer must match (Python `re.fullmatch`)
    example: str | None = None  # shown when the pattern refuses, e.g. "16.10"
    min_choices: int | None = None
    max_choices: int | None = None


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    type: FieldType
    label: Text  # short: the summary's left column
    question: Text | None = None  # what the dialog asks; the label when absent
    hint: Text | None = None
    required: bool = True
    when: Condition | None = None
    rules: Rules = Rules()
    options: tuple[Option, ...] = ()  # choice, multi_choice
    countries: tuple[str, ...] = ()  # iban: allowed country codes, e.g. ("LV",)
    kinds: tuple[str, ...] = ()  # attachment: allowed file kinds
    max_files: int = 1  # attachment
    negative: bool = False  # money, integer: may be below zero

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: Text
    fields: tuple[Field, ...]
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Form:
    id: str
    version: int
    kind: FormKind
    title: Text
    needs_signatures: bool
    steps: tuple[Step, ...]
    description: Text | None = None
    order: int = 100  # place in the list of forms of its kind
    _index: Mapping[str, tuple[Step, Field]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index = {f.id: (s, f) for s in self.steps for f in s.fields}
        object.__setattr__(self, "_index", MappingProxyType(index))

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for _, f in self._index.values())

    def field(self, field_id: str) -> Field:
        """Raises `UnknownField` for an id the form does not have."""
        try:
            return self._index[field_id][1]
        except KeyError:
            raise UnknownField(field_id) from None

    def step_of(self, field_id: str) -> Step:
        try:
            return self._index[field_id][0]
        except KeyError:
            raise UnknownField(field_id) from None

    @property
    def context_keys(self) -> frozenset[str]:
        """The context values its rules refer to: supply them to `validate_form`."""
        return frozenset(
            bound.key
            for f in self.fields
            for bound in (*f.rules.min, *f.rules.max)
            if isinstance(bound, ContextRef)
        )


class NotAQuestion(LookupError):
    """A field id the form does not ask now: unknown, or hidden by a condition (a stale button)."""


class UnknownField(NotAQuestion):
    pass
