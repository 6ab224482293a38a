"""What «Saziņa»'s dialogs share: callback data, conversation states, the message being
written (kept in the conversation state as JSON), files taken from the chat, keyboards."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.document_texts import page_count_text, refusal_text, warning_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_texts import (
    compose_text,
    day,
    list_text,
    thread_text,
    type_label,
    type_labels,
)
from dialogs.outgoing import Outgoing
from dialogs.shorten import shorten
from dialogs.uploads import FileDesk, Prefetched, TelegramDownload, sent_file
from portal import messages
from portal.documents import DocumentKind, Refusal
from portal.model import (
    ClientFile,
    MessageStatus,
    NewAttachment,
    NoAccess,
    NotLinked,
    ThreadQuery,
)
from portal.ports import UnitOfWork
from portal.uploads import bind_photos, receive_document, receive_staged

STATUSES = (None, MessageStatus.RECEIVED, MessageStatus.SENT, MessageStatus.DRAFT)
PERIODS = (None, 7, 30, 365)  # days back


class Msg(CallbackData, prefix="ms"):
    action: str
    id: int = 0
    value: str = ""


class QuickUpload(StatesGroup):
    pages = State()  # photos being collected into one PDF
    target = State()  # «Kas tas ir?»


class MessageDialog(StatesGroup):
    subject = State()
    body = State()
    doc_type = State()
    doc_date = State()
    search_text = State()


def now() -> datetime:
    return datetime.now(UTC)


# --- the list ------------------------------------------------------------------------------


def query_of(data: dict[str, Any]) -> ThreadQuery:
    raw = data.get("msq") or {}
    return ThreadQuery(
        text=raw.get("text"),
        status=MessageStatus(raw["status"]) if raw.get("status") else None,
        since=date.fromisoformat(raw["since"]) if raw.get("since") else None,
        unread_only=bool(raw.get("unread")),
        deal_id=raw.get("deal_id"),
        application_id=raw.get("app_id"),
    )


def searching(data: dict[str, Any]) -> bool:
    return bool(data.get("msq"))


def list_keyboard(threads: list[Any], *, offset: int, has_more: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, thread in enumerate(threads, start=1):
        mark = "🔵 " if thread.unread else ""
        builder.button(
            text=shorten(f"{number}. {mark}{thread.subject}", 60),
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
    builder.button(text=_("🗄 Archive of sent documents"), callback_data=Msg(action="arch"))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(*widths, 1, 1, 1, 1, 1)
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
            uow=uow, telegram_user_id=user_id, query=query_of(data), offset=offset
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
            searching=searching(data),
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
            text=shorten(f"📎 {document.file.name}", 60),
            callback_data=Msg(action="doc", id=document.id),
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
        builder.button(text=_("🔗 Concerns an application"), callback_data=Msg(action="app"))
    builder.button(text=_("✖️ Cancel"), callback_data=Msg(action="cancel"))
    builder.adjust(2, 1, 1, 1)
    return builder.as_markup()


async def load_compose(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    # A copy: the storage compares what is saved with what it read, so changing its own
    # dict in place would look like no change.
    compose: dict[str, Any] = copy.deepcopy(data.get("c") or {})
    return compose


async def save_compose(state: FSMContext, compose: dict[str, Any]) -> None:
    await state.update_data(c=compose)


def show_compose(outgoing: Outgoing, compose: dict[str, Any]) -> None:
    outgoing.send(
        compose_text(
            subject=compose.get("subject"),
            body="\n\n".join(compose.get("parts", [])),
            attachments=compose.get("att", []),
            deal=compose.get("deal"),
            application=compose.get("app"),
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
    message: Message,
    bot: Bot,
    desk: FileDesk,
    client_id: int,
    outgoing: Outgoing,
    prefetched: Prefetched | None = None,
) -> ClientFile | None:
    """Check and store the file or photo of `message` (downloaded before the transaction by
    the runtime when it could, else now); say why it was refused."""
    sent = sent_file(message)
    assert sent is not None
    if prefetched is not None and prefetched.usable_for(sent.file_id):
        result = await receive_staged(
            client_id=client_id,
            staged=prefetched.staged,
            declared_name=sent.name,
            declared_size=sent.size,
            rules=desk.rules,
            store=desk.store,
            inspector=desk.inspector,
        )
    else:
        result = await receive_document(
            client_id=client_id,
            source=TelegramDownload(bot, sent.file_id),
            declared_name=sent.name,
            declared_size=sent.size,
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


def attachments_of(compose: dict[str, Any]) -> list[NewAttachment]:
    return [
        NewAttachment(
            file=file_of(entry),
            doc_type=entry["doc_type"],
            prepared_on=date.fromisoformat(entry["prepared_on"]),
        )
        for entry in compose.get("att", [])
    ]


def subject_of(compose: dict[str, Any]) -> str | None:
    """The subject written, or for a quick upload the first document's type (and the deal or
    application it is about)."""
    subject: str | None = compose.get("subject")
    attachments = compose.get("att", [])
    if subject or not compose.get("auto_subject") or not attachments:
        return subject
    label = type_label(attachments[0]["doc_type"])
    if compose.get("deal"):
        return f"{label} — {compose['deal']}"
    if compose.get("app"):
        return _("{type} — application No. {id}").format(type=label, id=compose["app"])
    return label


def open_keyboard(thread_id: int, client_id: int) -> InlineKeyboardMarkup:
    """«Atvērt» on a notice: the thread, at its client."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📖 Open"), callback_data=Msg(action="open", id=thread_id, value=str(client_id))
    )
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def sent_reply(outgoing: Outgoing, thread_id: int) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📖 Open"), callback_data=Msg(action="open", id=thread_id))
    builder.button(text=_("⬅️ Communication"), callback_data=Msg(action="list"))
    builder.adjust(1)
    outgoing.send(_("📨 Sent to ALTUM: the message is now «Sent»."), keyboard=builder.as_markup())


