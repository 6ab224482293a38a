"""«Jauna ziņa» and «Atbildēt»: subject, text in several parts, documents each with its
type and preparation date, the deal or application it concerns, then «Nosūtīt» or
«Saglabāt»."""

from __future__ import annotations

import re
from datetime import date, datetime

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_application import application_router
from dialogs.message_common import (
    MessageDialog,
    Msg,
    QuickUpload,
    attachments_of,
    bind_pages,
    date_keyboard,
    file_entry,
    load_compose,
    no_client,
    now,
    page_added_text,
    pages_keyboard,
    pages_waiting_text,
    save_compose,
    sent_reply,
    show_compose,
    subject_of,
    take_file,
    type_keyboard,
)
from dialogs.message_texts import (
    day,
    type_labels,
)
from dialogs.outgoing import Outgoing
from dialogs.sections import DialogSettings
from dialogs.shorten import shorten
from dialogs.uploads import Prefetched
from portal import messages
from portal.model import (
    Invalid,
    NoAccess,
    NotFound,
    NotLinked,
)
from portal.ports import UnitOfWork


def compose_router(settings: DialogSettings) -> Router:
    router = Router(name="messages_compose")
    desk = settings.files
    router.include_router(application_router(settings.forms))

    @router.callback_query(Msg.filter(F.action.in_({"new", "reply"})))
    async def start_writing(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        user_id = query.from_user.id
        try:
            await messages.acting(uow=uow, telegram_user_id=user_id)
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        except NoAccess:
            no_client(outgoing, query.id)
            return
        if callback_data.action == "new":
            outgoing.answer_callback(query.id)
            await state.set_state(MessageDialog.subject)
            await state.update_data(c={"subject": None, "parts": [], "att": []})
            outgoing.send(_("✉️ <b>New message</b>\nWrite the subject («tēma»)."))
            return
        try:
            view = await messages.open_thread(
                uow=uow, telegram_user_id=user_id, thread_id=callback_data.id, now=now()
            )
        except NotFound:
            outgoing.answer_callback(query.id, _("This message is not available."), alert=True)
            return
        outgoing.answer_callback(query.id)
        await state.set_state(MessageDialog.body)
        await state.update_data(c={"thread": view.thread.id, "parts": [], "att": []})
        outgoing.send(
            _(
                "↩️ Reply to «{subject}»: write your answer; you may send several messages and "
                "documents."
            ).format(subject=view.thread.subject)
        )

    @router.message(MessageDialog.subject, F.text)
    async def subject_given(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
        assert message.text is not None
        try:
            subject = messages.clean_subject(message.text)
        except Invalid:
            outgoing.send(
                _("The subject must be 1 to {limit} characters. Write it again.").format(
                    limit=messages.MAX_SUBJECT
                )
            )
            return
        compose = await load_compose(state)
        compose["subject"] = subject
        await save_compose(state, compose)
        await state.set_state(MessageDialog.body)
        outgoing.send(
            _(
                "Now the text («saturs»). You may send it in several messages and add "
                "documents: send each as a file or photo."
            )
        )

    @router.message(MessageDialog.body, F.text & ~F.text.startswith("/"))
    async def body_part(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
        assert message.text is not None
        compose = await load_compose(state)
        parts = [*compose.get("parts", []), message.text.strip()]
        if sum(len(p) + 2 for p in parts) > messages.MAX_BODY:
            outgoing.send(
                _(
                    "The message would be longer than {limit} characters; this part was not added."
                ).format(limit=messages.MAX_BODY)
            )
            return
        compose["parts"] = parts
        await save_compose(state, compose)
        show_compose(outgoing, compose)
        if compose.get("pages"):
            outgoing.send(
                pages_waiting_text(len(compose["pages"])),
                keyboard=pages_keyboard(more="cpage", done="cdone"),
            )

    @router.message(MessageDialog.body, F.document | F.photo)
    async def body_file(
        message: Message,
        bot: Bot,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
        prefetched: Prefetched | None = None,
    ) -> None:
        assert message.from_user is not None
        if desk is None:
            outgoing.send(_("Documents cannot be received here."))
            return
        try:
            who = await messages.acting(uow=uow, telegram_user_id=message.from_user.id)
        except (NotLinked, NoAccess):
            await state.clear()
            no_client(outgoing)
            return
        compose = await load_compose(state)
        if len(compose.get("att", [])) >= messages.MAX_ATTACHMENTS:
            outgoing.send(
                _("A message can carry at most {limit} documents.").format(
                    limit=messages.MAX_ATTACHMENTS
                )
            )
            return
        file = await take_file(message, bot, desk, who.client_id, outgoing, prefetched)
        if file is None:
            return
        if message.photo:  # pages of one document, bound into a PDF at «Gatavs»
            pages = [*compose.get("pages", []), file_entry(file)]
            if len(pages) > desk.rules.max_pages:
                outgoing.send(_("That is the most pages one document may have; press «Done»."))
                return
            compose["pages"] = pages
            await save_compose(state, compose)
            outgoing.send(
                page_added_text(len(pages)), keyboard=pages_keyboard(more="cpage", done="cdone")
            )
            return
        compose["pending"] = file_entry(file)
        await save_compose(state, compose)
        await state.set_state(MessageDialog.doc_type)
        outgoing.send(
            _("📎 «{name}» received. What document is it («dokumenta tips»)?").format(
                name=file.name
            ),
            keyboard=type_keyboard(),
        )

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "cpage"))
    async def another_page(query: CallbackQuery, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        outgoing.send(_("Send the next page as a photo."))

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "cdone"))
    async def pages_done(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        compose = await load_compose(state)
        entries = compose.pop("pages", [])
        if desk is None or not entries:
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        try:
            who = await messages.acting(uow=uow, telegram_user_id=query.from_user.id)
        except (NotLinked, NoAccess):
            await state.clear()
            no_client(outgoing, query.id)
            return
        outgoing.answer_callback(query.id)
        bound = await bind_pages(desk, who.client_id, entries, outgoing)
        if bound is None:
            await save_compose(state, compose)  # the photos are dropped; the text stays
            show_compose(outgoing, compose)
            return
        compose["pending"] = file_entry(bound)
        await save_compose(state, compose)
        await state.set_state(MessageDialog.doc_type)
        outgoing.send(_("What document is it («dokumenta tips»)?"), keyboard=type_keyboard())

    @router.callback_query(MessageDialog.doc_type, Msg.filter(F.action == "type"))
    async def type_chosen(
        query: CallbackQuery, callback_data: Msg, outgoing: Outgoing, state: FSMContext
    ) -> None:
        compose = await load_compose(state)
        pending = compose.get("pending")
        if pending is None or callback_data.value not in dict(type_labels()):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        outgoing.answer_callback(query.id)
        pending["doc_type"] = callback_data.value
        await save_compose(state, compose)
        await state.set_state(MessageDialog.doc_date)
        outgoing.send(
            _(
                "When was the document prepared («dokumenta sagatavošanas datums»)? Press "
                "the button or write the date as dd.mm.yyyy."
            ),
            keyboard=date_keyboard(now().date()),
        )

    async def dated(outgoing: Outgoing, state: FSMContext, prepared_on: date) -> None:
        compose = await load_compose(state)
        pending = compose.pop("pending", None)
        if pending is None or "doc_type" not in pending:
            outgoing.send(_("This button is no longer valid."))
            return
        pending["prepared_on"] = prepared_on.isoformat()
        compose["att"] = [*compose.get("att", []), pending]
        await save_compose(state, compose)
        await state.set_state(MessageDialog.body)
        show_compose(outgoing, compose)

    @router.callback_query(MessageDialog.doc_date, Msg.filter(F.action == "today"))
    async def today_chosen(query: CallbackQuery, outgoing: Outgoing, state: FSMContext) -> None:
        outgoing.answer_callback(query.id)
        await dated(outgoing, state, now().date())

    @router.message(MessageDialog.doc_date, F.text)
    async def date_typed(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
        assert message.text is not None
        try:
            typed = datetime.strptime(message.text.strip(), "%d.%m.%Y").date()
        except ValueError:
            if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", message.text.strip()):  # 31.02.2026
                outgoing.send(_("There is no such date. Please check the day and the month."))
                return
            outgoing.send(
                _("Write the date as dd.mm.yyyy, for example {example}.").format(
                    example=day(now().date())
                )
            )
            return
        if typed > now().date():
            outgoing.send(_("The preparation date cannot be in the future."))
            return
        await dated(outgoing, state, typed)

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "deal"))
    async def deal_choice(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        try:
            who = await messages.acting(uow=uow, telegram_user_id=query.from_user.id)
        except (NotLinked, NoAccess):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        outgoing.answer_callback(query.id)
        deals = await uow.deals.of_client(who.client_id)
        if not deals:
            outgoing.send(_("The client has no deals yet."))
            return
        builder = InlineKeyboardBuilder()
        for deal in deals:
            builder.button(
                text=shorten(f"{deal.number} — {deal.data.product}", 60),
                callback_data=Msg(action="dealpick", id=deal.id),
            )
        builder.adjust(1)
        outgoing.send(_("Which deal does the message concern?"), keyboard=builder.as_markup())

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "dealpick"))
    async def deal_picked(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        try:
            who = await messages.acting(uow=uow, telegram_user_id=query.from_user.id)
        except (NotLinked, NoAccess):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        deals = {d.id: d for d in await uow.deals.of_client(who.client_id)}
        deal = deals.get(callback_data.id)
        if deal is None:
            outgoing.answer_callback(query.id, _("This deal is not available."), alert=True)
            return
        outgoing.answer_callback(query.id)
        compose = await load_compose(state)
        compose["deal"] = deal.number
        await save_compose(state, compose)
        show_compose(outgoing, compose)

    @router.callback_query(MessageDialog.body, Msg.filter(F.action.in_({"send", "save"})))
    async def finished(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        compose = await load_compose(state)
        if compose.get("pages"):
            outgoing.answer_callback(
                query.id, _("Press «Done» to finish the photos first."), alert=True
            )
            return
        draft = callback_data.action == "save"
        try:
            written = await messages.write(
                uow=uow,
                telegram_user_id=query.from_user.id,
                body="\n\n".join(compose.get("parts", [])),
                now=now(),
                subject=subject_of(compose),
                thread_id=compose.get("thread"),
                deal_number=compose.get("deal"),
                application_id=compose.get("app"),
                attachments=attachments_of(compose),
                draft=draft,
            )
        except (NotLinked, NoAccess, NotFound):
            outgoing.answer_callback(query.id, _("This message is not available."), alert=True)
            await state.clear()
            return
        except Invalid:
            outgoing.answer_callback(
                query.id, _("Write some text or add a document first."), alert=True
            )
            return
        outgoing.answer_callback(query.id)
        await state.clear()
        if draft:
            builder = InlineKeyboardBuilder()
            builder.button(
                text=_("📖 Open"), callback_data=Msg(action="open", id=written.thread_id)
            )
            builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
            builder.adjust(1)
            outgoing.send(
                _("💾 Saved as a draft («Melnraksts»). Open it to send it later."),
                keyboard=builder.as_markup(),
            )
        else:
            sent_reply(outgoing, written.thread_id)

    @router.callback_query(
        StateFilter(MessageDialog, QuickUpload), Msg.filter(F.action == "cancel")
    )
    async def cancelled(query: CallbackQuery, outgoing: Outgoing, state: FSMContext) -> None:
        outgoing.answer_callback(query.id)
        await state.clear()
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
        outgoing.send(_("Cancelled. Nothing was sent."), keyboard=builder.as_markup())

    @router.message(StateFilter(MessageDialog.doc_type, MessageDialog.subject))
    async def not_now(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("Please answer the question above first (or /cancel)."))

    return router
