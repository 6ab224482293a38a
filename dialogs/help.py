"""/help: the portal map, derived from the registered sections (`dialogs.sections`)."""

from __future__ import annotations

import asyncio
from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.support import LazyProxy

from dialogs.callbacks import MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.login import LOGOUT  # «Atslēgties» is /logout
from dialogs.menu import back_to_menu_keyboard
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, DialogSettings, MenuEntry, Section, Sections

HELP = "help"


def portal_map(sections: Sections) -> str:
    """Every section with a button: what it does and its commands; then the other commands."""
    lines = [
        _(
            "<b>Portal map</b>\n\n"
            "This chat brings mans.altum.lv, ALTUM's client portal, to your phone. "
            "Here is what it does:"
        ),
        "",
    ]
    for section in sections:
        if section.menu is None or section.help is None:
            continue
        commands = " ".join(f"/{command.name}" for command in section.commands)
        label, what = _text(section.menu.label), _text(section.help)
        lines.append(f"<b>{label}</b> — {what} {commands}".rstrip())
        # The menu as a tree: the section's own buttons under it.
        lines += [f"    └ {_text(item)}" for item in section.map_items]
    others = [
        command for section in sections if section.menu is None for command in section.commands
    ]
    if others:
        lines += ["", _("<b>More commands</b>")]
        lines += [f"/{command.name} — {_text(command.description)}" for command in others]
    return "\n".join(lines)


def _text(lazy: LazyProxy) -> str:
    return escape(str(lazy), quote=False)


class HelpAction(CallbackData, prefix="hp"):
    """`support`: ALTUM's contacts; `guide`: the user guide as a document."""

    action: str


def guide_url(public_url: str) -> str:
    """The user guide in the reader's language (web/guide.py serves it)."""
    return f"{public_url}/guide/{get_i18n().current_locale}.pdf"


def help_keyboard(settings: DialogSettings) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if settings.guide is not None and settings.files is not None:  # the PDF itself, in chat
        builder.button(text=_("📘 User guide (PDF)"), callback_data=HelpAction(action="guide"))
    else:
        builder.button(text=_("📘 User guide (PDF)"), url=guide_url(settings.public_url))
    builder.button(text=_("☎️ Support"), callback_data=HelpAction(action="support"))
    builder.button(text=_("🚪 Log out"), callback_data=MenuAction(section=LOGOUT))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1, 2, 1)
    return builder.as_markup()


def portal_map_link(settings: DialogSettings) -> str:
    return _("📘 The user guide: {url}").format(url=guide_url(settings.public_url))


class MemorySource:
    """Bytes already made (the guide), read as a `portal.ports.ByteSource`."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    async def read(self, n: int = -1, /) -> bytes:
        end = len(self._data) if n < 0 else self._at + n
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def support_text(settings: DialogSettings) -> str:
    return _(
        "<b>ALTUM client support</b>\n📞 {phone}\n✉️ {email}\n🌐 www.altum.lv\n\n"
        "About a deal or an application, write to your consultant (👤 Profile → 👤 Consultant)."
    ).format(phone=escape(settings.support_phone), email=escape(settings.support_email))


def router(settings: DialogSettings) -> Router:
    router = Router(name="help")

    @router.message(Command("help"))
    async def help_command(message: Message, outgoing: Outgoing, sections: Sections) -> None:
        outgoing.send(portal_map(sections), keyboard=help_keyboard(settings))

    @router.callback_query(MenuAction.filter(F.section == HELP))
    async def help_button(query: CallbackQuery, outgoing: Outgoing, sections: Sections) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(portal_map(sections), keyboard=help_keyboard(settings))

    stored: dict[str, str] = {}  # language -> the guide's hash in the store, once made

    @router.callback_query(HelpAction.filter(F.action == "guide"))
    async def guide_button(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        make, files = settings.guide, settings.files
        if make is None or files is None:  # stale: the button of a runtime that had them
            outgoing.send(portal_map_link(settings))
            return
        locale = get_i18n().current_locale
        # Only this process's memory names the guide's file: `keep` tells the sweeper it is
        # in use (the queued sendDocument names it from then on), or that it was swept.
        if locale not in stored or not files.store.keep(stored[locale]):
            pdf = await asyncio.to_thread(make, locale)  # CPU: off the event loop
            staged = await files.store.stage(MemorySource(pdf), max_bytes=len(pdf))
            assert staged is not None  # exactly its own size
            await files.store.commit(staged)  # content-addressed: the same bytes kept once
            stored[locale] = staged.sha256
        outgoing.send_stored(
            stored[locale],
            _("ALTUM-user-guide.pdf"),
            caption=_("📘 The user guide: every section of this chat, step by step."),
        )

    @router.callback_query(HelpAction.filter(F.action == "support"))
    async def support_button(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(support_text(settings), keyboard=back_to_menu_keyboard())

    return router


SECTION = Section(
    key=HELP,
    position=70,
    router=router,
    menu=MenuEntry(__("ℹ️ Help and portal map")),
    help=__("this map."),
    commands=(CommandEntry("help", __("Portal map: what I can do")),),
    map_items=(__("📘 User guide (PDF)"), __("☎️ Support"), __("🚪 Log out")),
)
