"""The main menu: only sections that work, and who the chat acts as and for."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from dialogs.callbacks import MenuAction
from dialogs.outgoing import Outgoing
from portal.clients import current_client
from portal.linking import linked_person
from portal.model import ClientAccess, Role
from portal.ports import UnitOfWork

HELP = "help"
LANGUAGE = "language"
LOGIN = "login"
LOGOUT = "logout"
CLIENTS = "clients"
REGISTER = "register"


@dataclass(frozen=True, slots=True)
class MenuView:
    person_name: str | None = None
    client: ClientAccess | None = None


def role_label(access: ClientAccess) -> str:
    role = _("main user") if access.role is Role.MAIN else _("additional user")
    return role + (_(", signatory") if access.is_signatory else "")


def main_menu_text(view: MenuView) -> str:
    lines = []
    if view.person_name is not None:
        lines.append(_("👤 {name}").format(name=escape(view.person_name)))
        if view.client is not None:
            lines.append(
                _("🏢 {client} — {role}").format(
                    client=escape(view.client.name), role=role_label(view.client)
                )
            )
        else:
            lines.append(_("🏢 No client chosen"))
        lines.append("")
    lines.append(_("<b>Main menu</b>\nChoose what you want to do."))
    return "\n".join(lines)


def main_menu_keyboard(view: MenuView) -> InlineKeyboardMarkup:
    return _main_menu_keyboard(get_i18n().current_locale, logged_in=view.person_name is not None)


# Keyboards depend on the language and little else: built once each (aiogram's builder and
# models cost more than the rest of a menu reply). Nothing modifies a markup once built.
@cache
def _main_menu_keyboard(locale: str, *, logged_in: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not logged_in:
        builder.button(text=_("🔐 Log in"), callback_data=MenuAction(section=LOGIN))
    else:
        builder.button(text=_("🏢 Choose client"), callback_data=MenuAction(section=CLIENTS))
        builder.button(
            text=_("➕ Register a new client"), callback_data=MenuAction(section=REGISTER)
        )
    builder.button(text=_("ℹ️ Help and portal map"), callback_data=MenuAction(section=HELP))
    builder.button(text=_("🌐 Language"), callback_data=MenuAction(section=LANGUAGE))
    if logged_in:
        builder.button(text=_("🚪 Log out"), callback_data=MenuAction(section=LOGOUT))
    builder.adjust(1)
    return builder.as_markup()


async def menu_view(uow: UnitOfWork, telegram_user_id: int) -> MenuView:
    person = await linked_person(uow=uow, telegram_user_id=telegram_user_id)
    if person is None:
        return MenuView()
    client = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    return MenuView(person_name=person.full_name, client=client)


async def send_main_menu(outgoing: Outgoing, uow: UnitOfWork, telegram_user_id: int) -> None:
    view = await menu_view(uow, telegram_user_id)
    outgoing.send(main_menu_text(view), keyboard=main_menu_keyboard(view))


def back_to_menu_keyboard() -> InlineKeyboardMarkup:
    return _back_to_menu_keyboard(get_i18n().current_locale)


@cache
def _back_to_menu_keyboard(locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    return builder.as_markup()
