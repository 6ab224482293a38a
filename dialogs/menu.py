"""The main menu: only sections that work. A section joins when its issue lands."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from dialogs.callbacks import MenuAction

HELP = "help"
LANGUAGE = "language"
SECTIONS = (HELP, LANGUAGE)


def main_menu_text() -> str:
    return _("<b>Main menu</b>\nChoose what you want to do.")


def main_menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("ℹ️ Help and portal map"), callback_data=MenuAction(section=HELP))
    builder.button(text=_("🌐 Language"), callback_data=MenuAction(section=LANGUAGE))
    builder.adjust(1)
    return builder.as_markup()


def back_to_menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    return builder.as_markup()
