"""What the form dialog says: refusals in words, and answers shown in the person's locale.

The engine refuses with a code and typed parameters (`portal.forms.refusals`); here they become
sentences through gettext, with amounts, dates and percentages formatted by Babel for the
current locale (`1 234,50 €`, `07.03.2026` in Latvian). No router: the dialog builds on these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from stdnum import iban

from portal.forms.model import AttachmentRef, Field, FieldType, Form, UnknownField, Value
from portal.forms.refusals import Code, Param, Refusal
from portal.identifiers import mask_personal_code


def _locale() -> str:
    return get_i18n().current_locale


def money_text(amount: Decimal, locale: str) -> str:
    """`1 234,50 €` (lv, no-break spaces) or `€1,234.50` (en)."""
    return format_currency(amount, "EUR", locale=locale)


def number_text(number: int | Decimal, locale: str) -> str:
    return format_decimal(number, locale=locale)


def percent_text(percent: Decimal, locale: str) -> str:
    """`12,5%` (lv) or `12.5%` (en): the value is in percent, not a fraction."""
    return format_percent(percent / 100, format="#,##0.##%", locale=locale)


def date_text(day: date, locale: str) -> str:
    """`07.03.2026` in every locale: the portal's form dates are dd.mm.yyyy."""
    return format_date(day, "dd.MM.yyyy", locale=locale)


def bound_text(field: Field, bound: Param, locale: str) -> str:
    """A refusal's limit in the field's own kind: an amount, a date, a percentage, a number."""
    if isinstance(bound, date):
        return date_text(bound, locale)
    if isinstance(bound, int | Decimal):
        if field.type is FieldType.MONEY:
            return money_text(Decimal(bound), locale)
        if field.type is FieldType.PERCENT:
            return percent_text(Decimal(bound), locale)
        return number_text(bound, locale)
    return str(bound)


def value_text(field: Field, value: Value | None) -> str:
    """An answer as the summary shows it, in the current locale."""
    locale = _locale()
    if value is None:
        return _("not given")
    match field.type:
        case FieldType.MONEY | FieldType.INTEGER | FieldType.PERCENT | FieldType.DATE:
            assert isinstance(value, int | Decimal | date) and not isinstance(value, bool)
            return bound_text(field, value, locale)
        case FieldType.YES_NO:
            return _("Yes") if value is True else _("No")
        case FieldType.CHOICE:
            return _option_label(field, value, locale)
        case FieldType.MULTI_CHOICE:
            assert isinstance(value, tuple)
            return ", ".join(_option_label(field, v, locale) for v in value)
        case FieldType.ATTACHMENT:
            assert isinstance(value, tuple)
            return ", ".join(f.name for f in value if isinstance(f, AttachmentRef))
        case FieldType.PERSONAL_CODE:
            assert isinstance(value, str)
            return mask_personal_code(value)
        case FieldType.IBAN:
            assert isinstance(value, str)
            return str(iban.format(value))
    return str(value)


def _option_label(field: Field, option_id: object, locale: str) -> str:
    option = field.option(str(option_id))
    return option.label.get(locale) if option else str(option_id)


def question_text(field: Field) -> str:
    """The question and, on its own line, the hint — in the current locale."""
    locale = _locale()
    text = (field.question or field.label).get(locale)
    return f"{text}\n{field.hint.get(locale)}" if field.hint else text


def accumulating_hint(field: Field) -> str:
    """For questions answered bit by bit: how to go on and how to finish."""
    if field.type is FieldType.LONG_TEXT:
        return _("You may send the text in several messages; press «Done» when it is complete.")
    if field.type is FieldType.MULTI_CHOICE:
        return _("Tap every option that fits, then press «Done».")
    return ngettext(
        "You can attach {count} file here. Send it as a document or a photo, then press «Done».",
        "You can attach up to {count} files here. Send them as documents or photos, then "
        "press «Done».",
        field.max_files,
    ).format(count=field.max_files)


def refusal_text(form: Form, field: Field, refusal: Refusal) -> str:
    """Why the answer to `field` was refused, as a sentence in the current locale."""
    locale = _locale()
    params = refusal.params
    special = _SPECIAL.get(refusal.code)
    if special is not None:
        return special(form, field, params, locale)
    return _simple(refusal.code)


def _simple(code: Code) -> str:
    match code:
        case Code.NOT_WHOLE:
            return _("Please type a whole number, without decimals.")
        case Code.NEGATIVE:
            return _("The number cannot be negative.")
        case Code.NOT_A_DATE:
            return _(
                "Please type the date as dd.mm.yyyy, e.g. {example}, or pick it in the calendar."
            ).format(example=date.today().strftime("%d.%m.%Y"))
        case Code.NO_SUCH_DATE:
            return _("There is no such date. Please check the day and the month.")
        case Code.UNKNOWN_OPTION:
            return _("Please choose one of the buttons.")
        case Code.NOT_YES_NO:
            return _("Please answer with the buttons «Yes» or «No».")
        case Code.REGISTRATION_NUMBER:
            return _(
                "This is not a valid registration number: 11 digits with a correct check "
                "digit, e.g. 40103999940. Please type it again."
            )
        case Code.PERSONAL_CODE:
            return _("This is not a valid personal code. Please check it and type it again.")
        case Code.EMAIL:
            return _(
                "This does not look like an e-mail address, e.g. anna@example.lv. Please "
                "type it again."
            )
        case Code.PHONE:
            return _(
                "This does not look like a phone number, e.g. +371 20000000. Please type it again."
            )
        case Code.IBAN:
            return _(
                "This is not a valid account number (IBAN). Check it for typos; an IBAN "
                "looks like LV80BANK0000435195001."
            )
        case Code.FILE_EXPECTED:
            return _("Please send a file here, as a document or a photo.")
        case Code.DUPLICATE_FILE:
            return _("This file is already attached.")
    raise KeyError(code)  # every other code has its own function in _SPECIAL


