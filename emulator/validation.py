"""Checks Telegram applies to a bot's input, with Telegram's error wording."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

from .entities import EntityParseError, parse_text, strip_text, utf16_len
from .models import JSON

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8, not characters
# fmt: off
INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
# fmt: on
_COMMAND_RE = re.compile(r"[a-z0-9_]+")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]*")


class ApiError(Exception):
    """A Telegram-shaped error answer."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def formatted_text(
    text: str | None, parse_mode: str | None, entities: Any, *, caption: bool = False
) -> tuple[str, list[JSON]]:
    """Parse text or caption the way Telegram does and enforce its limits.

    The limit applies to the text *after* markup is removed, counted in characters.
    """
    text = text or ""
    if not text and not caption:
        raise bad_request("message text is empty")
    try:
        plain, parsed = parse_text(text, parse_mode)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    except ValueError as exc:
        raise bad_request("unsupported parse_mode") from exc
    if not (parse_mode or "") or (parse_mode or "").lower() == "none":
        parsed = explicit_entities(entities, utf16_len(plain))
    plain, parsed = strip_text(plain, parsed)
    if not plain and not caption:
        raise bad_request("message text is empty")
    if caption and len(plain) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    if not caption and len(plain) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return plain, parsed


def explicit_entities(value: Any, text_length: int) -> list[JSON]:
    """The `entities` parameter given instead of parse_mode."""
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise bad_request("can't parse entities JSON object")
    result: list[JSON] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise bad_request('can\'t parse MessageEntity: Field "type" must be of type String')
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be a Number')
        if length > 0 and offset >= 0 and offset + length <= text_length:
            result.append(item)
    return sorted(result, key=lambda e: (e["offset"], -e["length"]))


def decode_json_param(value: Any, what: str) -> Any:
    """Complex parameters arrive JSON-encoded in form data and as objects in JSON bodies."""
    if value is None or not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise bad_request(f"can't parse {what} JSON object") from exc


