"""/start: greeting, what the bot does, the main menu."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import MenuAction
from dialogs.menu import send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, Section, Sections
from portal.accounts import ensure_account
from portal.ports import UnitOfWork


def greeting(first_name: str, *, known: bool = False) -> str:
    """The introduction for someone not logged in; a person already logged in has read it and
    gets only the greeting over the menu (each /start would otherwise repeat a screenful)."""
    if known:
        return _("Hello, {name}!").format(name=escape(first_name))
    return _(
        "Hello, {name}!\n\n"
        "I am the ALTUM client assistant: the mans.altum.lv portal in this chat, with "
        "applications, signing, messages with ALTUM and documents from your phone.\n\n"
        "Commands: /help — what I can do, /language — language, /cancel — stop what you are "
        "doing."
    ).format(name=escape(first_name))


def router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(
        message: Message,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        user = message.from_user
        assert user is not None  # private chats only (see dialogs.routers)
        account = await ensure_account(
            uow=uow,
            telegram_user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
        )
        await state.clear()
        outgoing.send(greeting(user.first_name, known=account.person_id is not None))
        await send_main_menu(outgoing, uow, user.id, sections)

    @router.callback_query(MenuAction.filter(F.section == "main"))
    async def show_menu(
        query: CallbackQuery,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        await state.clear()
        outgoing.answer_callback(query.id)
        await send_main_menu(outgoing, uow, query.from_user.id, sections)

    return router


SECTION = Section(
    key="start",
    position=10,
    router=lambda _settings: router(),
    commands=(CommandEntry("start", __("Greeting and the main menu")),),
)
