"""The inline keyboard builder the dialogs use: aiogram's, without its quadratic copying."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramBuilder


class InlineKeyboardBuilder(_AiogramBuilder):
    """aiogram's builder deep-copies the whole keyboard for every button it adds, so a
    keyboard of n buttons costs n deep copies: a date question's calendar (40-odd buttons)
    or a summary's ✏️ buttons made it about a tenth of a form step's CPU. Here the rows are
    copied and the buttons shared; nothing here changes a button after making it."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
