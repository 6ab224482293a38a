"""Reading numbers as people type them: `1 234,50`, `1234.5`, `1.234,50 €`, `€1,234.50`.

Spaces of any kind (also the no-break and narrow no-break spaces Babel writes for `lv`) group
thousands; both `,` and `.` are decimal marks. What cannot be read one way only is refused:
`1,234` may be a thousand or one and a bit, so the person is asked to write it unambiguously.
"""

from __future__ import annotations

import re
from decimal import Decimal

from portal.forms.refusals import Code, Refusal, refuse

_SPACES = "\u0020\u00a0\u202f\u2009\u2007"
_CURRENCY = re.compile(r"^(?:€|eur\b|euro\b|eiro\b)?\s*(.*?)\s*(?:€|(?:eur|euro|eiro)\.?)?$", re.I)
_PERCENT = re.compile(r"^(.*?)\s*%$")
INTEGER_DIGITS = 15  # beyond a trillion nothing in these forms is meant seriously
LIMIT = Decimal(10) ** INTEGER_DIGITS


def parse_decimal(
    raw: str, *, decimals: int, money: bool = False, marks_group: bool = True
) -> Decimal | Refusal:
    """A number with at most `decimals` decimal places; a currency sign is allowed for money.
    `marks_group=False`: `,` and `.` are only decimal marks (percentages are never thousands)."""
    text = raw.strip()
    for space in _SPACES[1:]:
        text = text.replace(space, " ")
    if money:
        match = _CURRENCY.match(text)
        text = match.group(1) if match else text
    negative = text[:1] in ("-", "\u2212")
    if negative:
        text = text[1:].lstrip()
    if not text or not re.fullmatch(r"[\d .,]+", text) or not text[0].isdigit():
        return refuse(Code.NOT_A_NUMBER)
    split = _split(text, marks_group)
    if isinstance(split, Refusal):
        return split
    whole, fraction = split
    if len(fraction) > decimals:
        return refuse(Code.TOO_MANY_DECIMALS, decimals=decimals)
    value = Decimal(f"{whole}.{fraction or '0'}")
    if value >= LIMIT:
        if negative:
            return refuse(Code.BELOW_MIN, min=1 - LIMIT)
        return refuse(Code.ABOVE_MAX, max=LIMIT - 1)
    return -value if negative else value


def _split(text: str, marks_group: bool) -> tuple[str, str] | Refusal:
    """Whole digits and fraction digits, or why they cannot be told apart."""
    commas, dots = text.count(","), text.count(".")
    mark: str | None = None  # the decimal mark
    if not marks_group and commas + dots:
        if commas + dots > 1:
            return refuse(Code.NOT_A_NUMBER)
        mark = "," if commas else "."
    elif commas and dots:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        if text.count(mark) > 1:
            return refuse(Code.NOT_A_NUMBER)
    elif commas == 1 or dots == 1:
        mark = "," if commas else "."
        whole, fraction = text.split(mark)
        if len(fraction) == 3 and " " not in whole and 1 <= len(whole) <= 3 and whole != "0":
            return refuse(Code.AMBIGUOUS_NUMBER)
    if mark is None:
        whole, fraction = text, ""
    else:
        whole, fraction = text.split(mark)
        if not fraction.isdigit():
            return refuse(Code.NOT_A_NUMBER)
    digits = _ungroup(whole)
    if digits is None:
        return refuse(Code.NOT_A_NUMBER)
    return digits, fraction


def _ungroup(whole: str) -> str | None:
    """`1 234 567`, `1.234.567`, `1,234,567` or plain digits; groups of three after the first."""
    if whole.isdigit():
        return whole
    separators = {c for c in whole if not c.isdigit()}
    if len(separators) != 1:
        return None
    (separator,) = separators
    if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(separator)}\d{{3}})+", whole):
        return None
    return whole.replace(separator, "")


def parse_money(raw: str) -> Decimal | Refusal:
    value = parse_decimal(raw, decimals=2, money=True)
    if isinstance(value, Refusal):
        return value
    return value.quantize(Decimal("0.01"))


def parse_integer(raw: str) -> int | Refusal:
    value = parse_decimal(raw, decimals=INTEGER_DIGITS)
    if isinstance(value, Refusal):
        if value.code is Code.TOO_MANY_DECIMALS:
            return refuse(Code.NOT_WHOLE)
        return value
    if value != value.to_integral_value():
        return refuse(Code.NOT_WHOLE)
    return int(value)


def parse_percent(raw: str) -> Decimal | Refusal:
    text = raw.strip()
    match = _PERCENT.match(text)
    return parse_decimal(match.group(1) if match else text, decimals=2, marks_group=False)


def plain(value: Decimal) -> str:
    """`3.5`, `100`, `0.25`: no exponent, no trailing zeros (the canonical form of a percent)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
