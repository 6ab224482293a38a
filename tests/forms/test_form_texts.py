"""Every refusal code says why in Latvian and English, and answers are shown the way each
locale writes them (Babel): `1 234,50 €`, `07.03.2026`, `12,5%`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from aiogram.utils.i18n import I18n
from form_support import OLD_PERSONAL_CODE, VALID_IBAN, document, field, form, options, step

from bot.i18n import create_i18n
from dialogs.form_texts import (
    accumulating_hint,
    date_text,
    money_text,
    percent_text,
    question_text,
    refusal_text,
    value_text,
)
from portal.forms.model import Field, FieldType, Form, Text, Value
from portal.forms.refusals import Code, Param, Refusal

F = FieldType
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def i18n() -> Iterator[I18n]:
    i18n = create_i18n()
    with i18n.context():
        yield i18n


def sample_form() -> Form:
    return form(
        step(
            "s",
            field("cost", F.MONEY),
            field("amount", F.MONEY),
            field("start", F.DATE),
            field("end", F.DATE),
        )
    )


# One realistic refusal of each code, with the field it would come from.
EXAMPLES: dict[Code, tuple[FieldType, dict[str, Param]]] = {
    Code.REQUIRED: (F.TEXT, {}),
    Code.TOO_SHORT: (F.LONG_TEXT, {"min": 10}),
    Code.TOO_LONG: (F.TEXT, {"max": 500}),
    Code.PATTERN: (F.TEXT, {"example": "16.10"}),
    Code.NOT_A_NUMBER: (F.MONEY, {}),
    Code.AMBIGUOUS_NUMBER: (F.MONEY, {}),
    Code.TOO_MANY_DECIMALS: (F.MONEY, {"decimals": 2}),
    Code.NOT_WHOLE: (F.INTEGER, {}),
    Code.NEGATIVE: (F.MONEY, {}),
    Code.BELOW_MIN: (F.MONEY, {"min": Decimal("2000")}),
    Code.ABOVE_MAX: (F.MONEY, {"max": Decimal("50000"), "context": "deal.undrawn_balance"}),
    Code.NOT_A_DATE: (F.DATE, {}),
    Code.NO_SUCH_DATE: (F.DATE, {}),
    Code.DATE_TOO_EARLY: (F.DATE, {"min": date(2026, 3, 2), "context": "today"}),
    Code.DATE_TOO_LATE: (F.DATE, {"max": date(2027, 3, 2)}),
    Code.UNKNOWN_OPTION: (F.CHOICE, {}),
    Code.TOO_FEW_CHOICES: (F.MULTI_CHOICE, {"min": 2}),
    Code.TOO_MANY_CHOICES: (F.MULTI_CHOICE, {"max": 3}),
    Code.NOT_YES_NO: (F.YES_NO, {}),
    Code.REGISTRATION_NUMBER: (F.REGISTRATION_NUMBER, {}),
    Code.PERSONAL_CODE: (F.PERSONAL_CODE, {}),
    Code.EMAIL: (F.EMAIL, {}),
    Code.PHONE: (F.PHONE, {}),
    Code.IBAN: (F.IBAN, {}),
    Code.IBAN_COUNTRY: (F.IBAN, {"countries": ("LV",)}),
    Code.FILE_EXPECTED: (F.ATTACHMENT, {}),
    Code.FILE_KIND: (F.ATTACHMENT, {"kinds": ("pdf", "edoc")}),
    Code.TOO_MANY_FILES: (F.ATTACHMENT, {"max": 5}),
    Code.DUPLICATE_FILE: (F.ATTACHMENT, {}),
}


def say(i18n: I18n, locale: str, f: Field, refusal: Refusal) -> str:
    with i18n.use_locale(locale):
        return refusal_text(sample_form(), f, refusal)


def test_every_code_has_an_example() -> None:
    assert set(EXAMPLES) == set(Code)


@pytest.mark.parametrize("code", list(Code))
def test_every_refusal_is_said_in_latvian_and_english(i18n: I18n, code: Code) -> None:
    field_type, params = EXAMPLES[code]
    f = field("x", field_type, options=options("a", "b", "c") if "choice" in field_type else ())
    lv, en = (say(i18n, locale, f, Refusal(code, params)) for locale in ("lv", "en"))
    assert lv and en and lv != en
    assert "{" not in lv + en and "}" not in lv + en


def test_the_deals_balance_is_named_and_formatted_in_each_locale(i18n: I18n) -> None:
    refusal = Refusal(Code.ABOVE_MAX, {"max": Decimal("50000"), "context": "deal.undrawn_balance"})
    amount = field("amount", F.MONEY)
    assert say(i18n, "lv", amount, refusal) == (
        f"Summa pārsniedz darījuma neizmaksāto atlikumu (50{NBSP}000,00{NBSP}€)."
    )
    assert say(i18n, "en", amount, refusal) == (
        "The amount exceeds the deal's undrawn balance (€50,000.00)."
    )


def test_a_bound_from_another_answer_names_that_question(i18n: I18n) -> None:
    refusal = Refusal(Code.ABOVE_MAX, {"max": Decimal("4000"), "field": "cost"})
    text = say(i18n, "lv", field("amount", F.MONEY), refusal)
    assert text == f"Vērtība nevar būt lielāka par «cost (lv)» (4{NBSP}000,00{NBSP}€)."


def test_dates_in_refusals(i18n: I18n) -> None:
    refusal = Refusal(Code.DATE_TOO_EARLY, {"min": date(2026, 3, 2), "context": "today"})
    assert say(i18n, "lv", field("d", F.DATE), refusal) == (
        "Agrākais iespējamais datums ir 02.03.2026."
    )


@pytest.mark.parametrize(
    ("count", "word"),
    [(0, "rakstzīmju"), (1, "rakstzīmi"), (2, "rakstzīmes"), (11, "rakstzīmju"), (21, "rakstzīmi")],
)
def test_latvian_plurals(i18n: I18n, count: int, word: str) -> None:
    refusal = Refusal(Code.TOO_SHORT, {"min": count})
    text = say(i18n, "lv", field("t", F.LONG_TEXT), refusal)
    assert text == f"Lūdzu, uzrakstiet vismaz {count} {word}."


def test_the_ambiguity_example_uses_the_locales_decimal_mark(i18n: I18n) -> None:
    refusal = Refusal(Code.AMBIGUOUS_NUMBER)
    assert "1234,50" in say(i18n, "lv", field("m", F.MONEY), refusal)
    assert "1234.50" in say(i18n, "en", field("m", F.MONEY), refusal)


def test_money_dates_and_percentages_through_babel() -> None:
    assert money_text(Decimal("1234.5"), "lv") == f"1{NBSP}234,50{NBSP}€"
    assert money_text(Decimal("1234.5"), "en") == "€1,234.50"
    assert date_text(date(2026, 3, 7), "lv") == "07.03.2026"
    assert date_text(date(2026, 3, 7), "en") == "07.03.2026"
    assert percent_text(Decimal("12.5"), "lv") == "12,5%"
    assert percent_text(Decimal("12.5"), "en") == "12.5%"


def test_answers_as_the_summary_shows_them(i18n: I18n) -> None:
    shown: dict[tuple[FieldType, Value | None], str] = {
        (F.MONEY, Decimal("150000")): f"150{NBSP}000,00{NBSP}€",
        (F.INTEGER, 1234): f"1{NBSP}234",
        (F.PERCENT, Decimal("3.5")): "3,5%",
        (F.DATE, date(2026, 3, 7)): "07.03.2026",
        (F.YES_NO, True): "Jā",
        (F.YES_NO, False): "Nē",
        (F.CHOICE, "b"): "B lv",
        (F.MULTI_CHOICE, ("a", "c")): "A lv, C lv",
        (F.PERSONAL_CODE, OLD_PERSONAL_CODE): "120584-*****",
        (F.IBAN, VALID_IBAN): "LV80 BANK 0000 4351 9500 1",
        (F.ATTACHMENT, (document(1), document(2))): "file-1.pdf, file-2.pdf",
        (F.TEXT, None): "nav norādīts",
    }
    with i18n.use_locale("lv"):
        for (field_type, value), text in shown.items():
            f = field("x", field_type, options=options("a", "b", "c"))
            assert value_text(f, value) == text


def test_questions_and_hints_in_the_persons_language(i18n: I18n) -> None:
    f = field("x", F.LONG_TEXT)
    asked = Field(
        id="x",
        type=F.TEXT,
        label=Text("Summa", "Amount"),
        question=Text("Kāda summa?", "What amount?"),
        hint=Text("Piemēram, 100", "E.g. 100"),
    )
    with i18n.use_locale("lv"):
        assert question_text(asked) == "Kāda summa?\nPiemēram, 100"
        assert "«Gatavs»" in accumulating_hint(f)
    with i18n.use_locale("en"):
        assert question_text(asked) == "What amount?\nE.g. 100"
        assert "«Done»" in accumulating_hint(f)
