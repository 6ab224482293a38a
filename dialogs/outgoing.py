"""The replies a handler wants sent, as aiogram method objects, collected until commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardRemove

Markup = InlineKeyboardMarkup | ReplyKeyboardRemove

# A stored document in a queued sendDocument: `STORED<sha256>/<file name>`. The outbox
# uploads the file from the store when it sends the row; the row never holds the bytes.
STORED = "altum-store:"


def stored_document(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(sha256, name) of a queued stored document, else None."""
    if payload.get("method") != "sendDocument":
        return None
    document = payload.get("params", {}).get("document")
    if not isinstance(document, str) or not document.startswith(STORED):
        return None
    sha256, _, name = document[len(STORED) :].partition("/")
    return sha256, name


@dataclass(slots=True)
class Queued:
    chat_id: int | None
    method: TelegramMethod[Any]
    # Strings in the call that are live secrets (a login link's token): the outbox keeps
    # them readable only until the call is sent or given up.
    secrets: tuple[str, ...] = ()
    expires_at: datetime | None = None  # not worth sending after this (its link is dead)
    # A push (a notice, a reminder: not an answer to the person's own update): paced by the
    # push sender to Telegram's limits instead of sent at once (bot/delivery/push.py).
    push: bool = False


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    text: str
    secrets: tuple[str, ...] = ()  # as for `Queued`
    expires_at: datetime | None = None


@dataclass(slots=True)
class Outgoing:
    """Bot API calls and e-mails queued by one update's handler, sent after its commit."""

    chat_id: int | None
    queued: list[Queued] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)

    def email(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        secrets: tuple[str, ...] = (),
        expires_at: datetime | None = None,
    ) -> None:
        self.emails.append(
            Email(to=to, subject=subject, text=text, secrets=secrets, expires_at=expires_at)
        )

    def delete(self, message_id: int) -> None:
        """Remove a message from the chat (one holding a secret the person typed)."""
        chat_id = self._chat()
        self._queue(chat_id, DeleteMessage(chat_id=chat_id, message_id=message_id))

    def send_to(self, chat_id: int, text: str, *, keyboard: Markup | None = None) -> None:
        """A message to another chat (e.g. the one whose link was replaced)."""
        self._queue(chat_id, SendMessage(chat_id=chat_id, text=text, reply_markup=keyboard))

    def send(
        self,
        text: str,
        *,
        keyboard: Markup | None = None,
        secrets: tuple[str, ...] = (),
        expires_at: datetime | None = None,
    ) -> None:
        """`secrets`: parts of the message (a link's token) not to keep once it is sent."""
        chat_id = self._chat()
        method = SendMessage(chat_id=chat_id, text=text, reply_markup=keyboard)
        self.queued.append(Queued(chat_id, method, secrets, expires_at))

    def edit(
        self, message_id: int, text: str, *, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        chat_id = self._chat()
        self._queue(
            chat_id,
            EditMessageText(
                chat_id=chat_id, message_id=message_id, text=text, reply_markup=keyboard
            ),
        )

    def remove_keyboard(self, message_id: int) -> None:
        chat_id = self._chat()
        self._queue(chat_id, EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id))

    def answer_callback(
        self, callback_query_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        # Answered first: the client shows a spinner on the button until it is.
        method = AnswerCallbackQuery(
            callback_query_id=callback_query_id, text=text, show_alert=alert or None
        )
        self.queued.insert(0, Queued(self.chat_id, method))

    def push_to(self, chat_id: int, text: str, *, keyboard: Markup | None = None) -> None:
        """A message nobody in that chat just asked for: paced, not sent at once."""
        method = SendMessage(chat_id=chat_id, text=text, reply_markup=keyboard)
        self.queued.append(Queued(chat_id, method, push=True))

    def _queue(self, chat_id: int, method: TelegramMethod[Any]) -> None:
        self.queued.append(Queued(chat_id, method))

    def _chat(self) -> int:
        if self.chat_id is None:
            raise RuntimeError("this update has no chat to answer in")
        return self.chat_id

    def send_stored(
        self,
        sha256: str,
        name: str,
        *,
        caption: str | None = None,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> None:
        """A file from the store, as a document. Only for a file the handler has just found
        through a client-scoped query: the outbox sends whatever hash it is given."""
        chat_id = self._chat()
        document = f"{STORED}{sha256}/{name}"
        self._queue(
            chat_id,
            SendDocument(
                chat_id=chat_id, document=document, caption=caption, reply_markup=keyboard
            ),
        )

    def push_stored_to(
        self, chat_id: int, sha256: str, name: str, *, caption: str | None = None
    ) -> None:
        """A stored file nobody in that chat just asked for (a notice's PDF): paced."""
        document = f"{STORED}{sha256}/{name}"
        method = SendDocument(chat_id=chat_id, document=document, caption=caption)
        self.queued.append(Queued(chat_id, method, push=True))

    def send_stored_to(
        self, chat_id: int, sha256: str, name: str, *, caption: str | None = None
    ) -> None:
        """A file the bot made and stored (a submitted application's PDF) to another chat."""
        document = f"{STORED}{sha256}/{name}"
        self._queue(chat_id, SendDocument(chat_id=chat_id, document=document, caption=caption))
