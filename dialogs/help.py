"""/help: the portal map — the bot's sections and commands."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from dialogs.callbacks import MenuAction
from dialogs.menu import HELP, back_to_menu_keyboard
from dialogs.outgoing import Outgoing


def portal_map() -> str:
    return _(
        "<b>Portal map</b>\n\n"
        "This chat brings mans.altum.lv, ALTUM's client portal, to your phone. "
        "It can do now:\n"
        "• <b>Log in</b> — with Latvija.lv or eParaksts, as a natural person.\n"
        "• <b>Choose client</b> — the company (or you yourself) you act for, with your role.\n"
        "• <b>Register a new client</b> — for signatories: Company Register check, voice "
        "password, terms, e-mail confirmation.\n"
        "• <b>Help</b> — this map.\n"
        "• <b>Language</b> — latviešu or English; I remember your choice.\n\n"
        "<b>Commands</b>\n"
        "/start — greeting and the main menu\n"
        "/login — log in; /logout — log out\n"
        "/client — choose the client\n"
        "/register — register a new client\n"
        "/help — this portal map\n"
        "/language — change the language\n"
        "/cancel — stop what you are doing and go back to the menu\n\n"
        "Portal sections (applications, my deals, communication with ALTUM, documents, users "
        "and rights, questionnaires) join this menu as they become available here; until then "
        "use mans.altum.lv."
    )


def router() -> Router:
    router = Router(name="help")

    @router.message(Command("help"))
    async def help_command(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(portal_map(), keyboard=back_to_menu_keyboard())

    @router.callback_query(MenuAction.filter(F.section == HELP))
    async def help_button(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(portal_map(), keyboard=back_to_menu_keyboard())

    return router
