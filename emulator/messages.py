"""Bot API methods that send, edit and delete messages, and the file methods."""

from __future__ import annotations

import time
from typing import Any

from . import validation as v
from .media import document_api, guess_mime, image_size, photo_sizes
from .models import JSON, Message, StoredFile, User
from .params import Upload
from .registry import Call, bot_method
from .state import BotWorld
from .validation import bad_request

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _split_markup(markup: JSON | None) -> tuple[JSON | None, JSON | None]:
    """(inline markup echoed in Message, other keyboard markup kept for the chat)."""
    if markup is not None and "inline_keyboard" in markup:
        return markup, None
    return None, markup


def _apply_keyboard(world: BotWorld, chat_id: int, keyboard: JSON | None) -> None:
    if keyboard is None:
        return
    chat = world.chat(chat_id)
    chat.reply_keyboard = None if "remove_keyboard" in keyboard else keyboard


def _reply_target(call: Call, user: User) -> Message | None:
    params = call.params
    reply = params.get_json("reply_parameters", "reply parameters")
    message_id: Any = None
    allow_missing = params.get_bool("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
    elif reply is not None:
        raise bad_request("object expected as reply parameters")
    else:
        message_id = params.get_optional_int("reply_to_message_id")
    if not message_id:
        return None
    target = call.world.find_message(user.id, int(message_id))
    if target is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return target


def _link_preview(call: Call) -> JSON | None:
    options = call.params.get_json("link_preview_options", "link preview options")
    if options is not None and not isinstance(options, dict):
        raise bad_request("object expected as link preview options")
    if options is None and call.params.get_bool("disable_web_page_preview"):
        options = {"is_disabled": True}
    return options or None


@bot_method("sendMessage")
async def send_message(call: Call) -> JSON:
    p = call.params
    text, entities = v.formatted_text(
        p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities")
    )
    inline, keyboard = _split_markup(v.reply_markup(p.raw("reply_markup")))
    preview = _link_preview(call)
    user = call.writable_chat()
    reply_to = _reply_target(call, user)
    world = call.world
    message = world.add_message(
        user.id,
        True,
        world.identity.to_api(),
        text=text,
        entities=entities,
        reply_markup=inline,
        reply_keyboard=keyboard,
        link_preview_options=preview,
        reply_to=reply_to,
    )
    _apply_keyboard(world, user.id, keyboard)
    return world.message_api(message)


def _message_to_edit(call: Call) -> Message:
    if call.params.get_str("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # no inline mode in the emulator
    if call.params.raw("chat_id") in (None, ""):
        raise bad_request("chat identifier is not specified")
    message_id = call.params.get_optional_int("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    user = call.private_chat()
    message = call.world.find_message(user.id, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.outgoing:
        raise bad_request("message can't be edited")
    return message


def _edit_markup(call: Call) -> JSON | None:
    markup = v.reply_markup(call.params.raw("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _finish_edit(call: Call, message: Message) -> JSON:
    message.edit_date = int(time.time())
    call.world.changed(message.chat_id)
    return call.world.message_api(message)


@bot_method("editMessageText")
async def edit_message_text(call: Call) -> JSON:
    p = call.params
    text, entities = v.formatted_text(
        p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities")
    )
    # Omitting reply_markup removes the keyboard, exactly like Telegram.
    markup = _edit_markup(call)
    preview = _link_preview(call)
    message = _message_to_edit(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    message.link_preview_options = preview
    return _finish_edit(call, message)


@bot_method("editMessageCaption")
async def edit_message_caption(call: Call) -> JSON:
    p = call.params
    caption, entities = v.formatted_text(
        p.get_str("caption"), p.get_str("parse_mode"), p.get_json("caption_entities"), caption=True
    )
    markup = _edit_markup(call)
    message = _message_to_edit(call)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    old = (message.caption or "", message.caption_entities, message.reply_markup)
    if (caption, entities, markup) == old:
        raise bad_request(NOT_MODIFIED)
    message.caption = caption or None
    message.caption_entities, message.reply_markup = entities, markup
    return _finish_edit(call, message)


@bot_method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> JSON:
    markup = _edit_markup(call)
    message = _message_to_edit(call)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _finish_edit(call, message)


@bot_method("deleteMessage")
async def delete_message(call: Call) -> bool:
    message_id = call.params.get_optional_int("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    user = call.private_chat()
    message = call.world.find_message(user.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    call.world.changed(user.id)
    return True


@bot_method("deleteMessages")
async def delete_messages(call: Call) -> bool:
    ids = call.params.get_json("message_ids", "message identifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")  # 1-100 required
    user = call.private_chat()
    for message_id in ids:
        message = call.world.find_message(user.id, int(message_id))
        if message is not None:
            message.deleted = True
    call.world.changed(user.id)
    return True


@bot_method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    p = call.params
    query_id = p.get_str("callback_query_id") or ""
    text = p.get_str("text")
    v.callback_answer_text(text)
    world = call.world
    query = world.callbacks.get(query_id)
    expired = query is not None and time.monotonic() - query.created > world.config.callback_ttl
    if query is None or query.answered or expired:
        raise bad_request(QUERY_INVALID)
    call.chat_id = query.chat_id
    query.answered = True
    query.answer = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": p.get_bool("show_alert"),
        "url": p.get_str("url"),
        "cache_time": p.get_int("cache_time", 0),
        "time": time.time(),
    }
    world.chat(query.chat_id).callback_answers.append(query.answer)
    world.changed(query.chat_id)
    return True


@bot_method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    action = v.chat_action(call.params.get_str("action"))
    user = call.writable_chat()
    chat = call.world.chat(user.id)
    chat.chat_action = action
    chat.chat_action_until = time.time() + 5  # Telegram shows an action for 5 seconds
    call.world.changed(user.id)
    return True


def _input_file(call: Call, field: str, kind: str) -> StoredFile:
    value = call.params.file(field)
    world = call.world
    if value is None:
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if image_size(value.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return world.store_file(value.data, "photo", value.filename, "image/jpeg")
        mime = guess_mime(value.filename, value.content_type)
        return world.store_file(value.data, "document", value.filename, mime)
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")  # the emulator has no internet
    stored = world.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request("type of file mismatch")
    return stored


async def _send_media(call: Call, kind: str) -> JSON:
    p = call.params
    caption, entities = v.formatted_text(
        p.get_str("caption"), p.get_str("parse_mode"), p.get_json("caption_entities"), caption=True
    )
    inline, keyboard = _split_markup(v.reply_markup(p.raw("reply_markup")))
    stored = _input_file(call, kind, kind)
    user = call.writable_chat()
    reply_to = _reply_target(call, user)
    world = call.world
    media: dict[str, Any] = {}
    if kind == "photo":
        media["photo"] = photo_sizes(world, stored, image_size(stored.data) or (1, 1))
    else:
        media["document"] = document_api(stored)
    message = world.add_message(
        user.id,
        True,
        world.identity.to_api(),
        caption=caption or None,
        caption_entities=entities,
        reply_markup=inline,
        reply_keyboard=keyboard,
        reply_to=reply_to,
        **media,
    )
    _apply_keyboard(world, user.id, keyboard)
    return world.message_api(message)


@bot_method("sendDocument")
async def send_document(call: Call) -> JSON:
    return await _send_media(call, "document")


@bot_method("sendPhoto")
async def send_photo(call: Call) -> JSON:
    return await _send_media(call, "photo")


@bot_method("getFile")
async def get_file(call: Call) -> JSON:
    file_id = call.params.get_str("file_id")
    if not file_id:
        raise bad_request('Parameter "file_id" is required')
    stored = call.world.files.get(file_id)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.size > call.world.config.max_download_bytes:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }
