"""The command menu Telegram shows next to the text field, per language: the registered
sections' commands, in registry order."""

from __future__ import annotations

from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from dialogs.routers import registered_sections
from dialogs.sections import Sections


def bot_commands(i18n: I18n, locale: str, sections: Sections | None = None) -> list[BotCommand]:
    sections = sections or registered_sections()
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command=command.name, description=str(command.description))
            for command in sections.commands()
        ]
