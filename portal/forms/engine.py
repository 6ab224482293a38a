"""The form engine: pure functions over (form, answers) for the dialog and the server.

`answers` maps a field id to its typed value, or to None when the person skipped it; a field
with no key has not been answered. Every change returns a new dict (the caller saves it at
once: every answer is durable as it is given).

Answers of fields that a changed condition hides are *kept but ignored*: they stay in the
draft (flip the condition back and they return, nothing typed is lost), but they are not shown,
not validated, not hashed and not submitted — `prune` gives what a submission stores.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.forms import conditions, rules, values
from portal.forms.model import (
    CONTEXT_TYPES,
    Answers,
    AttachmentRef,
    Context,
    Field,
    FieldType,
    Form,
    NotAQuestion,
    Step,
    Value,
)
from portal.forms.refusals import Code, Refusal, refuse

Updated = dict[str, Value | None]


@dataclass(frozen=True, slots=True)
class SummaryLine:
    step: Step
    field: Field
    value: Value | None  # None: skipped (or, before the end, not answered yet)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    refusal: Refusal


class MissingContext(LookupError):
    """`validate_form` needs every context value the form's rules refer to (a caller's bug)."""


def _walk(form: Form, answers: Answers) -> tuple[list[tuple[Step, Field]], dict[str, Value]]:
    """The visible fields in order and their answers. Conditions refer only to earlier fields
    (the loader checks), so one pass decides everything."""
    shown: list[tuple[Step, Field]] = []
    given: dict[str, Value] = {}
    for step in form.steps:
        if step.when is not None and not conditions.holds(step.when, given):
            continue
        for field in step.fields:
            if field.when is not None and not conditions.holds(field.when, given):
                continue
            shown.append((step, field))
            value = answers.get(field.id)
            if value is not None:
                given[field.id] = value
    return shown, given


def visible_fields(form: Form, answers: Answers) -> tuple[Field, ...]:
    return tuple(field for _, field in _walk(form, answers)[0])


def visible_answers(form: Form, answers: Answers) -> dict[str, Value]:
    """The answers that count: visible and not skipped."""
    return _walk(form, answers)[1]


def prune(form: Form, answers: Answers) -> Updated:
    """The entries of visible fields only (skips included): what a submission keeps."""
    return {f.id: answers[f.id] for f in visible_fields(form, answers) if f.id in answers}


def next_question(form: Form, answers: Answers) -> Field | None:
    """The first visible field not yet answered or skipped; None: on to the summary."""
    return next((f for f in visible_fields(form, answers) if f.id not in answers), None)


def previous_question(form: Form, answers: Answers, current: str | None) -> Field | None:
    """«Atpakaļ»: the visible field before `current` (before the summary when None)."""
    shown = visible_fields(form, answers)
    ids = [f.id for f in shown]
    at = ids.index(current) if current in ids else len(ids)
    return shown[at - 1] if at > 0 else None


def resume_question(form: Form, answers: Answers, current: str | None) -> Field | None:
    """Where a saved draft goes on: the question it stopped at while that is still shown
    (a long text or a multi choice may be half given), else the next one unanswered."""
    if current is not None and current in {f.id for f in visible_fields(form, answers)}:
        return form.field(current)
    return next_question(form, answers)


def _asked(form: Form, answers: Answers, field_id: str) -> Field:
    field = form.field(field_id)
    if all(f.id != field_id for f in visible_fields(form, answers)):
        raise NotAQuestion(field_id)
    return field


def _checked(
    form: Form,
    answers: Answers,
    field: Field,
    value: Value,
    context: Context,
    *,
    partial: bool = False,
) -> Updated | Refusal:
    given = visible_answers(form, answers)
    refusal = rules.check(field, value, answers=given, context=context, partial=partial)
    if refusal is not None:
        return refusal
    return {**answers, field.id: value}


def answer(
    form: Form, answers: Answers, field_id: str, raw: str, *, context: Context
) -> Updated | Refusal:
    """A typed (or button) answer; it replaces an earlier one. A date picker sends ISO dates,
    choice buttons send option ids. Raises `NotAQuestion` for a field not shown now.

    A long text is kept even when still too short: more parts may follow (`append_text`),
    and `confirm` checks the whole."""
    field = _asked(form, answers, field_id)
    value = values.parse(field, raw)
    if isinstance(value, Refusal):
        return value
    partial = field.type is FieldType.LONG_TEXT
    return _checked(form, answers, field, value, context, partial=partial)


def append_text(
    form: Form, answers: Answers, field_id: str, part: str, *, context: Context
) -> Updated | Refusal:
    """A long text arriving in several messages: each part joins the last with a line break.
    When the whole would be too long the part is refused and what was there stays."""
    field = _asked(form, answers, field_id)
    if field.type is not FieldType.LONG_TEXT:
        raise TypeError(f"{field_id} is not a long text")
    before = answers.get(field_id)
    cleaned = values.clean_long_text(part)
    if not cleaned:
        return refuse(Code.REQUIRED)
    whole = f"{before}\n{cleaned}" if isinstance(before, str) and before else cleaned
    return _checked(form, answers, field, whole, context, partial=True)


def toggle_choice(form: Form, answers: Answers, field_id: str, option_id: str) -> Updated | Refusal:
    """A multi choice's button: adds or removes one option; nothing chosen leaves it unanswered."""
    field = _asked(form, answers, field_id)
    if field.type is not FieldType.MULTI_CHOICE:
        raise TypeError(f"{field_id} is not a multi choice")
    if field.option(option_id) is None:
        return refuse(Code.UNKNOWN_OPTION)
    before = answers.get(field_id)
    chosen = set(before) if isinstance(before, tuple) else set()
    chosen ^= {option_id}
    limit = field.rules.max_choices
    if limit is not None and len(chosen) > limit:
        return refuse(Code.TOO_MANY_CHOICES, max=limit)
    updated = {k: v for k, v in answers.items() if k != field_id}
    if chosen:
        updated[field_id] = values.order_options(field, {str(c) for c in chosen})
    return updated