def reply_markup(value: Any) -> JSON | None:
    """Validate reply_markup and return it normalised (None = no markup)."""
    markup = decode_json_param(value, "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    keyboard = markup.get("keyboard")
    if isinstance(keyboard, list) and keyboard:
        return _reply_keyboard(markup, keyboard)
    inline = markup.get("inline_keyboard")
    if inline is not None:
        if not isinstance(inline, list) or not all(isinstance(r, list) for r in inline):
            raise bad_request(
                'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        if any(inline):
            return _inline_keyboard(inline)
    if markup.get("remove_keyboard") or markup.get("hide_keyboard"):
        return {"remove_keyboard": True}
    if markup.get("force_reply"):
        result: JSON = {"force_reply": True}
        if markup.get("input_field_placeholder"):
            result["input_field_placeholder"] = markup["input_field_placeholder"]
        return result
    return None


def _inline_keyboard(rows: list[Any]) -> JSON:
    if sum(len(row) for row in rows) > 100:
        raise bad_request("reply markup is too long")
    result: list[list[JSON]] = []
    for row in rows:
        result.append([_inline_button(button) for button in row])
    return {"inline_keyboard": result}


def _inline_button(button: Any) -> JSON:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Can\'t find field "text"')
    # Like the real server, empty url/callback_data count as absent.
    actions = [
        k
        for k in INLINE_ACTIONS
        if k in button
        and button[k] is not None
        and not (k in ("url", "callback_data") and button[k] == "")
    ]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # Stricter than Telegram (which silently picks one): the docs say exactly one.
        raise bad_request(
            prefix + "exactly one of the optional fields must be used, got " + ", ".join(actions)
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    action = actions[0]
    value = button[action]
    too_long = isinstance(value, str) and len(value.encode("utf-8")) > CALLBACK_DATA_LIMIT
    if action == "callback_data" and (not isinstance(value, str) or too_long):
        raise bad_request("BUTTON_DATA_INVALID")
    url_ok = isinstance(value, str) and re.match(r"(?i)(https?|tg)://\S+$", value)
    if action == "url" and not url_ok:
        raise bad_request("BUTTON_URL_INVALID")
    if action == "web_app":
        return {"text": text, "web_app": {"url": web_app_url(value, prefix)}}
    return {"text": text, action: value}


def web_app_url(value: Any, prefix: str) -> str:
    """A Mini App's URL: https, as Telegram demands. Plain http only to this machine's
    loopback addresses (a bot under test serves its pages there), which Telegram's test
    environment also allows; nowhere else."""
    if not isinstance(value, dict):
        raise bad_request(prefix + 'Field "web_app" must be of type Object')
    url = value.get("url")
    if not isinstance(url, str):
        raise bad_request(prefix + 'Field "url" must be of type String')
    invalid = f"inline keyboard button Web App URL '{url}' is invalid: "
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise bad_request(invalid + "Wrong HTTP URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host or re.search(r"\s", url):
        raise bad_request(invalid + "Wrong HTTP URL")
    if parts.scheme.lower() == "http" and not _loopback(host):
        raise bad_request(invalid + "Only HTTPS links are allowed")
    return url


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reply_keyboard(markup: JSON, rows: list[Any]) -> JSON:
    result: list[list[JSON]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('Field "keyboard" must be an Array of Arrays')
        new_row: list[JSON] = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    "can't parse keyboard button: KeyboardButton must be a String or an Object"
                )
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            new_row.append(button)
        result.append(new_row)
    keyboard: JSON = {"keyboard": result}
    for flag in (
        "resize_keyboard",
        "one_time_keyboard",
        "is_persistent",
        "input_field_placeholder",
        "selective",
    ):
        if markup.get(flag):
            keyboard[flag] = markup[flag]
    return keyboard


def callback_answer_text(text: str | None) -> None:
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")


def chat_action(action: str | None) -> str:
    if not action:
        raise bad_request('Parameter "action" is required')
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return action


def commands(value: Any) -> list[JSON]:
    items = decode_json_param(value, "commands")
    if items is None:
        return []
    if not isinstance(items, list):
        raise bad_request("expected an Array of BotCommand")
    if len(items) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[JSON] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str):
            raise bad_request("can't parse BotCommand: Can't find field \"command\"")
        if not isinstance(description, str):
            raise bad_request("can't parse BotCommand: Can't find field \"description\"")
        command = command.strip().removeprefix("/")
        description = description.strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        result.append({"command": command, "description": description})
    return result


def command_scope(value: Any) -> str:
    """A canonical key for a BotCommandScope (default when absent)."""
    scope = decode_json_param(value, "BotCommandScope")
    if scope is None:
        return json.dumps({"type": "default"})
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope: BotCommandScope must be an Object")
    kind = scope.get("type")
    if kind not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    key: JSON = {"type": kind}
    if kind in ("chat", "chat_administrators", "chat_member"):
        if scope.get("chat_id") in (None, ""):
            raise bad_request("can't parse BotCommandScope: Empty chat_id specified")
        key["chat_id"] = scope["chat_id"]
    if kind == "chat_member":
        if not isinstance(scope.get("user_id"), int):
            raise bad_request("can't parse BotCommandScope: Invalid user_id specified")
        key["user_id"] = scope["user_id"]
    return json.dumps(key, sort_keys=True)


def language_code(value: str | None) -> str:
    code = value or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


def secret_token(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > 256:
        raise bad_request("secret token is too long")
    if not _SECRET_RE.fullmatch(value):
        raise bad_request("secret token contains unallowed characters")
    return value


def webhook_url(value: str) -> str:
    # Telegram demands HTTPS on ports 443/80/88/8443; a local emulator accepts plain http.
    if not re.match(r"(?i)https?://[^/\s:]+(:\d{1,5})?(/\S*)?$", value):
        raise bad_request("invalid webhook URL specified")
    return value
