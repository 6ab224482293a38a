"""/language: choose latviešu or English; the choice is stored and outlives restarts."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import LanguageChoice, MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, MenuEntry, Section, Sections
from portal import languages
from portal.accounts import choose_language
from portal.ports import UnitOfWork

LANGUAGE = "language"
# Each language names itself, so a person who cannot read the current one still finds theirs.
NATIVE_NAMES = {languages.LATVIAN: "🇱🇻 Latviešu", languages.ENGLISH: "🇬🇧 English"}


class LanguageDialog(StatesGroup):
    choosing = State()


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in languages.SUPPORTED:
        builder.button(text=NATIVE_NAMES[code], callback_data=LanguageChoice(code=code))
    return builder.as_markup()


def language_prompt() -> str:
    return _("Choose the language I speak to you in:")


def router() -> Router:
    router = Router(name="language")

    async def ask(state: FSMContext, outgoing: Outgoing) -> None:
        await state.set_state(LanguageDialog.choosing)
        outgoing.send(language_prompt(), keyboard=language_keyboard())

    @router.message(Command("language"))
    async def language_command(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        await ask(state, outgoing)

    @router.callback_query(MenuAction.filter(F.section == LANGUAGE))
    async def language_button(query: CallbackQuery, state: FSMContext, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await ask(state, outgoing)

    @router.message(LanguageDialog.choosing, F.text)
    async def typed_instead_of_pressed(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(
            _("Please choose the language with one of the buttons, or send /cancel."),
            keyboard=language_keyboard(),
        )

    # A language button works whenever it is pressed (also after a restart or /cancel): the
    # choice is explicit and pressing it twice changes nothing.
    @router.callback_query(LanguageChoice.filter(F.code.in_(languages.SUPPORTED)))
    async def chosen(
        query: CallbackQuery,
        callback_data: LanguageChoice,
        state: FSMContext,
        uow: UnitOfWork,
        i18n: I18n,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        user: User = query.from_user
        await choose_language(
            uow=uow,
            telegram_user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            language=callback_data.code,
            language_code=user.language_code,
        )
        await state.clear()
        with i18n.use_locale(callback_data.code):
            outgoing.answer_callback(query.id, _("Language changed."))
            if query.message is not None:
                outgoing.edit(
                    query.message.message_id,
                    _("Language: {language}").format(language=NATIVE_NAMES[callback_data.code]),
                )
            await send_main_menu(outgoing, uow, user.id, sections)

    return router


SECTION = Section(
    key=LANGUAGE,
    position=80,
    router=lambda _settings: router(),
    menu=MenuEntry(__("🌐 Language"), half=True),
    help=__("latviešu or English; I remember your choice."),
    commands=(CommandEntry("language", __("Change the language")),),
)
