"""Every field type reads its answer into a typed, normalized value or refuses with a code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from form_support import (
    NEW_PERSONAL_CODE,
    OLD_PERSONAL_CODE,
    VALID_IBAN,
    VALID_REGISTRATION_NUMBER,
    field,
    options,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.forms.model import FieldType
from portal.forms.refusals import Code, Refusal
from portal.forms.values import parse

F = FieldType


def refused(result: object, code: Code) -> bool:
    return isinstance(result, Refusal) and result.code is code


def test_text_is_one_clean_line() -> None:
    assert parse(field("t", F.TEXT), "  SIA\n «Ozolkalna\u00a0Koks» \t") == "SIA «Ozolkalna Koks»"
    assert parse(field("t", F.TEXT), "Cafe\u0301") == "Café"  # NFC
    assert refused(parse(field("t", F.TEXT), " \n "), Code.REQUIRED)


def test_long_text_keeps_its_paragraphs() -> None:
    raw = "  Pirmā rindkopa.  \r\n\r\nOtrā\x00 rindkopa.\n"
    assert parse(field("t", F.LONG_TEXT), raw) == "Pirmā rindkopa.\n\nOtrā rindkopa."


def test_money_and_integers_refuse_negative_numbers_unless_allowed() -> None:
    assert refused(parse(field("m", F.MONEY), "-5"), Code.NEGATIVE)
    assert parse(field("m", F.MONEY, negative=True), "-5") == Decimal("-5.00")
    assert refused(parse(field("n", F.INTEGER), "-1"), Code.NEGATIVE)
    assert parse(field("n", F.INTEGER, negative=True), "-1") == -1


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("07.03.2026", date(2026, 3, 7)),
        ("7.3.2026", date(2026, 3, 7)),
        ("07.03.2026.", date(2026, 3, 7)),
        ("2026-03-07", date(2026, 3, 7)),  # the date picker's value
        ("29.02.2028", date(2028, 2, 29)),
    ],
)
def test_dates(raw: str, day: date) -> None:
    assert parse(field("d", F.DATE), raw) == day


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("31.02.2026", Code.NO_SUCH_DATE),
        ("29.02.2027", Code.NO_SUCH_DATE),
        ("2026-13-01", Code.NO_SUCH_DATE),
        ("07/03/2026", Code.NOT_A_DATE),  # 7 March or 3 July? Not our format.
        ("07.03.26", Code.NOT_A_DATE),  # which century?
        ("rīt", Code.NOT_A_DATE),
    ],
)
def test_dates_refused(raw: str, code: Code) -> None:
    assert refused(parse(field("d", F.DATE), raw), code)


@settings(deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_dates_shown_read_back_the_same(day: date) -> None:
    shown = format_date(day, "dd.MM.yyyy", locale="lv")
    assert parse(field("d", F.DATE), shown) == day
    assert parse(field("d", F.DATE), day.isoformat()) == day


def test_a_choice_takes_its_button_id_or_a_label_in_either_language() -> None:
    choice = field("c", F.CHOICE, options=options("investment", "working_capital"))
    assert parse(choice, "investment") == "investment"
    assert parse(choice, "working_capital lv") == "working_capital"
    assert parse(choice, "INVESTMENT EN") == "investment"
    assert refused(parse(choice, "leasing"), Code.UNKNOWN_OPTION)


def test_a_multi_choice_takes_a_list_and_keeps_the_forms_order() -> None:
    multi = field("m", F.MULTI_CHOICE, options=options("a", "b", "c"))
    assert parse(multi, "c lv, a; c") == ("a", "c")
    assert refused(parse(multi, "a, z"), Code.UNKNOWN_OPTION)


@pytest.mark.parametrize(
    ("raw", "answer"),
    [("jā", True), ("Jā!", True), ("ja", True), ("yes", True), ("nē", False), ("No", False)],
)
def test_yes_no(raw: str, answer: bool) -> None:
    assert parse(field("y", F.YES_NO), raw) is answer


def test_yes_no_refuses_anything_else() -> None:
    assert refused(parse(field("y", F.YES_NO), "varbūt"), Code.NOT_YES_NO)


def test_registration_numbers_use_the_checksum() -> None:
    number = field("r", F.REGISTRATION_NUMBER)
    assert parse(number, "LV 4010399 9940") == VALID_REGISTRATION_NUMBER
    assert refused(parse(number, "40103999941"), Code.REGISTRATION_NUMBER)
    assert refused(parse(number, OLD_PERSONAL_CODE), Code.REGISTRATION_NUMBER)


def test_personal_codes_in_both_formats() -> None:
    code = field("p", F.PERSONAL_CODE)
    assert parse(code, "120584-12349") == OLD_PERSONAL_CODE
    assert parse(code, "329876-12345") == NEW_PERSONAL_CODE  # stdnum would refuse this one
    assert refused(parse(code, "120584-12345"), Code.PERSONAL_CODE)


def test_email() -> None:
    email = field("e", F.EMAIL)
    assert parse(email, " Anna.Berzina@Example.LV ") == "Anna.Berzina@example.lv"
    assert refused(parse(email, "anna@"), Code.EMAIL)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("20 000 000", "+37120000000"),
        ("+371 6700 0000", "+37167000000"),
        ("00371 29876543", "+37129876543"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_are_normalized(raw: str, number: str) -> None:
    assert parse(field("p", F.PHONE), raw) == number


@pytest.mark.parametrize("raw", ["12345", "+371 1234 5678", "tālrunis"])
def test_bad_phones(raw: str) -> None:
    assert refused(parse(field("p", F.PHONE), raw), Code.PHONE)


def test_iban_compact_upper_case_and_country() -> None:
    iban = field("i", F.IBAN, countries=("LV",))
    assert parse(iban, "lv80 bank 0000 4351 9500 1") == VALID_IBAN
    assert refused(parse(iban, "LV80BANK0000435195002"), Code.IBAN)
    german = parse(iban, "DE89 3704 0044 0532 0130 00")
    assert german == Refusal(Code.IBAN_COUNTRY, {"countries": ("LV",)})
    assert parse(field("i", F.IBAN), "DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


def _lv_iban(bank: str, account: str) -> str:
    digits = "".join(str(int(c, 36)) for c in f"{bank}{account}LV00")
    return f"LV{98 - int(digits) % 97:02d}{bank}{account}"


lv_ibans = st.builds(
    _lv_iban,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4),
    st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=13, max_size=13),
)


@settings(deadline=None)
@given(lv_ibans, st.sampled_from([" ", ""]), st.booleans())
def test_any_latvian_iban_reads_back_whatever_its_spacing_and_case(
    number: str, gap: str, lower: bool
) -> None:
    shown = gap.join(number[i : i + 4] for i in range(0, len(number), 4))
    assert parse(field("i", F.IBAN, countries=("LV",)), shown.lower() if lower else shown) == number


@settings(deadline=None)
@given(lv_ibans, st.data())
def test_a_mistyped_digit_is_caught(number: str, data: st.DataObject) -> None:
    """ISO 7064 mod 97-10 catches every single wrong digit (letters count as two digits, so
    a letter typed as a digit is not promised)."""
    at = data.draw(st.sampled_from([i for i, c in enumerate(number) if c.isdigit()]))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != number[at]]))
    typo = number[:at] + digit + number[at + 1 :]
    assert refused(parse(field("i", F.IBAN), typo), Code.IBAN)


def test_text_sent_to_a_file_question_asks_for_a_file() -> None:
    assert refused(parse(field("f", F.ATTACHMENT), "here it is"), Code.FILE_EXPECTED)
