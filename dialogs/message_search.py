"""«Detalizēta meklēšana»: text, status, period, deal, application and unread only, kept in the
conversation state and applied to the thread list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import (
    PERIODS,
    STATUSES,
    MessageDialog,
    Msg,
    no_client,
    now,
    query_of,
)
from dialogs.message_texts import (
    query_text,
)
from dialogs.outgoing import Outgoing
from portal import messages
from portal.forms import FormCatalogue, FormKind
from portal.model import (
    MessageStatus,
    NoAccess,
    NotLinked,
)
from portal.ports import UnitOfWork


def search_router(forms: FormCatalogue) -> Router:
    router = Router(name="messages_search")
    questionnaires = frozenset(f.id for f in forms.offered(FormKind.QUESTIONNAIRE))

    async def show_search(
        user_id: int, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        data = await state.get_data()
        query = query_of(data)
        deal_number = None
        if query.deal_id is not None:
            who = await messages.acting(uow=uow, telegram_user_id=user_id)
            deals = {d.id: d.number for d in await uow.deals.of_client(who.client_id)}
            deal_number = deals.get(query.deal_id)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("Text"), callback_data=Msg(action="stext"))
        builder.button(text=_("Status"), callback_data=Msg(action="sstatus"))
        builder.button(text=_("Period"), callback_data=Msg(action="speriod"))
        builder.button(text=_("Deal"), callback_data=Msg(action="sdeal"))
        builder.button(text=_("Application"), callback_data=Msg(action="sapp"))
        builder.button(text=_("Unread only"), callback_data=Msg(action="sunread"))
        builder.button(text=_("🔎 Search"), callback_data=Msg(action="list"))
        builder.button(text=_("Clear"), callback_data=Msg(action="sclear"))
        builder.adjust(2, 2, 2, 1, 2)
        outgoing.send(query_text(query, deal_number), keyboard=builder.as_markup())

    @router.callback_query(
        Msg.filter(
            F.action.in_({"search", "sstatus", "speriod", "sunread", "sdeal", "sapp", "sclear"})
        )
    )
    async def search_changed(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        user_id = query.from_user.id
        try:
            who = await messages.acting(uow=uow, telegram_user_id=user_id)
        except (NotLinked, NoAccess):
            no_client(outgoing, query.id)
            return
        outgoing.answer_callback(query.id)
        data = await state.get_data()
        raw: dict[str, Any] = dict(data.get("msq") or {})
        action = callback_data.action
        if action == "sstatus":
            current = MessageStatus(raw["status"]) if raw.get("status") else None
            following = STATUSES[(STATUSES.index(current) + 1) % len(STATUSES)]
            raw["status"] = str(following) if following else None
        elif action == "speriod":
            days = raw.get("days")
            following_days = PERIODS[(PERIODS.index(days) + 1) % len(PERIODS)]
            raw["days"] = following_days
            raw["since"] = (
                (now().date() - timedelta(days=following_days)).isoformat()
                if following_days
                else None
            )
        elif action == "sunread":
            raw["unread"] = not raw.get("unread")
        elif action == "sdeal":
            ids = [None, *[d.id for d in await uow.deals.of_client(who.client_id)]]
            current_deal = raw.get("deal_id")
            position = ids.index(current_deal) if current_deal in ids else 0
            raw["deal_id"] = ids[(position + 1) % len(ids)]
        elif action == "sapp":  # the client's own applications, newest first, then none
            found = await messages.linkable_applications(
                uow=uow, telegram_user_id=user_id, without_forms=questionnaires
            )
            app_ids = [None, *[a.id for a in found]]
            current_app = raw.get("app_id")
            at = app_ids.index(current_app) if current_app in app_ids else 0
            raw["app_id"] = app_ids[(at + 1) % len(app_ids)]
        elif action == "sclear":
            raw = {}
        await state.set_state(None)
        await state.update_data(msq={k: v for k, v in raw.items() if v} or None)
        await show_search(user_id, uow, outgoing, state)

    @router.callback_query(Msg.filter(F.action == "stext"))
    async def search_text_asked(
        query: CallbackQuery, outgoing: Outgoing, state: FSMContext
    ) -> None:
        outgoing.answer_callback(query.id)
        await state.set_state(MessageDialog.search_text)
        outgoing.send(_("Write the text to look for in subjects and messages."))

    @router.message(MessageDialog.search_text, F.text)
    async def search_text_given(
        message: Message, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        assert message.from_user is not None and message.text is not None
        data = await state.get_data()
        raw = dict(data.get("msq") or {})
        raw["text"] = " ".join(message.text.split())[:100] or None
        await state.set_state(None)
        await state.update_data(msq={k: v for k, v in raw.items() if v} or None)
        await show_search(message.from_user.id, uow, outgoing, state)

    return router
