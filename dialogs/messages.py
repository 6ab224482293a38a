"""«Saziņa»: threads with ALTUM, a thread's messages and documents, «Jauna ziņa»,
«Atbildēt», drafts, «Detalizēta meklēšana» and the client's documents.

Callback data carries opaque ids only; every handler loads what it names through the
client-scoped use cases of `portal.messages`, so another client's id finds nothing.
What is being written lives in the conversation state until «Nosūtīt» or «Saglabāt».
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.document_texts import refusal_text, warning_text
from dialogs.message_texts import (
    archive_text,
    compose_text,
    day,
    list_text,
    query_text,
    thread_text,
    type_label,
    type_labels,
)
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, DialogSettings, MenuEntry, Routing, Section, Visibility
from dialogs.uploads import FileDesk, TelegramDownload
from portal import messages
from portal.clients import choose_client
from portal.documents import DocumentKind, Refusal
from portal.model import (
    ClientFile,
    Invalid,
    MessageStatus,
    NewAttachment,
    NoAccess,
    NotFound,
    NotLinked,
    ThreadQuery,
)
from portal.ports import UnitOfWork
from portal.uploads import receive_document

MESSAGES = "messages"
STATUSES = (None, MessageStatus.RECEIVED, MessageStatus.SENT, MessageStatus.DRAFT)
PERIODS = (None, 7, 30, 365)  # days back


class Msg(CallbackData, prefix="ms"):
    action: str
    id: int = 0
    value: str = ""


class MessageDialog(StatesGroup):
    subject = State()
    body = State()
    doc_type = State()
    doc_date = State()
    search_text = State()


def now() -> datetime:
    return datetime.now(UTC)


# --- the list ------------------------------------------------------------------------------


def _query(data: dict[str, Any]) -> ThreadQuery:
    raw = data.get("msq") or {}
    return ThreadQuery(
        text=raw.get("text"),
        status=MessageStatus(raw["status"]) if raw.get("status") else None,
        since=date.fromisoformat(raw["since"]) if raw.get("since") else None,
        unread_only=bool(raw.get("unread")),
        deal_id=raw.get("deal_id"),
    )


def _searching(data: dict[str, Any]) -> bool:
    return bool(data.get("msq"))


def list_keyboard(threads: list[Any], *, offset: int, has_more: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, thread in enumerate(threads, start=1):
        mark = "🔵 " if thread.unread else ""
        builder.button(
            text=f"{number}. {mark}{thread.subject}"[:60],
            callback_data=Msg(action="open", id=thread.id),
        )
    widths = [1] * len(threads)
    paging = 0
    if offset > 0:
        builder.button(
            text=_("◀️ Newer"), callback_data=Msg(action="list", id=max(0, offset - messages.PAGE))
        )
        paging += 1
    if has_more:
        builder.button(
            text=_("Older ▶️"), callback_data=Msg(action="list", id=offset + messages.PAGE)
        )
        paging += 1
    if paging:
        widths.append(paging)
    builder.button(text=_("✉️ New message"), callback_data=Msg(action="new"))
    builder.button(text=_("🔎 Detailed search"), callback_data=Msg(action="search"))
    builder.button(text=_("📂 Documents"), callback_data=Msg(action="docs"))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(*widths, 1, 1, 1, 1)
    return builder.as_markup()


def no_client(outgoing: Outgoing, query_id: str | None = None) -> None:
    """A pressed button (`query_id`) is answered with the refusal as an alert, too."""
    refused = _("Choose the client you act for first: /client")
    if query_id is not None:
        outgoing.answer_callback(query_id, refused, alert=True)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏢 Choose client"), callback_data=MenuAction(section="clients"))
    outgoing.send(refused, keyboard=builder.as_markup())


async def show_list(
    user_id: int,
    uow: UnitOfWork,
    outgoing: Outgoing,
    state: FSMContext,
    offset: int = 0,
    query_id: str | None = None,
) -> None:
    """The list; a pressed button (`query_id`) is answered here."""
    data = await state.get_data()
    try:
        view = await messages.overview(
            uow=uow, telegram_user_id=user_id, query=_query(data), offset=offset
        )
    except NotLinked:
        if query_id is not None:
            outgoing.answer_callback(query_id)
        not_logged_in(outgoing)
        return
    except NoAccess:
        no_client(outgoing, query_id)
        return
    if query_id is not None:
        outgoing.answer_callback(query_id)
    outgoing.send(
        list_text(
            view.threads.items,
            unread=view.unread,
            consultant=view.consultant,
            searching=_searching(data),
        ),
        keyboard=list_keyboard(
            view.threads.items, offset=view.threads.offset, has_more=view.threads.has_more
        ),
    )


# --- a thread ------------------------------------------------------------------------------


async def show_thread(user_id: int, thread_id: int, uow: UnitOfWork, outgoing: Outgoing) -> None:
    view = await messages.open_thread(
        uow=uow, telegram_user_id=user_id, thread_id=thread_id, now=now()
    )
    texts = thread_text(view.thread, view.messages, view.documents)
    builder = InlineKeyboardBuilder()
    for document in view.documents:
        builder.button(
            text=f"📎 {document.file.name}"[:60], callback_data=Msg(action="doc", id=document.id)
        )
    for message in view.messages:
        if message.status is MessageStatus.DRAFT:
            builder.button(
                text=_("📨 Send the draft"), callback_data=Msg(action="draft", id=message.id)
            )
    builder.button(text=_("↩️ Reply"), callback_data=Msg(action="reply", id=thread_id))
    builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
    builder.adjust(1)
    for text in texts[:-1]:
        outgoing.send(text)
    outgoing.send(texts[-1], keyboard=builder.as_markup())


# --- writing -------------------------------------------------------------------------------


def compose_keyboard(*, can_link: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📨 Send"), callback_data=Msg(action="send"))
    builder.button(text=_("💾 Save"), callback_data=Msg(action="save"))
    if can_link:
        builder.button(text=_("🔗 Concerns a deal"), callback_data=Msg(action="deal"))
    builder.button(text=_("✖️ Cancel"), callback_data=Msg(action="cancel"))
    builder.adjust(2, 1, 1)
    return builder.as_markup()


async def _compose(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    # A copy: the storage compares what is saved with what it read, so changing its own
    # dict in place would look like no change.
    compose: dict[str, Any] = copy.deepcopy(data.get("c") or {})
    return compose


async def _save_compose(state: FSMContext, compose: dict[str, Any]) -> None:
    await state.update_data(c=compose)


def show_compose(outgoing: Outgoing, compose: dict[str, Any]) -> None:
    outgoing.send(
        compose_text(
            subject=compose.get("subject"),
            body="\n\n".join(compose.get("parts", [])),
            attachments=compose.get("att", []),
            deal=compose.get("deal"),
        ),
        keyboard=compose_keyboard(can_link=compose.get("thread") is None),
    )


def type_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for type_id, label in type_labels():
        builder.button(text=label, callback_data=Msg(action="type", value=type_id))
    builder.adjust(2)
    return builder.as_markup()


def date_keyboard(today: date) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Today, {date}").format(date=day(today)), callback_data=Msg(action="today")
    )
    return builder.as_markup()


async def take_file(
    message: Message, bot: Bot, desk: FileDesk, client_id: int, outgoing: Outgoing
) -> ClientFile | None:
    """Download, check and store the file or photo of `message`; say why it was refused."""
    if message.document is not None:
        file_id, size = message.document.file_id, message.document.file_size
        name = message.document.file_name or "document"
    else:
        assert message.photo
        photo = message.photo[-1]  # the largest size Telegram keeps
        file_id, size, name = photo.file_id, photo.file_size, "photo.jpg"
    result = await receive_document(
        client_id=client_id,
        source=TelegramDownload(bot, file_id),
        declared_name=name,
        declared_size=size,
        rules=desk.rules,
        store=desk.store,
        inspector=desk.inspector,
    )
    if isinstance(result, Refusal):
        outgoing.send(refusal_text(result, desk.rules))
        return None
    for warning in result.warnings:
        outgoing.send(warning_text(warning, desk.rules, name=result.file.name))
    return result.file


def file_entry(file: ClientFile) -> dict[str, Any]:
    """A stored file in the conversation state (JSON)."""
    return {
        "client_id": file.client_id,
        "sha256": file.sha256,
        "size": file.size,
        "kind": str(file.kind),
        "name": file.name,
    }


def file_of(entry: dict[str, Any]) -> ClientFile:
    return ClientFile(
        client_id=entry["client_id"],
        sha256=entry["sha256"],
        size=entry["size"],
        kind=DocumentKind(entry["kind"]),
        name=entry["name"],
    )


def _attachments(compose: dict[str, Any]) -> list[NewAttachment]:
    return [
        NewAttachment(
            file=file_of(entry),
            doc_type=entry["doc_type"],
            prepared_on=date.fromisoformat(entry["prepared_on"]),
        )
        for entry in compose.get("att", [])
    ]


def _subject(compose: dict[str, Any]) -> str | None:
    """The subject written, or for a quick upload the first document's type (and deal)."""
    subject: str | None = compose.get("subject")
    attachments = compose.get("att", [])
    if subject or not compose.get("auto_subject") or not attachments:
        return subject
    label = type_label(attachments[0]["doc_type"])
    return f"{label} — {compose['deal']}" if compose.get("deal") else label