def add_attachment(
    form: Form, answers: Answers, field_id: str, document: AttachmentRef
) -> Updated | Refusal:
    """A stored document joins the field's files (kind and count checked here)."""
    field = _asked(form, answers, field_id)
    if field.type is not FieldType.ATTACHMENT:
        raise TypeError(f"{field_id} is not an attachment")
    files = (*_files(answers.get(field_id)), document)
    refusal = rules.check_files(field, files)
    return refusal if refusal is not None else {**answers, field_id: files}


def _files(value: Value | None) -> tuple[AttachmentRef, ...]:
    if not isinstance(value, tuple):
        return ()
    return tuple(f for f in value if isinstance(f, AttachmentRef))


def remove_attachment(form: Form, answers: Answers, field_id: str, sha256: str) -> Updated:
    field = _asked(form, answers, field_id)
    files = tuple(f for f in _files(answers.get(field.id)) if f.sha256 != sha256)
    updated = {k: v for k, v in answers.items() if k != field_id}
    if files:
        updated[field_id] = files
    return updated


def confirm(form: Form, answers: Answers, field_id: str, *, context: Context) -> Updated | Refusal:
    """«Gatavs» on a question answered bit by bit (long text, multi choice, files): the answer
    as a whole is checked; nothing given counts as «Izlaist»."""
    field = _asked(form, answers, field_id)
    value = answers.get(field_id)
    if value is None:
        return skip(form, answers, field_id)
    return _checked(form, answers, field, value, context)


def skip(form: Form, answers: Answers, field_id: str) -> Updated | Refusal:
    """«Izlaist»: an optional field left without an answer (an earlier answer is removed)."""
    field = _asked(form, answers, field_id)
    if field.required:
        return refuse(Code.REQUIRED)
    return {**answers, field_id: None}


def summary(form: Form, answers: Answers) -> tuple[SummaryLine, ...]:
    """Every visible field with its answer, in order, grouped by step through `line.step`."""
    shown, given = _walk(form, answers)
    return tuple(SummaryLine(step, field, given.get(field.id)) for step, field in shown)


def validate_form(form: Form, answers: Answers, *, context: Context) -> tuple[Problem, ...]:
    """Everything again, as the server does before «Iesniegt ALTUM» or sending for signing:
    every visible required field answered, every answer by its rules with the context given."""
    missing = form.context_keys - set(context)
    if missing:
        raise MissingContext(", ".join(sorted(missing)))
    for key, value in context.items():
        wanted = CONTEXT_TYPES.get(key)
        if wanted is not None and not isinstance(value, wanted):
            raise TypeError(f"context {key} must be {wanted.__name__}")
    shown, given = _walk(form, answers)
    problems: list[Problem] = []
    for _, field in shown:
        value = given.get(field.id)
        if value is None:
            if field.required:
                problems.append(Problem(field.id, refuse(Code.REQUIRED)))
            continue
        refusal = rules.check(field, value, answers=given, context=context)
        if refusal is not None:
            problems.append(Problem(field.id, refusal))
    return tuple(problems)
