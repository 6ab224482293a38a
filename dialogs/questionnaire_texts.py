"""What «Anketas» says, apart from its router: the form dialog (shared with the applications)
uses these for the words that differ when the form is a questionnaire."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from dialogs.application_texts import form_title
from dialogs.callbacks import MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from portal.forms import Form

QUESTIONNAIRES = "qs"  # the section's menu key
RIGA = ZoneInfo("Europe/Riga")


def day_text(moment: datetime) -> str:
    """A submission's date as the portal shows dates (`07.03.2026`), in Riga."""
    day = moment.astimezone(RIGA).date()
    return format_date(day, "dd.MM.yyyy", locale=get_i18n().current_locale)


def back_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📋 Questionnaires"), callback_data=MenuAction(section=QUESTIONNAIRES))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def submitted_text(form: Form) -> str:
    return _("📤 «{title}» was submitted to ALTUM. Thank you!").format(title=form_title(form))


def saved_text(draft_id: int) -> str:
    return _(
        "💾 Draft No. {id} is saved. Continue it from «Questionnaires» in the main menu."
    ).format(id=draft_id)


def cancelled_text() -> str:
    return _("✖️ The questionnaire was cancelled and its draft deleted.")