def router(settings: DialogSettings) -> Router:
    router = Router(name=MESSAGES)
    desk = settings.files

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
        query: CallbackQuery, callback_data: Msg, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        try:
            if callback_data.value.isdigit():  # from a notice: act for that client first
                await choose_client(
                    uow=uow, telegram_user_id=query.from_user.id, client_id=int(callback_data.value)
                )
            await show_thread(query.from_user.id, callback_data.id, uow, outgoing)
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

    # --- writing ---------------------------------------------------------------------------

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
        compose = await _compose(state)
        compose["subject"] = subject
        await _save_compose(state, compose)
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
        compose = await _compose(state)
        parts = [*compose.get("parts", []), message.text.strip()]
        if sum(len(p) + 2 for p in parts) > messages.MAX_BODY:
            outgoing.send(
                _(
                    "The message would be longer than {limit} characters; this part was not added."
                ).format(limit=messages.MAX_BODY)
            )
            return
        compose["parts"] = parts
        await _save_compose(state, compose)
        show_compose(outgoing, compose)

    @router.message(MessageDialog.body, F.document | F.photo)
    async def body_file(
        message: Message, bot: Bot, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
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
        compose = await _compose(state)
        if len(compose.get("att", [])) >= messages.MAX_ATTACHMENTS:
            outgoing.send(
                _("A message can carry at most {limit} documents.").format(
                    limit=messages.MAX_ATTACHMENTS
                )
            )
            return
        file = await take_file(message, bot, desk, who.client_id, outgoing)
        if file is None:
            return
        compose["pending"] = file_entry(file)
        await _save_compose(state, compose)
        await state.set_state(MessageDialog.doc_type)
        outgoing.send(
            _("📎 «{name}» received. What document is it («dokumenta tips»)?").format(
                name=file.name
            ),
            keyboard=type_keyboard(),
        )

    @router.callback_query(MessageDialog.doc_type, Msg.filter(F.action == "type"))
    async def type_chosen(
        query: CallbackQuery, callback_data: Msg, outgoing: Outgoing, state: FSMContext
    ) -> None:
        compose = await _compose(state)
        pending = compose.get("pending")
        if pending is None or callback_data.value not in dict(type_labels()):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        outgoing.answer_callback(query.id)
        pending["doc_type"] = callback_data.value
        await _save_compose(state, compose)
        await state.set_state(MessageDialog.doc_date)
        outgoing.send(
            _(
                "When was the document prepared («dokumenta sagatavošanas datums»)? Press "
                "the button or write the date as dd.mm.yyyy."
            ),
            keyboard=date_keyboard(now().date()),
        )

    async def dated(outgoing: Outgoing, state: FSMContext, prepared_on: date) -> None:
        compose = await _compose(state)
        pending = compose.pop("pending", None)
        if pending is None or "doc_type" not in pending:
            outgoing.send(_("This button is no longer valid."))
            return
        pending["prepared_on"] = prepared_on.isoformat()
        compose["att"] = [*compose.get("att", []), pending]
        await _save_compose(state, compose)
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
                text=f"{deal.number} — {deal.data.product}"[:60],
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
        compose = await _compose(state)
        compose["deal"] = deal.number
        await _save_compose(state, compose)
        show_compose(outgoing, compose)

    @router.callback_query(MessageDialog.body, Msg.filter(F.action.in_({"send", "save"})))
    async def finished(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        compose = await _compose(state)
        draft = callback_data.action == "save"
        try:
            written = await messages.write(
                uow=uow,
                telegram_user_id=query.from_user.id,
                body="\n\n".join(compose.get("parts", [])),
                now=now(),
                subject=_subject(compose),
                thread_id=compose.get("thread"),
                deal_number=compose.get("deal"),
                attachments=_attachments(compose),
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
            builder.button(text=_("Open"), callback_data=Msg(action="open", id=written.thread_id))
            builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
            builder.adjust(1)
            outgoing.send(
                _("💾 Saved as a draft («Melnraksts»). Open it to send it later."),
                keyboard=builder.as_markup(),
            )
        else:
            sent_reply(outgoing, written.thread_id)

    @router.callback_query(Msg.filter(F.action == "cancel"))
    async def cancelled(query: CallbackQuery, outgoing: Outgoing, state: FSMContext) -> None:
        outgoing.answer_callback(query.id)
        await state.clear()
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
        outgoing.send(_("Cancelled. Nothing was sent."), keyboard=builder.as_markup())

    @router.message(StateFilter(MessageDialog.doc_type, MessageDialog.subject))
    async def not_now(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("Please answer the question above first (or /cancel)."))

    # --- detailed search -------------------------------------------------------------------

    async def show_search(
        user_id: int, uow: UnitOfWork, outgoing: Outgoing, state: FSMContext
    ) -> None:
        data = await state.get_data()
        query = _query(data)
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
        builder.button(text=_("Unread only"), callback_data=Msg(action="sunread"))
        builder.button(text=_("🔎 Search"), callback_data=Msg(action="list"))
        builder.button(text=_("Clear"), callback_data=Msg(action="sclear"))
        builder.adjust(2, 2, 1, 2)
        outgoing.send(query_text(query, deal_number), keyboard=builder.as_markup())

    @router.callback_query(
        Msg.filter(F.action.in_({"search", "sstatus", "speriod", "sunread", "sdeal", "sclear"}))
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

    # --- the client's documents ------------------------------------------------------------

    @router.callback_query(Msg.filter(F.action == "docs"))
    async def archive(
        query: CallbackQuery, callback_data: Msg, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        try:
            page = await messages.client_documents(
                uow=uow, telegram_user_id=query.from_user.id, offset=callback_data.id
            )
        except (NotLinked, NoAccess):
            no_client(outgoing, query.id)
            return
        outgoing.answer_callback(query.id)
        builder = InlineKeyboardBuilder()
        for number, document in enumerate(page.items, start=1):
            builder.button(
                text=f"{number}. 📎 {document.file.name}"[:60],
                callback_data=Msg(action="doc", id=document.id),
            )
        if page.offset > 0:
            builder.button(
                text=_("◀️ Newer"),
                callback_data=Msg(action="docs", id=max(0, page.offset - messages.PAGE)),
            )
        if page.has_more:
            builder.button(
                text=_("Older ▶️"), callback_data=Msg(action="docs", id=page.offset + messages.PAGE)
            )
        builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
        builder.adjust(1)
        outgoing.send(archive_text(page.items), keyboard=builder.as_markup())

    return router


def open_keyboard(thread_id: int, client_id: int) -> InlineKeyboardMarkup:
    """«Atvērt» on a notice: the thread, at its client."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Open"), callback_data=Msg(action="open", id=thread_id, value=str(client_id))
    )
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def sent_reply(outgoing: Outgoing, thread_id: int) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open"), callback_data=Msg(action="open", id=thread_id))
    builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
    builder.adjust(1)
    outgoing.send(_("📨 Sent to ALTUM («Nosūtīta»)."), keyboard=builder.as_markup())


SECTION = Section(
    key=MESSAGES,
    position=56,
    router=router,
    menu=MenuEntry(__("✉️ Communication"), Visibility.LOGGED_IN),
    help=__("messages with ALTUM: threads, replies, drafts, search, documents from your phone."),
    commands=(CommandEntry("messages", __("Messages with ALTUM")),),
    routing=Routing.FLOW,
)
