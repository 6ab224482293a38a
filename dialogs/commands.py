"""The command menu Telegram shows next to the text field, per language."""

from __future__ import annotations

from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def bot_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command="start", description=_("Greeting and the main menu")),
            BotCommand(command="login", description=_("Log in with Latvija.lv or eParaksts")),
            BotCommand(command="client", description=_("Choose the client you act for")),
            BotCommand(command="register", description=_("Register a new client")),
            BotCommand(command="help", description=_("Portal map: what I can do")),
            BotCommand(command="language", description=_("Change the language")),
            BotCommand(command="cancel", description=_("Stop what you are doing")),
            BotCommand(command="logout", description=_("Log out")),
        ]
