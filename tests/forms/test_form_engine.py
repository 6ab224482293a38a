"""Navigation and whole-form validation: next, back, skip, resume, conditions on fields and
steps, answers given in parts, and what happens to answers a condition hides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from form_support import document, field, form, options, step

from portal.forms import engine
from portal.forms.canonical import content_hash
from portal.forms.conditions import holds
from portal.forms.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Field,
    FieldRef,
    FieldType,
    Form,
    NotAQuestion,
    Op,
    Rules,
    UnknownField,
    Value,
)
from portal.forms.refusals import Code, Refusal

F = FieldType


def loan() -> Form:
    return form(
        step(
            "loan",
            field("amount", F.MONEY),
            field("purpose", F.CHOICE, options=options("working_capital", "investment")),
            field("has_guarantor", F.YES_NO),
            field(
                "guarantor",
                F.TEXT,
                when=Compare("has_guarantor", Op.EQUALS, True),
            ),
            field("note", F.TEXT, required=False),
        ),
        step(
            "project",
            field("cost", F.MONEY),
            field("items", F.MULTI_CHOICE, options=options("a", "b", "c")),
            when=Compare("purpose", Op.EQUALS, "investment"),
        ),
        step(
            "docs",
            field("description", F.LONG_TEXT, rules=Rules(min_length=10, max_length=40)),
            field("files", F.ATTACHMENT, required=False, max_files=3),
        ),
    )


def ok(result: engine.Updated | Refusal) -> engine.Updated:
    assert not isinstance(result, Refusal), result
    return result


def fill(shape: Form, **raw: str) -> engine.Updated:
    answers: engine.Updated = {}
    for key, value in raw.items():
        answers = ok(engine.answer(shape, answers, key, value, context={}))
    return answers


def ids(fields: tuple[Field, ...]) -> list[str]:
    return [f.id for f in fields]


def test_questions_come_in_order_and_hidden_ones_are_not_asked() -> None:
    shape = loan()
    answers: engine.Updated = {}
    asked = []
    script = {"amount": "10 000", "purpose": "working_capital", "has_guarantor": "nē"}
    while (question := engine.next_question(shape, answers)) is not None:
        asked.append(question.id)
        if question.id in script:
            answers = ok(
                engine.answer(shape, answers, question.id, script[question.id], context={})
            )
        elif question.id == "description":
            answers = ok(engine.answer(shape, answers, "description", "Long enough.", context={}))
        else:
            answers = ok(engine.skip(shape, answers, question.id))
    assert asked == ["amount", "purpose", "has_guarantor", "note", "description", "files"]
    assert engine.validate_form(shape, answers, context={}) == ()


def test_a_condition_turned_on_asks_the_new_question_next() -> None:
    shape = loan()
    answers = fill(shape, amount="10000", purpose="working_capital", has_guarantor="jā")
    assert engine.next_question(shape, answers).id == "guarantor"  # type: ignore[union-attr]
    answers = ok(engine.answer(shape, answers, "purpose", "investment", context={}))
    answers = ok(engine.answer(shape, answers, "guarantor", "Jānis Bērziņš", context={}))
    answers = ok(engine.skip(shape, answers, "note"))
    assert engine.next_question(shape, answers).id == "cost"  # type: ignore[union-attr]


def test_answers_hidden_by_a_changed_condition_are_kept_but_ignored() -> None:
    shape = loan()
    answers = fill(
        shape,
        amount="10000",
        purpose="investment",
        has_guarantor="jā",
        guarantor="Jānis Bērziņš",
        cost="20000",
        items="a, b",
        description="Jaunas iekārtas ražotnei.",
    )
    answers = ok(engine.skip(shape, answers, "note"))
    answers = ok(engine.skip(shape, answers, "files"))
    with_all = content_hash(shape, answers)

    hidden = ok(engine.answer(shape, answers, "has_guarantor", "nē", context={}))
    hidden = ok(engine.answer(shape, hidden, "purpose", "working_capital", context={}))
    assert hidden["guarantor"] == "Jānis Bērziņš" and hidden["cost"] == Decimal("20000.00")
    assert "guarantor" not in ids(engine.visible_fields(shape, hidden))
    assert {"guarantor", "cost", "items"}.isdisjoint(engine.visible_answers(shape, hidden))
    assert {"guarantor", "cost", "items"}.isdisjoint(engine.prune(shape, hidden))
    assert [line.field.id for line in engine.summary(shape, hidden)] == [
        "amount",
        "purpose",
        "has_guarantor",
        "note",
        "description",
        "files",
    ]
    assert engine.validate_form(shape, hidden, context={}) == ()
    without_guarantor = fill(
        shape,
        amount="10000",
        purpose="working_capital",
        has_guarantor="nē",
        description="Jaunas iekārtas ražotnei.",
    )
    assert content_hash(shape, hidden) == content_hash(shape, without_guarantor)
    assert content_hash(shape, hidden) != with_all

    back = ok(engine.answer(shape, hidden, "purpose", "investment", context={}))
    back = ok(engine.answer(shape, back, "has_guarantor", "jā", context={}))
    assert engine.next_question(shape, back) is None  # nothing typed was lost
    assert content_hash(shape, back) == with_all


def test_a_condition_on_a_hidden_answer_does_not_hold() -> None:
    shape = form(
        step(
            "s",
            field("a", F.YES_NO),
            field("b", F.YES_NO, when=Compare("a", Op.EQUALS, True)),
            field("c", F.TEXT, when=Compare("b", Op.EQUALS, True)),
        )
    )
    answers = fill(shape, a="jā", b="jā", c="x")
    assert ids(engine.visible_fields(shape, answers)) == ["a", "b", "c"]
    answers = ok(engine.answer(shape, answers, "a", "nē", context={}))
    assert ids(engine.visible_fields(shape, answers)) == ["a"]


def test_back_goes_to_the_previous_visible_question() -> None:
    shape = loan()
    answers = fill(shape, amount="1", purpose="working_capital", has_guarantor="nē")
    previous = engine.previous_question
    assert previous(shape, answers, "note").id == "has_guarantor"  # type: ignore[union-attr]
    assert previous(shape, answers, "description").id == "note"  # type: ignore[union-attr]
    assert previous(shape, answers, None).id == "files"  # type: ignore[union-attr]
    assert previous(shape, answers, "amount") is None


def test_skip_is_for_optional_questions_only() -> None:
    shape = loan()
    assert engine.skip(shape, {}, "amount") == Refusal(Code.REQUIRED)
    answers = ok(engine.skip(shape, {"note": "was here"}, "note"))
    assert answers == {"note": None}
    assert "note" not in engine.visible_answers(shape, answers)


def test_a_draft_resumes_at_the_question_it_stopped_at() -> None:
    shape = loan()
    answers = fill(shape, amount="1", purpose="investment", has_guarantor="jā", guarantor="X")
    answers = ok(engine.toggle_choice(shape, answers, "items", "a"))  # half given
    assert engine.resume_question(shape, answers, "items").id == "items"  # type: ignore[union-attr]
    hidden = ok(engine.answer(shape, answers, "purpose", "working_capital", context={}))
    assert engine.resume_question(shape, hidden, "items").id == "note"  # type: ignore[union-attr]
    assert engine.resume_question(shape, answers, None).id == "note"  # type: ignore[union-attr]


def test_a_long_text_typed_in_several_messages_is_not_lost() -> None:
    shape = loan()
    answers = ok(engine.answer(shape, {}, "description", "Iekārtas", context={}))
    assert engine.confirm(shape, answers, "description", context={}) == Refusal(
        Code.TOO_SHORT, {"min": 10}
    )
    answers = ok(engine.append_text(shape, answers, "description", "ražotnei.", context={}))
    assert answers["description"] == "Iekārtas\nražotnei."
    assert ok(engine.confirm(shape, answers, "description", context={})) == answers
    too_long = engine.append_text(shape, answers, "description", "x" * 30, context={})
    assert too_long == Refusal(Code.TOO_LONG, {"max": 40})
    assert answers["description"] == "Iekārtas\nražotnei."  # the refused part changed nothing


def test_multi_choice_by_buttons() -> None:
    shape = loan()
    answers = fill(shape, purpose="investment")
    answers = ok(engine.toggle_choice(shape, answers, "items", "c"))
    answers = ok(engine.toggle_choice(shape, answers, "items", "a"))
    assert answers["items"] == ("a", "c")
    answers = ok(engine.toggle_choice(shape, answers, "items", "c"))
    answers = ok(engine.toggle_choice(shape, answers, "items", "a"))
    assert "items" not in answers
    assert engine.confirm(shape, answers, "items", context={}) == Refusal(Code.REQUIRED)
    assert engine.toggle_choice(shape, answers, "items", "z") == Refusal(Code.UNKNOWN_OPTION)


def test_files_added_removed_and_confirmed() -> None:
    shape = loan()
    answers = ok(engine.add_attachment(shape, {}, "files", document(1)))
    answers = ok(engine.add_attachment(shape, answers, "files", document(2)))
    answers = engine.remove_attachment(shape, answers, "files", document(1).sha256)
    assert answers == {"files": (document(2),)}
    answers = engine.remove_attachment(shape, answers, "files", document(2).sha256)
    assert ok(engine.confirm(shape, answers, "files", context={})) == {"files": None}


def test_a_question_not_shown_now_is_refused_as_stale() -> None:
    shape = loan()
    with pytest.raises(NotAQuestion):
        engine.answer(shape, {}, "guarantor", "X", context={})
    with pytest.raises(UnknownField):
        engine.answer(shape, {}, "no_such_field", "X", context={})


def test_the_whole_form_is_checked_again_after_an_earlier_answer_changes() -> None:
    shape = form(
        step(
            "s",
            field("cost", F.MONEY),
            field("amount", F.MONEY, rules=Rules(max=(FieldRef("cost"),))),
            field("name", F.TEXT),
        )
    )
    answers = fill(shape, cost="5000", amount="5000")
    assert [
        (p.field, p.refusal.code) for p in engine.validate_form(shape, answers, context={})
    ] == [("name", Code.REQUIRED)]
    answers = ok(engine.answer(shape, answers, "cost", "4000", context={}))
    problems = engine.validate_form(shape, answers, context={})
    assert [(p.field, p.refusal) for p in problems] == [
        ("amount", Refusal(Code.ABOVE_MAX, {"max": Decimal("4000.00"), "field": "cost"})),
        ("name", Refusal(Code.REQUIRED)),
    ]


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (Compare("a", Op.ANSWERED, False), {}, True),
        (Compare("a", Op.ANSWERED, True), {"a": "x"}, True),
        (Compare("a", Op.NOT_EQUALS, "x"), {}, False),  # no answer: nothing holds
        (Compare("a", Op.NOT_EQUALS, "x"), {"a": "y"}, True),
        (Compare("a", Op.EQUALS, True), {"a": 1}, False),  # yes is not the number one
        (Compare("a", Op.EQUALS, Decimal(1)), {"a": True}, False),
        (Compare("a", Op.EQUALS, Decimal(5)), {"a": 5}, True),
        (Compare("a", Op.GREATER_THAN, Decimal(100000)), {"a": Decimal("100000.01")}, True),
        (Compare("a", Op.GREATER_THAN, Decimal(100000)), {"a": Decimal("100000.00")}, False),
        (Compare("a", Op.LESS_THAN, Decimal(3)), {"a": 2}, True),
        (Compare("a", Op.IN, ("x", "y")), {"a": "y"}, True),
        (Compare("a", Op.CONTAINS, "x"), {"a": ("w", "x")}, True),
        (Compare("a", Op.CONTAINS, "x"), {"a": ("w",)}, False),
        (
            AllOf((Compare("a", Op.EQUALS, "x"), Compare("b", Op.EQUALS, "y"))),
            {"a": "x", "b": "z"},
            False,
        ),
        (
            AnyOf((Compare("a", Op.EQUALS, "x"), Compare("b", Op.EQUALS, "y"))),
            {"a": "x", "b": "z"},
            True,
        ),
    ],
)
def test_conditions(condition: Condition, answers: dict[str, Value], expected: bool) -> None:
    assert holds(condition, answers) is expected
