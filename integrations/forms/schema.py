"""The shape of a form file, checked by pydantic, and how it becomes `portal.forms.Form`.

Shape only: which keys, of which types. What the keys refer to (earlier fields, options,
context names, bounds that fit the type) is `portal.forms.structure`'s business.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from portal.forms.model import (
    AllOf,
    AnyOf,
    Bound,
    Compare,
    Condition,
    ContextRef,
    FieldRef,
    FieldType,
    Form,
    FormKind,
    Op,
    Operand,
    Option,
    Rules,
    Step,
    Text,
)
from portal.forms.model import Field as FormField


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # 0.1 is 0.1, not 0.1000000000000000055…
    return None


def _bounds(value: Any) -> tuple[Bound, ...]:
    if value is None:
        return ()
    return tuple(_bound(v) for v in value) if isinstance(value, list) else (_bound(value),)


def _bound(value: Any) -> Bound:
    if isinstance(value, dict) and set(value) in ({"context"}, {"context", "days"}):
        return ContextRef(key=_str(value["context"]), days=_int(value.get("days", 0)))
    if isinstance(value, dict) and set(value) in ({"field"}, {"field", "days"}):
        return FieldRef(field=_str(value["field"]), days=_int(value.get("days", 0)))
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, date):
        return value
    raise ValueError("a number, a date (2026-01-31), {context: name} or {field: id}")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a name is text")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("days is a whole number")
    return value


def _operand(value: Any) -> Operand:
    if isinstance(value, bool | str | date):
        return value
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("a text, a number, a date, true/false or a list of option ids")


BoundValue = Annotated[tuple[Bound, ...], BeforeValidator(_bounds)]
OperandValue = Annotated[Operand | None, BeforeValidator(_operand)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class TextModel(_Model):
    lv: str
    en: str

    def build(self) -> Text:
        return Text(lv=self.lv.strip(), en=self.en.strip())


class OptionModel(_Model):
    id: str
    label: TextModel


_OPS = tuple(op.value for op in Op)


class ConditionModel(_Model):
    model_config = ConfigDict(populate_by_name=True)

    field: str | None = None
    equals: OperandValue = None
    not_equals: OperandValue = None
    in_: OperandValue = Field(default=None, alias="in")
    contains: OperandValue = None
    greater_than: OperandValue = None
    less_than: OperandValue = None
    answered: bool | None = None
    all: list[ConditionModel] | None = None
    any: list[ConditionModel] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ConditionModel:
        ops = [op for op in _OPS if self._operand(op) is not None]
        groups = [g for g in ("all", "any") if getattr(self, g) is not None]
        if groups:
            if len(groups) > 1 or ops or self.field is not None:
                raise ValueError("all or any stands alone")
        elif self.field is None or len(ops) != 1:
            raise ValueError(f"a condition is field and one of: {', '.join(_OPS)}; or all, any")
        return self

    def _operand(self, op: str) -> Operand | None:
        value: Operand | None = getattr(self, "in_" if op == "in" else op)
        return value

    def build(self) -> Condition:
        if self.all is not None:
            return AllOf(tuple(c.build() for c in self.all))
        if self.any is not None:
            return AnyOf(tuple(c.build() for c in self.any))
        assert self.field is not None
        op = next(op for op in _OPS if self._operand(op) is not None)
        value = self._operand(op)
        assert value is not None
        return Compare(field=self.field, op=Op(op), value=value)


class FieldModel(_Model):
    id: str
    type: FieldType
    label: TextModel
    question: TextModel | None = None
    hint: TextModel | None = None
    required: bool = True
    when: ConditionModel | None = None
    min: BoundValue = ()
    max: BoundValue = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    example: str | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    options: list[OptionModel] = []
    countries: list[str] = []
    kinds: list[str] = []
    max_files: int = 1
    negative: bool = False

    def build(self) -> FormField:
        return FormField(
            id=self.id,
            type=self.type,
            label=self.label.build(),
            question=self.question.build() if self.question else None,
            hint=self.hint.build() if self.hint else None,
            required=self.required,
            when=self.when.build() if self.when else None,
            rules=Rules(
                min=self.min,
                max=self.max,
                min_length=self.min_length,
                max_length=self.max_length,
                pattern=self.pattern,
                example=self.example,
                min_choices=self.min_choices,
                max_choices=self.max_choices,
            ),
            options=tuple(Option(o.id, o.label.build()) for o in self.options),
            countries=tuple(self.countries),
            kinds=tuple(self.kinds),
            max_files=self.max_files,
            negative=self.negative,
        )


class StepModel(_Model):
    id: str
    title: TextModel
    when: ConditionModel | None = None
    fields: list[FieldModel]


class FormModel(_Model):
    id: str
    version: int
    kind: FormKind
    title: TextModel
    description: TextModel | None = None
    needs_signatures: bool  # no default: every form says it
    order: int = 100
    steps: list[StepModel]

    def build(self) -> Form:
        return Form(
            id=self.id,
            version=self.version,
            kind=self.kind,
            title=self.title.build(),
            description=self.description.build() if self.description else None,
            needs_signatures=self.needs_signatures,
            order=self.order,
            steps=tuple(
                Step(
                    id=s.id,
                    title=s.title.build(),
                    when=s.when.build() if s.when else None,
                    fields=tuple(f.build() for f in s.fields),
                )
                for s in self.steps
            ),
        )
