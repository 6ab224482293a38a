"""Rules on answers: bounds (literal, from the context, from another answer), lengths,
patterns, choices and files."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from form_support import TODAY, context, document, field, form, one, options, step

from portal.forms import engine
from portal.forms.engine import MissingContext, answer, validate_form
from portal.forms.model import Answers, ContextRef, FieldRef, FieldType, Form, Rules
from portal.forms.refusals import Code, Refusal

F = FieldType


def amount_form() -> Form:
    return one(
        field(
            "amount",
            F.MONEY,
            rules=Rules(min=(Decimal("0.01"),), max=(ContextRef("deal.undrawn_balance"),)),
        )
    )


def test_an_amount_above_the_deals_undrawn_balance_is_refused_with_the_balance() -> None:
    refusal = answer(amount_form(), {}, "amount", "50 000,01", context=context())
    assert refusal == Refusal(
        Code.ABOVE_MAX, {"max": Decimal("50000.00"), "context": "deal.undrawn_balance"}
    )
    assert answer(amount_form(), {}, "amount", "50 000", context=context()) == {
        "amount": Decimal("50000.00")
    }


def test_a_context_bound_waits_while_the_context_is_unknown_but_not_at_submission() -> None:
    answers = answer(amount_form(), {}, "amount", "90 000", context={})
    assert answers == {"amount": Decimal("90000.00")}
    with pytest.raises(MissingContext, match=r"deal\.undrawn_balance"):
        validate_form(amount_form(), answers, context={})
    problems = validate_form(amount_form(), answers, context=context())
    assert [(p.field, p.refusal.code) for p in problems] == [("amount", Code.ABOVE_MAX)]


def test_a_context_value_of_the_wrong_type_is_a_callers_bug() -> None:
    with pytest.raises(TypeError):
        validate_form(amount_form(), {}, context=context(**{"deal.undrawn_balance": "50000"}))


def test_below_a_literal_minimum() -> None:
    refusal = answer(amount_form(), {}, "amount", "0", context=context())
    assert refusal == Refusal(Code.BELOW_MIN, {"min": Decimal("0.01")})


def test_every_bound_of_a_list_must_hold_and_a_field_bound_names_the_field() -> None:
    shape = form(
        step(
            "s",
            field("cost", F.MONEY),
            field("amount", F.MONEY, rules=Rules(max=(Decimal(5000), FieldRef("cost")))),
        )
    )
    answers = answer(shape, {}, "cost", "3000", context={})
    assert not isinstance(answers, Refusal)
    assert answer(shape, answers, "amount", "3000,01", context={}) == Refusal(
        Code.ABOVE_MAX, {"max": Decimal("3000.00"), "field": "cost"}
    )
    cheap = answer(shape, {}, "cost", "9000", context={})
    assert not isinstance(cheap, Refusal)
    assert answer(shape, cheap, "amount", "5000,01", context={}) == Refusal(
        Code.ABOVE_MAX, {"max": Decimal(5000)}
    )


def test_dates_from_today_with_an_offset() -> None:
    planned = one(
        field(
            "planned",
            F.DATE,
            rules=Rules(min=(ContextRef("today"),), max=(ContextRef("today", days=365),)),
        )
    )
    yesterday = (TODAY - timedelta(days=1)).strftime("%d.%m.%Y")
    assert answer(planned, {}, "planned", yesterday, context=context()) == Refusal(
        Code.DATE_TOO_EARLY, {"min": TODAY, "context": "today"}
    )
    late = (TODAY + timedelta(days=366)).isoformat()
    refusal = answer(planned, {}, "planned", late, context=context())
    assert refusal == Refusal(
        Code.DATE_TOO_LATE, {"max": TODAY + timedelta(days=365), "context": "today"}
    )
    assert answer(planned, {}, "planned", TODAY.isoformat(), context=context()) == {
        "planned": TODAY
    }


def test_default_bounds_catch_typos_in_years_and_percentages() -> None:
    assert answer(one(field("d", F.DATE)), {}, "d", "07.03.0202", context={}) == Refusal(
        Code.DATE_TOO_EARLY, {"min": date(1900, 1, 1)}
    )
    assert answer(one(field("p", F.PERCENT)), {}, "p", "120", context={}) == Refusal(
        Code.ABOVE_MAX, {"max": Decimal(100)}
    )


def test_integer_bounds() -> None:
    term = one(field("term", F.INTEGER, rules=Rules(min=(Decimal(1),), max=(Decimal(60),))))
    assert answer(term, {}, "term", "61", context={}) == Refusal(
        Code.ABOVE_MAX, {"max": Decimal(60)}
    )
    assert answer(term, {}, "term", "60", context={}) == {"term": 60}


def test_text_lengths_and_the_default_maximum() -> None:
    name = one(field("name", F.TEXT, rules=Rules(min_length=3, max_length=10)))
    assert answer(name, {}, "name", "ab", context={}) == Refusal(Code.TOO_SHORT, {"min": 3})
    assert answer(name, {}, "name", "a" * 11, context={}) == Refusal(Code.TOO_LONG, {"max": 10})
    free = one(field("free", F.TEXT))
    assert answer(free, {}, "free", "a" * 501, context={}) == Refusal(Code.TOO_LONG, {"max": 500})


def test_a_pattern_refuses_with_its_example() -> None:
    nace = one(
        field("nace", F.TEXT, rules=Rules(pattern=r"\d{2}(\.\d{1,2}){0,2}", example="16.10"))
    )
    assert answer(nace, {}, "nace", "16.10", context={}) == {"nace": "16.10"}
    assert answer(nace, {}, "nace", "16-10", context={}) == Refusal(
        Code.PATTERN, {"example": "16.10"}
    )


def test_choice_counts() -> None:
    multi = one(
        field(
            "m",
            F.MULTI_CHOICE,
            options=options("a", "b", "c"),
            rules=Rules(min_choices=2, max_choices=2),
        )
    )
    assert answer(multi, {}, "m", "a", context={}) == Refusal(Code.TOO_FEW_CHOICES, {"min": 2})
    assert answer(multi, {}, "m", "a, b, c", context={}) == Refusal(
        Code.TOO_MANY_CHOICES, {"max": 2}
    )
    assert answer(multi, {}, "m", "b, a", context={}) == {"m": ("a", "b")}


def test_files_by_kind_count_and_content() -> None:
    files = one(field("f", F.ATTACHMENT, kinds=("pdf", "edoc"), max_files=2))
    added = engine.add_attachment(files, {}, "f", document(1))
    assert added == {"f": (document(1),)}
    assert engine.add_attachment(files, {}, "f", document(2, "docx")) == Refusal(
        Code.FILE_KIND, {"kinds": ("pdf", "edoc")}
    )
    assert not isinstance(added, Refusal)
    assert engine.add_attachment(files, added, "f", document(1)) == Refusal(Code.DUPLICATE_FILE)
    two = engine.add_attachment(files, added, "f", document(2, "edoc"))
    assert not isinstance(two, Refusal)
    assert engine.add_attachment(files, two, "f", document(3)) == Refusal(
        Code.TOO_MANY_FILES, {"max": 2}
    )


def test_the_server_rechecks_values_that_did_not_come_through_parsing() -> None:
    shape = form(
        step(
            "s",
            field("iban", F.IBAN, countries=("LV",)),
            field("money", F.MONEY),
            field("choice", F.CHOICE, options=options("a", "b")),
            field("regno", F.REGISTRATION_NUMBER),
        )
    )
    tampered: Answers = {
        "iban": "LV80BANK0000435195002",
        "money": Decimal("1.005"),
        "choice": "z",
        "regno": "40103999941",
    }
    problems = validate_form(shape, tampered, context={})
    assert [(p.field, p.refusal.code) for p in problems] == [
        ("iban", Code.IBAN),
        ("money", Code.TOO_MANY_DECIMALS),
        ("choice", Code.UNKNOWN_OPTION),
        ("regno", Code.REGISTRATION_NUMBER),
    ]
