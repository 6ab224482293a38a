"""A typed answer against its field's rules: `check(field, value, answers=…, context=…)`.

Also re-checks what `parse` guarantees (an option that exists, an IBAN that validates, money to
the cent), so the server can validate answers however they arrived. Bounds may refer to the
context (`{context: deal.undrawn_balance}`) or to another answer (`{field: project_cost}`);
a bound whose value is not known yet is not applied here — `validate_form` insists on the
context before submission.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from portal.forms import numbers, values
from portal.forms.model import (
    ATTACHMENT_KINDS,
    BOUNDED,
    AttachmentRef,
    Bound,
    Context,
    ContextRef,
    Field,
    FieldRef,
    FieldType,
    Value,
)
from portal.forms.refusals import Code, Param, Refusal, refuse

DEFAULT_MAX_LENGTH = {FieldType.TEXT: 500, FieldType.LONG_TEXT: 10_000}
# Applied when a field sets no bound of its own: typos like 07.03.0202 are caught.
DEFAULT_BOUNDS: Mapping[FieldType, tuple[Bound, Bound]] = {
    FieldType.PERCENT: (Decimal(0), Decimal(100)),
    FieldType.DATE: (date(1900, 1, 1), date(2199, 12, 31)),
}
_LOW = {FieldType.DATE: Code.DATE_TOO_EARLY}
_HIGH = {FieldType.DATE: Code.DATE_TOO_LATE}


def check(
    field: Field,
    value: Value,
    *,
    answers: Mapping[str, Value],
    context: Context,
    partial: bool = False,
) -> Refusal | None:
    """None when `value` is a valid answer to `field`; `answers` are the other visible ones.

    `partial`: a long text still being typed in parts — only what more text cannot mend
    (too long) is refused; the minimum length and the pattern wait for `confirm`.
    """
    problem = _shape(field, value, partial)
    if problem is not None:
        return problem
    if field.type in BOUNDED:
        return _bounds(field, value, answers, context)
    return None


def _shape(field: Field, value: Value, partial: bool = False) -> Refusal | None:
    match field.type:
        case FieldType.TEXT | FieldType.LONG_TEXT:
            assert isinstance(value, str)
            return _text(field, value, partial)
        case FieldType.MONEY:
            assert isinstance(value, Decimal)
            if value != value.quantize(Decimal("0.01")):
                return refuse(Code.TOO_MANY_DECIMALS, decimals=2)
            return _sign(field, value)
        case FieldType.INTEGER:
            assert isinstance(value, int) and not isinstance(value, bool)
            return _sign(field, value)
        case FieldType.PERCENT:
            assert isinstance(value, Decimal)
            if value != value.quantize(Decimal("0.01")):
                return refuse(Code.TOO_MANY_DECIMALS, decimals=2)
            return None
        case FieldType.DATE:
            assert isinstance(value, date)
            return None
        case FieldType.CHOICE:
            assert isinstance(value, str)
            return None if field.option(value) else refuse(Code.UNKNOWN_OPTION)
        case FieldType.MULTI_CHOICE:
            return _choices(field, value)
        case FieldType.YES_NO:
            assert isinstance(value, bool)
            return None
        case FieldType.ATTACHMENT:
            return _files(field, value)
    # Identifiers: the stored form must be what parsing it again gives.
    assert isinstance(value, str)
    again = values.parse(field, value)
    return again if isinstance(again, Refusal) else None if again == value else refuse(_bad(field))


def _bad(field: Field) -> Code:
    return {
        FieldType.REGISTRATION_NUMBER: Code.REGISTRATION_NUMBER,
        FieldType.PERSONAL_CODE: Code.PERSONAL_CODE,
        FieldType.EMAIL: Code.EMAIL,
        FieldType.PHONE: Code.PHONE,
    }.get(field.type, Code.IBAN)


def _text(field: Field, text: str, partial: bool) -> Refusal | None:
    rules = field.rules
    if not text.strip():
        return refuse(Code.REQUIRED)
    longest = rules.max_length or DEFAULT_MAX_LENGTH[field.type]
    if len(text) > longest:
        return refuse(Code.TOO_LONG, max=longest)
    if partial:
        return None
    if rules.min_length is not None and len(text) < rules.min_length:
        return refuse(Code.TOO_SHORT, min=rules.min_length)
    if rules.pattern is not None and not _compiled(rules.pattern).fullmatch(text):
        return refuse(Code.PATTERN, **({"example": rules.example} if rules.example else {}))
    return None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _sign(field: Field, value: int | Decimal) -> Refusal | None:
    if value < 0 and not field.negative:
        return refuse(Code.NEGATIVE)
    if abs(Decimal(value)) >= numbers.LIMIT:
        return refuse(Code.ABOVE_MAX, max=numbers.LIMIT - 1)
    return None


def _choices(field: Field, value: Value) -> Refusal | None:
    assert isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    chosen = [v for v in value if isinstance(v, str)]
    if any(field.option(v) is None for v in chosen) or len(set(chosen)) != len(chosen):
        return refuse(Code.UNKNOWN_OPTION)
    if not chosen:
        return refuse(Code.REQUIRED)
    rules = field.rules
    if rules.min_choices is not None and len(chosen) < rules.min_choices:
        return refuse(Code.TOO_FEW_CHOICES, min=rules.min_choices)
    if rules.max_choices is not None and len(chosen) > rules.max_choices:
        return refuse(Code.TOO_MANY_CHOICES, max=rules.max_choices)
    return None


def check_files(field: Field, files: tuple[AttachmentRef, ...]) -> Refusal | None:
    """Kinds and count: what the form allows (the documents module checks the files)."""
    allowed = field.kinds or tuple(sorted(ATTACHMENT_KINDS))
    if any(f.kind not in allowed for f in files):
        return refuse(Code.FILE_KIND, kinds=allowed)
    if len({f.sha256 for f in files}) != len(files):
        return refuse(Code.DUPLICATE_FILE)
    if len(files) > field.max_files:
        return refuse(Code.TOO_MANY_FILES, max=field.max_files)
    return None


def _files(field: Field, value: Value) -> Refusal | None:
    assert isinstance(value, tuple) and all(isinstance(v, AttachmentRef) for v in value)
    files = tuple(v for v in value if isinstance(v, AttachmentRef))
    if not files:
        return refuse(Code.REQUIRED)
    return check_files(field, files)


def _bounds(
    field: Field, value: Value, answers: Mapping[str, Value], context: Context
) -> Refusal | None:
    assert isinstance(value, int | Decimal | date) and not isinstance(value, bool)
    low, high = DEFAULT_BOUNDS.get(field.type, (None, None))
    lows = field.rules.min or ((low,) if low is not None else ())
    highs = field.rules.max or ((high,) if high is not None else ())
    for bound, is_low in (*((b, True) for b in lows), *((b, False) for b in highs)):
        resolved = resolve(bound, answers, context)
        if resolved is None:
            continue
        limit, source = resolved
        broken = value < limit if is_low else value > limit  # type: ignore[operator]
        if broken:
            name = "min" if is_low else "max"
            code = (_LOW if is_low else _HIGH).get(
                field.type, Code.BELOW_MIN if is_low else Code.ABOVE_MAX
            )
            return Refusal(code, {name: limit, **source})
    return None


def resolve(
    bound: Bound, answers: Mapping[str, Value], context: Context
) -> tuple[Decimal | date, dict[str, Param]] | None:
    """A bound's value and where it came from (for the message), or None while unknown."""
    if isinstance(bound, ContextRef):
        if bound.key not in context:
            return None
        found = context[bound.key]
        source: dict[str, Param] = {"context": bound.key}
        days = bound.days
    elif isinstance(bound, FieldRef):
        if bound.field not in answers:
            return None
        found = answers[bound.field]
        source, days = {"field": bound.field}, bound.days
    else:
        return bound, {}
    if isinstance(found, date):
        return found + timedelta(days=days), source
    if isinstance(found, int | Decimal) and not isinstance(found, bool):
        return Decimal(found), source
    raise TypeError(f"bound {bound!r} is not a number or a date: {type(found).__name__}")
