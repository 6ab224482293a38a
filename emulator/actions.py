"""What simulated users do: write, press buttons, upload files, block the bot."""

from __future__ import annotations

import hashlib
import random
import time

from .entities import command_entities
from .media import document_api, guess_mime, image_size, photo_sizes
from .models import JSON, CallbackQuery, Message, Update, User
from .state import BotWorld


class ActionError(Exception):
    """A test asked for something a real user could not do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def chat_instance(world: BotWorld, chat_id: int) -> str:
    digest = hashlib.sha256(f"{world.bot_id}:{chat_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") >> 1)


def _prepare_user(world: BotWorld, user: User) -> None:
    """Writing to a bot you blocked unblocks it (the app's "Restart" button)."""
    if user.blocked:
        set_blocked(world, user, False)
    user.started = True


def _enqueue_message(world: BotWorld, user: User, message: Message) -> Update:
    return world.enqueue("message", world.message_api(message), user.id)


def send_text(
    world: BotWorld, user: User, text: str, reply_to_message_id: int | None = None
) -> tuple[Update, Message]:
    if not text.strip():
        raise ActionError(400, "a Telegram user can't send an empty message")
    if len(text) > 4096:
        raise ActionError(400, "a Telegram user can't send more than 4096 characters")
    _prepare_user(world, user)
    reply_to = None
    if reply_to_message_id:
        reply_to = world.find_message(user.id, reply_to_message_id)
        if reply_to is None:
            raise ActionError(400, f"message {reply_to_message_id} not found in this chat")
    chat = world.chat(user.id)
    if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
        chat.reply_keyboard = None
    message = world.add_message(
        user.id, False, user.to_api(), text=text, entities=command_entities(text), reply_to=reply_to
    )
    return _enqueue_message(world, user, message), message


def send_file(
    world: BotWorld,
    user: User,
    kind: str,
    data: bytes,
    file_name: str | None,
    mime_type: str | None,
    caption: str | None,
    *,
    allow_empty: bool = False,
) -> tuple[Update, Message]:
    """A photo or document from the user. Telegram's apps send no empty file, so 0 bytes are
    refused unless a test asks for an empty document explicitly (`allow_empty`): the bot must
    still answer one sensibly."""
    if not data and not (allow_empty and kind == "document"):
        raise ActionError(400, "the file is empty")
    _prepare_user(world, user)
    fields: JSON = {}
    if kind == "photo":
        stored = world.store_file(data, "photo", file_name, "image/jpeg")
        fields["photo"] = photo_sizes(world, stored, image_size(data) or (800, 600))
    else:
        mime = guess_mime(file_name, mime_type)
        stored = world.store_file(data, "document", file_name or "file", mime)
        fields["document"] = document_api(stored)
    if caption:
        fields["caption"] = caption
        fields["caption_entities"] = command_entities(caption)
    message = world.add_message(user.id, False, user.to_api(), **fields)
    return _enqueue_message(world, user, message), message


def find_button(message: Message, text: str | None, data: str | None) -> JSON:
    markup = message.reply_markup or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    for button in buttons:
        if (text is not None and button.get("text") == text) or (
            data is not None and button.get("callback_data") == data
        ):
            if "callback_data" not in button:
                raise ActionError(400, f"button {button.get('text')!r} has no callback_data")
            found: JSON = button
            return found
    shown = [b.get("text") for b in buttons]
    wanted = f"text={text!r}" if text is not None else f"callback_data={data!r}"
    raise ActionError(
        400, f"no button with {wanted} on message {message.message_id}; buttons: {shown}"
    )


def press(
    world: BotWorld, user: User, message_id: int, text: str | None = None, data: str | None = None
) -> tuple[Update, CallbackQuery]:
    if (text is None) == (data is None):
        raise ActionError(400, "give exactly one of text or data")
    message = world.find_message(user.id, message_id)
    if message is None:
        raise ActionError(400, f"message {message_id} not found (or deleted) in this chat")
    if not message.outgoing:
        raise ActionError(400, f"message {message_id} was not sent by the bot")
    button = find_button(message, text, data)
    return _callback(world, user, message_id, str(button["callback_data"]), message, 0.0)


def forge_callback(
    world: BotWorld, user: User, message_id: int, data: str, age_seconds: float = 0.0
) -> tuple[Update, CallbackQuery]:
    """Send any callback data on any message id, as a modified client or a stale chat could."""
    message = world.find_message(user.id, message_id)
    return _callback(world, user, message_id, data, message, age_seconds)


def _callback(
    world: BotWorld, user: User, message_id: int, data: str, message: Message | None, age: float
) -> tuple[Update, CallbackQuery]:
    _prepare_user(world, user)
    query = CallbackQuery(
        str(random.getrandbits(63)), user.id, user.id, message_id, data, time.monotonic() - age
    )
    world.callbacks[query.id] = query
    if message is not None:
        shown = world.message_api(message)
    else:  # what Telegram sends for a message the bot can no longer access
        shown = {"chat": user.chat_api(), "message_id": message_id, "date": 0}
    payload = {
        "id": query.id,
        "from": user.to_api(),
        "message": shown,
        "chat_instance": chat_instance(world, user.id),
        "data": data,
    }
    return world.enqueue("callback_query", payload, user.id), query


def set_blocked(world: BotWorld, user: User, blocked: bool) -> Update | None:
    """Block or unblock; Telegram tells the bot with a my_chat_member update."""
    if user.blocked == blocked:
        return None
    user.blocked = blocked
    bot = world.identity.to_api()
    old: JSON = {"user": bot, "status": "member"}
    new: JSON = {"user": bot, "status": "kicked", "until_date": 0}
    if not blocked:
        old, new = new, old
    payload = {
        "chat": user.chat_api(),
        "from": user.to_api(),
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    return world.enqueue("my_chat_member", payload, user.id)


def inject(world: BotWorld, fields: JSON, chat_id: int | None = None) -> Update:
    """Queue an update exactly as given (its `update_id` is the world's next one).

    For what no simulated user can do: updates of kinds or shapes a bot's library may not
    know (Telegram adds fields, and kinds, before libraries catch up). The kind, which
    `allowed_updates` filters on, is the first field; the chat, which orders webhook
    deliveries, is `chat_id` or else guessed from the kind's object.
    """
    body = {key: value for key, value in fields.items() if key != "update_id"}
    if not body:
        raise ActionError(400, "an update needs at least one field besides update_id")
    kind = next(iter(body))
    payload = body[kind]
    if chat_id is None:
        chat_id = _guess_chat(payload)
    return world.enqueue(kind, payload, chat_id, raw=body)


def _guess_chat(payload: object) -> int:
    if not isinstance(payload, dict):
        return 0
    for holder in (payload.get("chat"), payload.get("from"), payload.get("user")):
        if isinstance(holder, dict) and isinstance(holder.get("id"), int):
            return int(holder["id"])
    return 0
