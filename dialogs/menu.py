"""The main menu: who the chat acts as and for, and the buttons of the registered sections
(`dialogs.sections`) this person may use now.

The keys below are the callback values of sections that other sections' buttons lead to
(«Log in» after "log in first", «Register a new client» in the client list…).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_decimal

from dialogs.callbacks import MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.outgoing import Outgoing
from dialogs.sections import Sections
from portal.clients import current_client
from portal.linking import linked_person
from portal.model import ClientAccess, Role, Waiting
from portal.ports import UnitOfWork
from portal.signing import Counts
from portal.waiting import what_waits

LOGIN = "login"
CLIENTS = "clients"
REGISTER = "register"


@dataclass(frozen=True, slots=True)
class MenuView:
    person_name: str | None = None
    client: ClientAccess | None = None
    waiting: Waiting = field(default_factory=Waiting)  # what waits for them at the client


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
            if view.waiting.anything:
                lines.append(waiting_line(view.waiting))
            if view.client.awaiting_review:
                lines.append(
                    _("⏳ Awaiting ALTUM's check: nothing can be signed or sent in its name yet.")
                )
        else:
            lines.append(_("🏢 No client chosen"))
        lines.append("")
    lines.append(_("<b>Main menu</b>\nChoose what you want to do."))
    return "\n".join(lines)


def waiting_line(waiting: Waiting) -> str:
    """One line, so the menu stays within a phone's screen: only what is there."""
    parts = []
    if waiting.signatures:
        parts.append(
            ngettext(
                "✍️ {count} document to sign", "✍️ {count} documents to sign", waiting.signatures
            )
        )
    if waiting.drafts:
        parts.append(ngettext("📝 {count} draft", "📝 {count} drafts", waiting.drafts))
    if waiting.unread:
        parts.append(
            ngettext("✉️ {count} unread message", "✉️ {count} unread messages", waiting.unread)
        )
    counts = (waiting.signatures, waiting.drafts, waiting.unread)
    numbers = [format_decimal(n, locale=get_i18n().current_locale) for n in counts if n]
    return " · ".join(p.format(count=n) for p, n in zip(parts, numbers, strict=True))


def main_menu_keyboard(view: MenuView, sections: Sections) -> InlineKeyboardMarkup:
    logged_in = view.person_name is not None
    main_user = view.client is not None and view.client.role is Role.MAIN
    return _main_menu_keyboard(
        sections, get_i18n().current_locale, logged_in=logged_in, main_user=main_user
    )


# Keyboards depend on the language and little else: built once each (aiogram's builder and
# models cost more than the rest of a menu reply). Nothing modifies a markup once built.
@cache
def _main_menu_keyboard(
    sections: Sections, locale: str, *, logged_in: bool, main_user: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    pending: InlineKeyboardButton | None = None  # a half-width button waiting for its pair
    for section in sections.menu(logged_in=logged_in, main_user=main_user):
        assert section.menu is not None
        button = InlineKeyboardButton(
            text=str(section.menu.label),
            callback_data=MenuAction(section=section.key).pack(),
        )
        if section.menu.half and pending is not None:
            builder.row(pending, button)
            pending = None
            continue
        if pending is not None:
            builder.row(pending)
            pending = None
        if section.menu.half:
            pending = button
        else:
            builder.row(button)
    if pending is not None:
        builder.row(pending)
    return builder.as_markup()


async def menu_view(uow: UnitOfWork, telegram_user_id: int, *, counts: Counts) -> MenuView:
    """Who the chat acts as and for, and what waits there (who is to sign: by the register's
    rule as `counts`, REGISTRATION_AT_LEAST_COUNTS, reads it)."""
    person = await linked_person(uow=uow, telegram_user_id=telegram_user_id)
    if person is None:
        return MenuView()
    client = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    waiting = await what_waits(uow=uow, person_id=person.id, access=client, counts=counts)
    return MenuView(person_name=person.full_name, client=client, waiting=waiting)


async def send_main_menu(
    outgoing: Outgoing, uow: UnitOfWork, telegram_user_id: int, sections: Sections
) -> None:
    view = await menu_view(uow, telegram_user_id, counts=sections.at_least_counts)
    outgoing.send(main_menu_text(view), keyboard=main_menu_keyboard(view, sections))


def back_to_menu_keyboard() -> InlineKeyboardMarkup:
    return _back_to_menu_keyboard(get_i18n().current_locale)


@cache
def _back_to_menu_keyboard(locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    return builder.as_markup()
