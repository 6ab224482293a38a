"""What makes a form well made, beyond its shape: ids, references, types of bounds.

`problems(form)` lists each with a path into the form's file (`("steps", 1, "fields", 0,
"max")`) so the loader can name the file, the line and the field. A form with problems is
never served: start-up stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.forms.model import (
    ATTACHMENT_KINDS,
    BOUNDED,
    CONTEXT_TYPES,
    NUMBERS,
    TEXTS,
    AllOf,
    AnyOf,
    Bound,
    Compare,
    Condition,
    ContextRef,
    Field,
    FieldRef,
    FieldType,
    Form,
    Op,
    Text,
)

Path = tuple[str | int, ...]
ID = re.compile(r"[a-z][a-z0-9_]{0,31}")  # short and ASCII: ids travel in callback data
OPTION_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
CHOICES = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})


@dataclass(frozen=True, slots=True)
class StructureProblem:
    path: Path
    reason: str


def problems(form: Form) -> list[StructureProblem]:
    return list(_form(form))


def _form(form: Form) -> Iterator[StructureProblem]:
    if not ID.fullmatch(form.id):
        yield StructureProblem(("id",), "must be lower-case letters, digits and _ (≤ 32)")
    if form.version < 1:
        yield StructureProblem(("version",), "must be 1 or more")
    yield from _texts(("title",), form.title)
    if form.description is not None:
        yield from _texts(("description",), form.description)
    if not form.steps:
        yield StructureProblem(("steps",), "a form needs at least one step")
    earlier: dict[str, Field] = {}
    step_ids: set[str] = set()
    for s, step in enumerate(form.steps):
        at: Path = ("steps", s)
        if not ID.fullmatch(step.id):
            yield StructureProblem((*at, "id"), "must be lower-case letters, digits and _ (≤ 32)")
        if step.id in step_ids:
            yield StructureProblem((*at, "id"), f"step id «{step.id}» is used twice")
        step_ids.add(step.id)
        yield from _texts((*at, "title"), step.title)
        if step.when is not None:
            yield from _condition((*at, "when"), step.when, earlier)
        if not step.fields:
            yield StructureProblem((*at, "fields"), "a step needs at least one field")
        for f, field in enumerate(step.fields):
            yield from _field((*at, "fields", f), field, earlier)
            if field.id in earlier:
                yield StructureProblem((*at, "fields", f, "id"), f"«{field.id}» is used twice")
            earlier[field.id] = field


def _texts(at: Path, text: Text) -> Iterator[StructureProblem]:
    for language in ("lv", "en"):
        if not getattr(text, language).strip():
            yield StructureProblem((*at, language), "the text is empty")


def _field(at: Path, field: Field, earlier: dict[str, Field]) -> Iterator[StructureProblem]:
    if not ID.fullmatch(field.id):
        yield StructureProblem((*at, "id"), "must be lower-case letters, digits and _ (≤ 32)")
    for name in ("label", "question", "hint"):
        text = getattr(field, name)
        if text is not None:
            yield from _texts((*at, name), text)
    if field.when is not None:
        yield from _condition((*at, "when"), field.when, earlier)
    yield from _options(at, field)
    yield from _rules(at, field, earlier)
    if field.countries and field.type is not FieldType.IBAN:
        yield StructureProblem((*at, "countries"), "only an iban field has countries")
    for i, country in enumerate(field.countries):
        if not re.fullmatch(r"[A-Z]{2}", country):
            yield StructureProblem((*at, "countries", i), "a two-letter country code like LV")
    if field.type is FieldType.ATTACHMENT:
        for i, kind in enumerate(field.kinds):
            if kind not in ATTACHMENT_KINDS:
                known = ", ".join(sorted(ATTACHMENT_KINDS))
                yield StructureProblem((*at, "kinds", i), f"unknown kind «{kind}» ({known})")
        if not 1 <= field.max_files <= 20:
            yield StructureProblem((*at, "max_files"), "from 1 to 20")
    elif field.kinds or field.max_files != 1:
        yield StructureProblem((*at, "kinds"), "only an attachment field has kinds and max_files")
    if field.negative and field.type not in (FieldType.MONEY, FieldType.INTEGER):
        yield StructureProblem((*at, "negative"), "only money and integer fields may be negative")


def _options(at: Path, field: Field) -> Iterator[StructureProblem]:
    if field.type not in CHOICES:
        if field.options:
            yield StructureProblem((*at, "options"), "only choice fields have options")
        return
    if len(field.options) < 2:
        yield StructureProblem((*at, "options"), "a choice needs at least two options")
    seen: set[str] = set()
    for i, option in enumerate(field.options):
        if not OPTION_ID.fullmatch(option.id):
            yield StructureProblem((*at, "options", i, "id"), "lower-case letters, digits, _")
        if option.id in seen:
            yield StructureProblem((*at, "options", i, "id"), f"«{option.id}» is used twice")
        seen.add(option.id)
        yield from _texts((*at, "options", i, "label"), option.label)


def _rules(at: Path, field: Field, earlier: dict[str, Field]) -> Iterator[StructureProblem]:
    rules = field.rules
    for name in ("min", "max"):
        bounds: tuple[Bound, ...] = getattr(rules, name)
        if bounds and field.type not in BOUNDED:
            yield StructureProblem((*at, name), "only number and date fields have min and max")
            continue
        for i, bound in enumerate(bounds):
            where = (*at, name, i) if len(bounds) > 1 else (*at, name)
            yield from _bound(where, field, bound, earlier)
    lows = [b for b in rules.min if isinstance(b, Decimal | date)]
    highs = [b for b in rules.max if isinstance(b, Decimal | date)]
    if any(type(a) is type(b) and a > b for a in lows for b in highs):  # type: ignore[operator]
        yield StructureProblem((*at, "min"), "min is above max")
    lengths = (rules.min_length, rules.max_length)
    if (any(n is not None for n in lengths) or rules.pattern) and field.type not in TEXTS:
        yield StructureProblem((*at, "max_length"), "only text fields have lengths and patterns")
    if any(n is not None and n < 1 for n in lengths):
        yield StructureProblem((*at, "min_length"), "lengths are 1 or more")
    if None not in lengths and lengths[0] > lengths[1]:  # type: ignore[operator]
        yield StructureProblem((*at, "min_length"), "min_length is above max_length")
    if rules.pattern is not None:
        try:
            re.compile(rules.pattern)
        except re.error as exc:
            yield StructureProblem((*at, "pattern"), f"not a regular expression: {exc}")
    if rules.example is not None and rules.pattern is None:
        yield StructureProblem((*at, "example"), "an example goes with a pattern")
    choices = (rules.min_choices, rules.max_choices)
    if any(n is not None for n in choices):
        if field.type is not FieldType.MULTI_CHOICE:
            yield StructureProblem((*at, "min_choices"), "only a multi choice counts choices")
        elif any(n is not None and not 1 <= n <= len(field.options) for n in choices):
            yield StructureProblem((*at, "max_choices"), "from 1 to the number of options")
        elif None not in choices and choices[0] > choices[1]:  # type: ignore[operator]
            yield StructureProblem((*at, "min_choices"), "min_choices is above max_choices")


def _wanted(field_type: FieldType) -> type:
    return date if field_type is FieldType.DATE else Decimal


def _name(wanted: type) -> str:
    return "date" if wanted is date else "number"


def _bound(
    at: Path, field: Field, bound: Bound, earlier: dict[str, Field]
) -> Iterator[StructureProblem]:
    wanted = _wanted(field.type)
    if isinstance(bound, ContextRef | FieldRef) and bound.days and wanted is not date:
        yield StructureProblem((*at, "days"), "days only shift dates")
    if isinstance(bound, ContextRef):
        known = CONTEXT_TYPES.get(bound.key)
        if known is None:
            names = ", ".join(sorted(CONTEXT_TYPES))
            yield StructureProblem((*at, "context"), f"unknown context «{bound.key}» ({names})")
        elif known is not wanted:
            yield StructureProblem((*at, "context"), f"«{bound.key}» is not a {_name(wanted)}")
    elif isinstance(bound, FieldRef):
        other = earlier.get(bound.field)
        if other is None:
            yield StructureProblem((*at, "field"), f"«{bound.field}» is not an earlier field")
        elif other.type is not field.type:
            yield StructureProblem((*at, "field"), f"«{bound.field}» is not a {field.type} field")
    elif not isinstance(bound, wanted):
        yield StructureProblem(at, f"a {field.type} field needs a {_name(wanted)} here")
    elif field.type is FieldType.INTEGER and isinstance(bound, Decimal) and bound % 1:
        yield StructureProblem(at, "an integer field needs a whole number here")


def _condition(
    at: Path, condition: Condition, earlier: dict[str, Field]
) -> Iterator[StructureProblem]:
    if isinstance(condition, AllOf | AnyOf):
        name = "all" if isinstance(condition, AllOf) else "any"
        if not condition.conditions:
            yield StructureProblem((*at, name), "needs at least one condition")
        for i, part in enumerate(condition.conditions):
            yield from _condition((*at, name, i), part, earlier)
        return
    target = earlier.get(condition.field)
    if target is None:
        reason = f"«{condition.field}» is not a field asked before this one"
        yield StructureProblem((*at, "field"), reason)
        return
    wrong = _operand_problem(condition, target)
    if wrong is not None:
        yield StructureProblem((*at, str(condition.op)), wrong)


def _operand_problem(condition: Compare, target: Field) -> str | None:
    op, value, kind = condition.op, condition.value, target.type
    options = {o.id for o in target.options}
    if op is Op.ANSWERED:
        return None if isinstance(value, bool) else "true or false"
    if op is Op.CONTAINS:
        if kind is not FieldType.MULTI_CHOICE:
            return "contains is for multi choices"
        return None if value in options else f"«{value}» is not an option of «{target.id}»"
    if op is Op.IN:
        if kind is not FieldType.CHOICE or not isinstance(value, tuple):
            return "in is a list of options of a choice"
        unknown = [v for v in value if v not in options]
        return f"not options of «{target.id}»: {', '.join(unknown)}" if unknown else None
    if op in (Op.GREATER_THAN, Op.LESS_THAN):
        if kind not in BOUNDED or not isinstance(value, _wanted(kind)):
            return "greater_than and less_than compare numbers or dates of the same kind"
        return None
    # equals, not_equals
    if kind is FieldType.MULTI_CHOICE:
        return "use contains for a multi choice"
    if kind is FieldType.CHOICE:
        return None if value in options else f"«{value}» is not an option of «{target.id}»"
    if kind is FieldType.YES_NO:
        return None if isinstance(value, bool) else "a yes/no answer is true or false"
    if kind in NUMBERS:
        return None if isinstance(value, Decimal) else "a number"
    if kind is FieldType.DATE:
        return None if isinstance(value, date) else "a date"
    if kind is FieldType.ATTACHMENT:
        return "files are compared with answered only"
    return None if isinstance(value, str) else "a text"
