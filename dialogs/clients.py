"""Choosing the ALTUM client the chat acts for (/client), with the person's role at each."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import ClientChoice, MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import CLIENTS, LOGIN, REGISTER, role_label, send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, MenuEntry, Section, Sections, Visibility
from portal.clients import choose_client, clients_to_choose
from portal.model import ClientAccess, NoAccess, NotLinked
from portal.ports import UnitOfWork


def not_logged_in(outgoing: Outgoing) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔐 Log in"), callback_data=MenuAction(section=LOGIN))
    outgoing.send(
        _("First log in, so that I know who you are: /login"), keyboard=builder.as_markup()
    )


def clients_keyboard(clients: list[ClientAccess], current: int | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for access in clients:
        mark = "✅ " if access.client_id == current else ""
        builder.button(
            text=f"{mark}{access.name} — {role_label(access)}"[:120],
            callback_data=ClientChoice(client_id=access.client_id),
        )
    builder.button(text=_("➕ Register a new client"), callback_data=MenuAction(section=REGISTER))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def no_clients_text() -> str:
    return _(
        "You do not act for any ALTUM client yet.\n\n"
        "• If your company is already an ALTUM client, ask its main user to give you access "
        "(in the portal: «Pārvaldīt lietotājus»), then open /client again.\n"
        "• If it is not registered yet and you may sign for it, register it here."
    )


async def list_clients(user_id: int, uow: UnitOfWork, outgoing: Outgoing) -> None:
    try:
        listing = await clients_to_choose(uow=uow, telegram_user_id=user_id)
    except NotLinked:
        not_logged_in(outgoing)
        return
    text = _("<b>Choose the client</b> you act for:") if listing.clients else no_clients_text()
    outgoing.send(text, keyboard=clients_keyboard(listing.clients, listing.current_client_id))


def now_acting_text(access: ClientAccess) -> str:
    """What the chat says whenever it starts acting for another client: /client, or «Atvērt»
    on a notice of another client than the one chosen."""
    return _("🏢 You now act for <b>{client}</b> ({role}).").format(
        client=escape(access.name), role=role_label(access)
    )


def router() -> Router:
    router = Router(name="clients")

    @router.message(Command("client"))
    async def client_command(message: Message, uow: UnitOfWork, outgoing: Outgoing) -> None:
        assert message.from_user is not None
        await list_clients(message.from_user.id, uow, outgoing)

    @router.callback_query(MenuAction.filter(F.section == CLIENTS))
    async def clients_button(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await list_clients(query.from_user.id, uow, outgoing)

    @router.callback_query(ClientChoice.filter())
    async def chosen(
        query: CallbackQuery,
        callback_data: ClientChoice,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        user_id = query.from_user.id
        try:
            access = await choose_client(
                uow=uow, telegram_user_id=user_id, client_id=callback_data.client_id
            )
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        except NoAccess:
            outgoing.answer_callback(
                query.id, _("You no longer have access to this client."), alert=True
            )
            await list_clients(user_id, uow, outgoing)
            return
        await state.clear()
        outgoing.answer_callback(query.id)
        outgoing.send(now_acting_text(access))
        await send_main_menu(outgoing, uow, user_id, sections)

    return router


SECTION = Section(
    key=CLIENTS,
    position=30,
    router=lambda _settings: router(),
    menu=MenuEntry(__("🏢 Choose client"), Visibility.LOGGED_IN),
    help=__("the company (or you yourself) you act for, with your role."),
    commands=(CommandEntry("client", __("Choose the client you act for")),),
)
