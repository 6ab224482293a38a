"""/help: the portal map, derived from the registered sections (`dialogs.sections`)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.support import LazyProxy

from dialogs.callbacks import MenuAction
from dialogs.menu import back_to_menu_keyboard
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, MenuEntry, Section, Sections

HELP = "help"


def portal_map(sections: Sections) -> str:
    """Every section with a button: what it does and its commands; then the other commands."""
    lines = [
        _(
            "<b>Portal map</b>\n\n"
            "This chat brings mans.altum.lv, ALTUM's client portal, to your phone. "
            "It can do now:"
        ),
        "",
    ]
    for section in sections:
        if section.menu is None or section.help is None:
            continue
        commands = " ".join(f"/{command.name}" for command in section.commands)
        label, what = _text(section.menu.label), _text(section.help)
        lines.append(f"<b>{label}</b> — {what} {commands}".rstrip())
    others = [
        command for section in sections if section.menu is None for command in section.commands
    ]
    if others:
        lines += ["", _("<b>More commands</b>")]
        lines += [f"/{command.name} — {_text(command.description)}" for command in others]
    lines += [
        "",
        _(
            "Portal sections (applications, my deals, communication with ALTUM, documents, users "
            "and rights, questionnaires) join this menu as they become available here; until then "
            "use mans.altum.lv."
        ),
    ]
    return "\n".join(lines)


def _text(lazy: LazyProxy) -> str:
    return escape(str(lazy), quote=False)


def router() -> Router:
    router = Router(name="help")

    @router.message(Command("help"))
    async def help_command(message: Message, outgoing: Outgoing, sections: Sections) -> None:
        outgoing.send(portal_map(sections), keyboard=back_to_menu_keyboard())

    @router.callback_query(MenuAction.filter(F.section == HELP))
    async def help_button(query: CallbackQuery, outgoing: Outgoing, sections: Sections) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(portal_map(sections), keyboard=back_to_menu_keyboard())

    return router


SECTION = Section(
    key=HELP,
    position=70,
    router=lambda _settings: router(),
    menu=MenuEntry(__("ℹ️ Help and portal map")),
    help=__("this map."),
    commands=(CommandEntry("help", __("Portal map: what I can do")),),
)
