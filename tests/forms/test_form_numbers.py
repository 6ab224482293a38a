"""Money, integers and percentages read the way Latvians and others type them (issue 9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.forms.numbers import parse_integer, parse_money, parse_percent
from portal.forms.refusals import Code, Refusal


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("1 234,50", "1234.50"),
        ("1234.5", "1234.50"),
        ("1 234 €", "1234.00"),
        ("1\u00a0234,50\u00a0€", "1234.50"),  # Babel lv: no-break spaces
        ("1\u202f234,5", "1234.50"),  # narrow no-break space
        ("€1,234.50", "1234.50"),  # Babel en
        ("1.234,50", "1234.50"),
        ("1,234,567", "1234567.00"),
        ("EUR 100", "100.00"),
        ("100 eur.", "100.00"),
        ("12 345 678,90 EUR", "12345678.90"),
        ("0,5", "0.50"),
        ("0.125 ", None),
        ("  7 ", "7.00"),
    ],
)
def test_money_reads_the_usual_spellings(raw: str, amount: str | None) -> None:
    result = parse_money(raw)
    if amount is None:
        assert result == Refusal(Code.TOO_MANY_DECIMALS, {"decimals": 2})
    else:
        assert result == Decimal(amount)
        assert isinstance(result, Decimal) and result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1,234", Code.AMBIGUOUS_NUMBER),  # a thousand and more, or one and a bit?
        ("1.234", Code.AMBIGUOUS_NUMBER),
        ("100.000 €", Code.AMBIGUOUS_NUMBER),
        ("0,125", Code.TOO_MANY_DECIMALS),  # a leading zero is never thousands
        ("1234,567", Code.TOO_MANY_DECIMALS),  # four digits before: not grouped
        ("1 234,567", Code.TOO_MANY_DECIMALS),  # spaces group, so the comma is decimal
        ("1 2345", Code.NOT_A_NUMBER),
        ("12,", Code.NOT_A_NUMBER),
        (".5", Code.NOT_A_NUMBER),
        ("1.234.5", Code.NOT_A_NUMBER),
        ("1,234,56.7", Code.NOT_A_NUMBER),
        ("1 234.567,50", Code.NOT_A_NUMBER),  # two kinds of thousands separator
        ("abc", Code.NOT_A_NUMBER),
        ("12 dollars", Code.NOT_A_NUMBER),
        ("", Code.NOT_A_NUMBER),
        ("1234567890123456", Code.ABOVE_MAX),
    ],
)
def test_money_refuses_what_cannot_be_read_one_way(raw: str, code: Code) -> None:
    result = parse_money(raw)
    assert isinstance(result, Refusal) and result.code is code


def test_negative_money_is_read_and_left_to_the_field_to_refuse() -> None:
    assert parse_money("-5") == Decimal("-5.00")
    assert parse_money("\u2212 1 000") == Decimal("-1000.00")


@pytest.mark.parametrize(
    ("raw", "number"), [("12", 12), ("1 234", 1234), ("12,0", 12), ("-3", -3), ("007", 7)]
)
def test_integers(raw: str, number: int) -> None:
    assert parse_integer(raw) == number


@pytest.mark.parametrize(
    ("raw", "code"),
    [("12,5", Code.NOT_WHOLE), ("1,234", Code.AMBIGUOUS_NUMBER), ("x", Code.NOT_A_NUMBER)],
)
def test_integers_refused(raw: str, code: Code) -> None:
    result = parse_integer(raw)
    assert isinstance(result, Refusal) and result.code is code


@pytest.mark.parametrize(
    ("raw", "percent"), [("3,5", "3.5"), ("3.5 %", "3.5"), ("12,25%", "12.25"), ("100", "100")]
)
def test_percentages(raw: str, percent: str) -> None:
    assert parse_percent(raw) == Decimal(percent)


def test_percent_with_three_decimals_is_refused() -> None:
    assert parse_percent("3,125 %") == Refusal(Code.TOO_MANY_DECIMALS, {"decimals": 2})


cents = st.integers(min_value=0, max_value=10**14 - 1).map(lambda n: Decimal(n).scaleb(-2))


@settings(deadline=None)
@given(cents)
def test_money_shown_by_babel_reads_back_the_same(amount: Decimal) -> None:
    for shown in (
        format_currency(amount, "EUR", locale="lv"),
        format_currency(amount, "EUR", locale="en"),
        format_currency(amount, "EUR", locale="de"),
        format_decimal(amount, format="#,##0.00", locale="lv"),
        f"{amount:,.2f}",
        f"{amount:.2f}",
        f"{amount:.2f}".replace(".", ","),
    ):
        assert parse_money(shown) == amount, shown


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**14))
def test_integers_shown_by_babel_lv_read_back_the_same(number: int) -> None:
    assert parse_integer(format_decimal(number, locale="lv")) == number
    assert parse_integer(str(number)) == number