Special = Callable[[Form, Field, Mapping[str, Param], str], str]


def _required(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    if field.type is FieldType.MULTI_CHOICE:
        return _("Please choose at least one option.")
    if field.type is FieldType.ATTACHMENT:
        return _("Please send at least one file.")
    return _("This question needs an answer.")


def _count(params: Mapping[str, Param], name: str) -> int:
    value = params[name]
    return int(value) if isinstance(value, int | Decimal) else 0


def _too_short(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "min")
    return ngettext(
        "Please write at least {count} character.", "Please write at least {count} characters.", n
    ).format(count=n)


def _too_long(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "max")
    return ngettext(
        "This is too long: at most {count} character.",
        "This is too long: at most {count} characters.",
        n,
    ).format(count=number_text(n, locale))


def _pattern(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    if "example" in params:
        return _("The answer is not in the expected form, e.g. {example}.").format(
            example=params["example"]
        )
    return _("The answer is not in the expected form.")


def _not_a_number(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    if field.type is FieldType.MONEY:
        return _("This is not an amount. Please type it like 1234.50.")
    if field.type is FieldType.PERCENT:
        return _("Please type a percentage, e.g. 12.5.")
    return _("Please type a whole number, e.g. 12.")


def _ambiguous(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    example = format_decimal(Decimal("1234.50"), format="0.00", locale=locale)
    if field.type is not FieldType.MONEY:
        example = "1234"
    return _(
        "It is not clear whether the comma or point separates thousands or decimals. "
        "Please type the number without a thousands separator, e.g. {example}."
    ).format(example=example)


def _decimals(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "decimals")
    return ngettext(
        "At most {count} digit may follow the decimal comma.",
        "At most {count} digits may follow the decimal comma.",
        n,
    ).format(count=n)


def _other_label(form: Form, params: Mapping[str, Param], locale: str) -> str:
    try:
        return form.field(str(params["field"])).label.get(locale)
    except UnknownField:
        return str(params["field"])


def _below(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    limit = bound_text(field, params["min"], locale)
    if "field" in params:
        return _("The value cannot be less than «{other}» ({limit}).").format(
            other=_other_label(form, params, locale), limit=limit
        )
    return _("The smallest allowed value is {limit}.").format(limit=limit)


def _above(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    limit = bound_text(field, params["max"], locale)
    if params.get("context") == "deal.undrawn_balance":
        return _("The amount exceeds the deal's undrawn balance ({limit}).").format(limit=limit)
    if params.get("context") == "deal.amount":
        return _("The amount exceeds the deal's amount ({limit}).").format(limit=limit)
    if "field" in params:
        return _("The value cannot be more than «{other}» ({limit}).").format(
            other=_other_label(form, params, locale), limit=limit
        )
    return _("The largest allowed value is {limit}.").format(limit=limit)


def _too_early(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    limit = bound_text(field, params["min"], locale)
    if "field" in params:
        return _("The date cannot be before «{other}» ({limit}).").format(
            other=_other_label(form, params, locale), limit=limit
        )
    return _("The earliest possible date is {limit}.").format(limit=limit)


def _too_late(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    limit = bound_text(field, params["max"], locale)
    if "field" in params:
        return _("The date cannot be after «{other}» ({limit}).").format(
            other=_other_label(form, params, locale), limit=limit
        )
    return _("The latest possible date is {limit}.").format(limit=limit)


def _too_few(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "min")
    return ngettext(
        "Please choose at least {count} option.", "Please choose at least {count} options.", n
    ).format(count=n)


def _too_many(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "max")
    return ngettext(
        "You may choose at most {count} option.", "You may choose at most {count} options.", n
    ).format(count=n)


def _iban_country(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    countries = params["countries"]
    codes = ", ".join(countries) if isinstance(countries, tuple) else str(countries)
    return _("Please give an account whose IBAN starts with {codes}.").format(codes=codes)


def _file_kind(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    kinds = params["kinds"]
    names = ", ".join(k.upper() for k in kinds) if isinstance(kinds, tuple) else str(kinds)
    return _("This kind of file is not accepted here. Allowed: {kinds}.").format(kinds=names)


def _too_many_files(form: Form, field: Field, params: Mapping[str, Param], locale: str) -> str:
    n = _count(params, "max")
    return ngettext(
        "At most {count} file can be attached here.",
        "At most {count} files can be attached here.",
        n,
    ).format(count=n)


_SPECIAL: dict[Code, Special] = {
    Code.REQUIRED: _required,
    Code.TOO_SHORT: _too_short,
    Code.TOO_LONG: _too_long,
    Code.PATTERN: _pattern,
    Code.NOT_A_NUMBER: _not_a_number,
    Code.AMBIGUOUS_NUMBER: _ambiguous,
    Code.TOO_MANY_DECIMALS: _decimals,
    Code.BELOW_MIN: _below,
    Code.ABOVE_MAX: _above,
    Code.DATE_TOO_EARLY: _too_early,
    Code.DATE_TOO_LATE: _too_late,
    Code.TOO_FEW_CHOICES: _too_few,
    Code.TOO_MANY_CHOICES: _too_many,
    Code.IBAN_COUNTRY: _iban_country,
    Code.FILE_KIND: _file_kind,
    Code.TOO_MANY_FILES: _too_many_files,
}