def pages_keyboard(*, more: str, done: str) -> InlineKeyboardMarkup:
    """«Pievienot lappusi» / «Gatavs» under the page count."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Add a page"), callback_data=Msg(action=more))
    builder.button(text=_("✅ Done"), callback_data=Msg(action=done))
    builder.button(text=_("✖️ Cancel"), callback_data=Msg(action="cancel"))
    builder.adjust(2, 1)
    return builder.as_markup()


def pages_waiting_text(count: int) -> str:
    """Text typed while photos wait for «Gatavs»: their buttons again, under the message, so
    «Nosūtīt» (refused until then) is not a dead end with «Gatavs» scrolled out of sight."""
    return _(
        "📄 The photos still wait to become one PDF of {pages}: send the next page or press «Done»."
    ).format(pages=page_count_text(count))


def page_added_text(count: int) -> str:
    return _(
        "📄 Page {number} added: the PDF has {pages} now. Send the next page "
        "(«Add a page») or press «Done»."
    ).format(number=count, pages=page_count_text(count))


async def bind_pages(
    desk: FileDesk, client_id: int, entries: list[dict[str, Any]], outgoing: Outgoing
) -> ClientFile | None:
    """The photos as the pages of one PDF, in the order sent; None (and why) if refused."""
    pages = [file_of(entry) for entry in entries]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    bound = await bind_photos(
        client_id=client_id,
        pages=pages,
        name=_("document-{date}").format(date=stamp),
        rules=desk.rules,
        store=desk.store,
        inspector=desk.inspector,
        binder=desk.binder,
    )
    if isinstance(bound, Refusal):
        outgoing.send(refusal_text(bound, desk.rules))
        return None
    outgoing.send(
        ngettext(
            "The photo is now one PDF of {count} page.",
            "The photos are now one PDF of {count} pages.",
            len(pages),
        ).format(count=len(pages))
    )
    return bound.file
