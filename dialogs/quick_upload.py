"""A file or photo sent outside any dialog: «Kas tas ir?».

Photos sent together (an album) or in a row become the pages of one PDF, in the order sent,
with the page count shown and «Pievienot lappusi» / «Gatavs» ("one document, one file").
Then the person picks what it is for — an answer in a recent thread (the likely choice
first: ALTUM's unread ones), a draft form's file question, a new message to ALTUM, a message
about a deal or about an application (dialogs/quick_upload_applications.py) — and the
document type and date; the message is then ready to send, with room for a few words.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import (
    MessageDialog,
    Msg,
    QuickUpload,
    bind_pages,
    file_entry,
    no_client,
    page_added_text,
    pages_keyboard,
    take_file,
    type_keyboard,
)
from dialogs.outgoing import Outgoing
from dialogs.quick_upload_applications import LIST, PICK, application_target, show_applications
from dialogs.quick_upload_forms import ACTION, add_draft_targets, file_to_draft
from dialogs.sections import DialogSettings, Routing, Section
from dialogs.shorten import shorten
from dialogs.uploads import Prefetched
from portal import messages
from portal.forms import FormCatalogue
from portal.model import MessageStatus, NoAccess, NotFound, NotLinked, ThreadQuery
from portal.ports import UnitOfWork

SHOWN_THREADS = 3


async def ask_target(
    user_id: int,
    uow: UnitOfWork,
    outgoing: Outgoing,
    state: FSMContext,
    name: str,
    forms: FormCatalogue | None = None,
) -> None:
    """«Kas tas ir?»: recent threads (ALTUM's unread first), drafts asking for a file, a new
    message, a deal, an application (before «New message» when ALTUM asks more of it)."""
    view = await messages.overview(uow=uow, telegram_user_id=user_id, query=ThreadQuery())
    threads = sorted(
        (t for t in view.threads.items if t.status is not MessageStatus.DRAFT),
        key=lambda t: t.unread == 0,  # stable: newest first within each group
    )[:SHOWN_THREADS]
    who = await messages.acting(uow=uow, telegram_user_id=user_id)
    deals = await uow.deals.of_client(who.client_id)
    application, urgent = await application_target(forms, user_id, uow)
    builder = InlineKeyboardBuilder()
    for thread in threads:
        builder.button(
            text=shorten(_("↩️ Answer: {subject}").format(subject=thread.subject), 60),
            callback_data=Msg(action="qthread", id=thread.id),
        )
    if forms is not None:  # drafts asking for a file now
        await add_draft_targets(builder, forms, user_id, uow)
    if application is not None and urgent:
        builder.button(text=shorten(application[0], 60), callback_data=application[1])
    builder.button(text=_("✉️ New message to ALTUM"), callback_data=Msg(action="qnew"))
    for deal in deals[:SHOWN_THREADS]:
        builder.button(
            text=shorten(_("📄 About deal {number}").format(number=deal.number), 60),
            callback_data=Msg(action="qdeal", id=deal.id),
        )
    if application is not None and not urgent:
        builder.button(text=shorten(application[0], 60), callback_data=application[1])
    builder.button(text=_("✖️ Cancel"), callback_data=Msg(action="cancel"))
    builder.adjust(1)
    await state.set_state(QuickUpload.target)
    outgoing.send(
        _("📎 «{name}» is ready. What is it? («Kas tas ir?»)").format(name=name),
        keyboard=builder.as_markup(),
    )


def router(settings: DialogSettings) -> Router:
    router = Router(name="quick_upload")
    desk = settings.files

    @router.message(StateFilter(None, QuickUpload.pages), F.document | F.photo)
    async def received(
        message: Message,
        bot: Bot,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
        prefetched: Prefetched | None = None,
    ) -> None:
        assert message.from_user is not None
        user_id = message.from_user.id
        if desk is None:
            outgoing.send(_("Documents cannot be received here."))
            return
        try:
            who = await messages.acting(uow=uow, telegram_user_id=user_id)
        except NotLinked:
            not_logged_in(outgoing)
            return
        except NoAccess:
            no_client(outgoing)
            return
        data = await state.get_data()
        pages: list[dict[str, Any]] = list(data.get("qpages") or [])
        if message.document is not None and pages:
            outgoing.send(
                _("Finish the photos first: press «Done» (or /cancel), then send the file.")
            )
            return
        file = await take_file(message, bot, desk, who.client_id, outgoing, prefetched)
        if file is None:
            return
        if message.document is not None:
            await state.set_data({"c": {"parts": [], "att": [], "pending": file_entry(file)}})
            await ask_target(user_id, uow, outgoing, state, file.name, settings.forms)
            return
        if len(pages) >= desk.rules.max_pages:
            outgoing.send(_("That is the most pages one document may have; press «Done»."))
            return
        pages.append(file_entry(file))
        await state.set_state(QuickUpload.pages)
        await state.set_data({"qpages": pages})
        outgoing.send(
            page_added_text(len(pages)), keyboard=pages_keyboard(more="qpage", done="qdone")
        )

    @router.callback_query(QuickUpload.pages, Msg.filter(F.action == "qpage"))
    async def another_page(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(_("Send the next page as a photo."))

    @router.callback_query(QuickUpload.pages, Msg.filter(F.action == "qdone"))
    async def pages_done(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        user_id = query.from_user.id
        assert desk is not None
        try:
            who = await messages.acting(uow=uow, telegram_user_id=user_id)
        except (NotLinked, NoAccess):
            await state.clear()
            no_client(outgoing, query.id)
            return
        entries = (await state.get_data()).get("qpages") or []
        if not entries:
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        outgoing.answer_callback(query.id)
        bound = await bind_pages(desk, who.client_id, entries, outgoing)
        if bound is None:
            await state.clear()
            return
        await state.set_data({"c": {"parts": [], "att": [], "pending": file_entry(bound)}})
        await ask_target(user_id, uow, outgoing, state, bound.name, settings.forms)

    @router.callback_query(
        QuickUpload.target, Msg.filter(F.action.in_({"qthread", "qnew", "qdeal", PICK}))
    )
    async def target_chosen(
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
            await state.clear()
            no_client(outgoing, query.id)
            return
        compose: dict[str, Any] = dict((await state.get_data()).get("c") or {})
        if "pending" not in compose:
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        if callback_data.action == "qthread":
            thread = await uow.messages.thread(who.client_id, callback_data.id)
            if thread is None:
                outgoing.answer_callback(query.id, _("This message is not available."), alert=True)
                return
            compose["thread"] = thread.id
        elif callback_data.action == "qdeal":
            deals = {d.id: d for d in await uow.deals.of_client(who.client_id)}
            deal = deals.get(callback_data.id)
            if deal is None:
                outgoing.answer_callback(query.id, _("This deal is not available."), alert=True)
                return
            compose["deal"] = deal.number
        elif callback_data.action == PICK:
            try:
                application = await messages.upload_application(
                    uow=uow, telegram_user_id=user_id, application_id=callback_data.id
                )
            except NotFound:
                outgoing.answer_callback(
                    query.id, _("This application is not available."), alert=True
                )
                return
            compose["app"] = application.id
        compose["auto_subject"] = compose.get("thread") is None
        outgoing.answer_callback(query.id)
        await state.set_data({"c": compose})
        await state.set_state(MessageDialog.doc_type)
        outgoing.send(_("What document is it («dokumenta tips»)?"), keyboard=type_keyboard())

    @router.callback_query(QuickUpload.target, Msg.filter(F.action == LIST))
    async def applications_listed(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        """«Kas tas ir?» → «Par pieteikumu»: the client's applications to choose from."""
        await show_applications(query, settings.forms, uow, outgoing, state)

    @router.callback_query(QuickUpload.target, Msg.filter(F.action == ACTION))
    async def draft_chosen(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        """«Kas tas ir?» → a draft form's attachment question (dialogs/quick_upload_forms.py)."""
        pending = ((await state.get_data()).get("c") or {}).get("pending")
        if not pending:
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        await file_to_draft(
            query,
            callback_data,
            settings.forms,
            pending,
            uow,
            outgoing,
            state,
            counts=settings.at_least_counts,
        )

    @router.message(QuickUpload.target)
    async def choose_first(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("Please answer the question above first (or /cancel)."))

    return router


SECTION = Section(
    key="quick_upload",
    position=57,
    router=router,
    routing=Routing.FLOW,
)
