"""«Saziņa»: threads with ALTUM, a thread's messages and documents, «Jauna ziņa»,
«Atbildēt», drafts, «Detalizēta meklēšana» and the client's documents.

Callback data carries opaque ids only; every handler loads what it names through the
client-scoped use cases of `portal.messages`, so another client's id finds nothing.
What is being written lives in the conversation state until «Nosūtīt» or «Saglabāt».
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in, now_acting_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import Msg, no_client, now, sent_reply, show_list, show_thread
from dialogs.message_compose import compose_router
from dialogs.message_search import search_router
from dialogs.message_texts import (
    archive_text,
)
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, DialogSettings, MenuEntry, Routing, Section, Visibility
from dialogs.shorten import shorten
from portal import messages
from portal.clients import choose_client, current_client
from portal.model import (
    Invalid,
    NoAccess,
    NotFound,
    NotLinked,
)
from portal.ports import UnitOfWork

MESSAGES = "messages"


def router(settings: DialogSettings) -> Router:
    router = Router(name=MESSAGES)

    @router.message(Command("messages"))
    async def messages_command(
        message: Message, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        assert message.from_user is not None
        await state.clear()
        await show_list(message.from_user.id, uow, outgoing, state)

    @router.callback_query(MenuAction.filter(F.section == MESSAGES))
    async def messages_button(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        await state.clear()
        await show_list(query.from_user.id, uow, outgoing, state, query_id=query.id)

    @router.callback_query(Msg.filter(F.action == "list"))
    async def listed(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        await state.set_state(None)
        await show_list(
            query.from_user.id, uow, outgoing, state, offset=callback_data.id, query_id=query.id
        )

    @router.callback_query(Msg.filter(F.action == "open"))
    async def opened(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        user_id = query.from_user.id
        try:
            if callback_data.value.isdigit():  # from a notice: act for that client first
                before = await current_client(uow=uow, telegram_user_id=user_id)
                access = await choose_client(
                    uow=uow, telegram_user_id=user_id, client_id=int(callback_data.value)
                )
                if before is None or before.client_id != access.client_id:
                    # Said as /client says it: what follows is done for this client now; a
                    # flow begun for the other one ends, as a switch by /client ends it.
                    await state.clear()
                    outgoing.send(now_acting_text(access))
            await show_thread(user_id, callback_data.id, uow, outgoing)
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        except (NoAccess, NotFound):
            outgoing.answer_callback(query.id, _("This message is not available."), alert=True)
            return
        outgoing.answer_callback(query.id)

    @router.callback_query(Msg.filter(F.action == "doc"))
    async def document(
        query: CallbackQuery, callback_data: Msg, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        try:
            found = await messages.client_document(
                uow=uow, telegram_user_id=query.from_user.id, document_id=callback_data.id
            )
        except (NotLinked, NoAccess, NotFound):
            outgoing.answer_callback(query.id, _("This document is not available."), alert=True)
            return
        outgoing.answer_callback(query.id)
        outgoing.send_stored(found.file.sha256, found.file.name)

    @router.callback_query(Msg.filter(F.action == "draft"))
    async def draft_sent(
        query: CallbackQuery, callback_data: Msg, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        try:
            sent = await messages.send_draft(
                uow=uow, telegram_user_id=query.from_user.id, message_id=callback_data.id, now=now()
            )
        except (NotLinked, NoAccess, NotFound):
            outgoing.answer_callback(query.id, _("This message is not available."), alert=True)
            return
        except Invalid:
            outgoing.answer_callback(query.id, _("This message was sent already."), alert=True)
            return
        outgoing.answer_callback(query.id)
        sent_reply(outgoing, sent.thread_id)

    # --- the client's documents ------------------------------------------------------------

    @router.callback_query(Msg.filter(F.action.in_({"docs", "arch"})))
    async def archive(
        query: CallbackQuery, callback_data: Msg, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        archived = callback_data.action == "arch"
        listing = messages.archived_documents if archived else messages.client_documents
        try:
            page = await listing(
                uow=uow, telegram_user_id=query.from_user.id, offset=callback_data.id
            )
        except (NotLinked, NoAccess):
            no_client(outgoing, query.id)
            return
        outgoing.answer_callback(query.id)
        builder = InlineKeyboardBuilder()
        for number, document in enumerate(page.items, start=1):
            builder.button(
                text=shorten(f"{number}. 📎 {document.file.name}", 60),
                callback_data=Msg(action="doc", id=document.id),
            )
        if page.offset > 0:
            builder.button(
                text=_("◀️ Newer"),
                callback_data=Msg(
                    action=callback_data.action, id=max(0, page.offset - messages.PAGE)
                ),
            )
        if page.has_more:
            builder.button(
                text=_("Older ▶️"),
                callback_data=Msg(action=callback_data.action, id=page.offset + messages.PAGE),
            )
        builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
        builder.adjust(1)
        outgoing.send(archive_text(page.items, archived=archived), keyboard=builder.as_markup())

    router.include_router(compose_router(settings))
    router.include_router(search_router(settings.forms))
    return router


SECTION = Section(
    key=MESSAGES,
    position=56,
    router=router,
    menu=MenuEntry(__("✉️ Communication"), Visibility.LOGGED_IN),
    help=__("messages with ALTUM: threads, replies, drafts, search, documents from your phone."),
    commands=(CommandEntry("messages", __("Messages with ALTUM")),),
    routing=Routing.FLOW,
)
