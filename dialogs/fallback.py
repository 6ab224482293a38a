"""/cancel and everything nobody else understood: clear answers, nothing changed."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.menu import main_menu_keyboard, menu_view, send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, Routing, Section, Sections
from portal.ports import UnitOfWork


def cancel_router() -> Router:
    """/cancel leaves any flow, so it goes before every dialog's own text handlers."""
    router = Router(name="cancel")

    @router.message(Command("cancel"))
    async def cancel(
        message: Message,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        assert message.from_user is not None
        if await state.get_state() is None:
            outgoing.send(_("There is nothing to cancel."))
        else:
            await state.clear()
            outgoing.send(_("Cancelled. Nothing was changed."))
        await send_main_menu(outgoing, uow, message.from_user.id, sections)

    return router


CANCEL_SECTION = Section(
    key="cancel",
    position=90,
    router=lambda _settings: cancel_router(),
    commands=(CommandEntry("cancel", __("Stop what you are doing")),),
    routing=Routing.FIRST,
)


def router() -> Router:
    """Last of all: what no section took."""
    router = Router(name="fallback")

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("I do not know this command. Send /help to see what I can do."))

    @router.message(F.text)
    async def free_text(
        message: Message, uow: UnitOfWork, outgoing: Outgoing, sections: Sections
    ) -> None:
        assert message.from_user is not None
        outgoing.send(
            _(
                "I work with buttons and commands, so I cannot answer free text. "
                "Choose an action in the menu or send /help."
            ),
            keyboard=main_menu_keyboard(
                await menu_view(uow, message.from_user.id, counts=sections.at_least_counts),
                sections,
            ),
        )

    @router.message()
    async def anything_else(
        message: Message, uow: UnitOfWork, outgoing: Outgoing, sections: Sections
    ) -> None:
        assert message.from_user is not None
        outgoing.send(
            _(
                "I cannot take files, photos or stickers here yet. "
                "Choose an action in the menu or send /help."
            ),
            keyboard=main_menu_keyboard(
                await menu_view(uow, message.from_user.id, counts=sections.at_least_counts),
                sections,
            ),
        )

    @router.callback_query()
    async def stale_button(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(
            query.id,
            _("This button is no longer valid. Send /start to open the menu again."),
            alert=True,
        )

    return router
