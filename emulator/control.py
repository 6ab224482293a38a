"""The control API (/control/...): JSON over HTTP for tests, benchmarks and the web chat."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from . import actions, webapps
from .botapi import WORLD_KEY
from .models import JSON, CallRecord, Message, User
from .params import Params
from .registry import Call
from .state import BotWorld
from .updates import webhook_info

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_WAIT = 120.0


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ControlError/ActionError on /control into {"error": ...} answers."""
    if not request.path.startswith("/control"):
        return await handler(request)
    try:
        return await handler(request)
    except (ControlError, actions.ActionError) as exc:
        return web.json_response({"error": exc.message}, status=exc.status)


def _world(request: web.Request) -> BotWorld:
    return request.app[WORLD_KEY].bot(_int(request.match_info["bot_id"], "bot_id"))


def _int(value: str | None, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise ControlError(400, f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ControlError(400, f"{name} must be an integer") from exc


def _float(value: str | None, name: str, default: float) -> float:
    try:
        return min(float(value), MAX_WAIT) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f"{name} must be a number") from exc


def _user(world: BotWorld, request: web.Request) -> User:
    user_id = _int(request.match_info["user_id"], "user_id")
    user = world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found; create it first")
    return user


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise ControlError(400, "body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


# --- bots and settings -----------------------------------------------------------------


async def list_bots(request: web.Request) -> web.Response:
    return _ok([w.summary() for w in request.app[WORLD_KEY].bots.values()])


async def configure_bot(request: web.Request) -> web.Response:
    world = _world(request)
    body = await _body(request)
    for name in ("username", "first_name"):
        if isinstance(body.get(name), str) and body[name]:
            setattr(world.identity, name, body[name])
    world.changed()
    return _ok(world.summary())


async def reset_bot(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY].reset(_int(request.match_info["bot_id"], "bot_id"))
    return _ok(world.summary())


async def get_settings(request: web.Request) -> web.Response:
    return _ok(request.app[WORLD_KEY].config.to_control())


async def patch_settings(request: web.Request) -> web.Response:
    config = request.app[WORLD_KEY].config
    body = await _body(request)
    for name, value in body.items():
        current = getattr(config, name, None)
        widening = isinstance(current, float) and isinstance(value, int)
        if current is None or (not isinstance(value, type(current)) and not widening):
            raise ControlError(400, f"unknown or mistyped setting {name!r}")
        setattr(config, name, type(current)(value))
    return _ok(config.to_control())


# --- users -----------------------------------------------------------------------------


async def list_users(request: web.Request) -> web.Response:
    return _ok([u.to_control() for u in _world(request).users.values()])


async def create_user(request: web.Request) -> web.Response:
    world = _world(request)
    body = await _body(request)
    first_name = body.get("first_name")
    if not isinstance(first_name, str) or not first_name:
        raise ControlError(400, "first_name is required")
    user_id = body.get("id")
    if user_id is not None and (not isinstance(user_id, int) or user_id <= 0):
        raise ControlError(400, "id must be a positive integer")
    if user_id in world.users:
        raise ControlError(409, f"user {user_id} already exists")
    user = world.add_user(
        first_name, body.get("last_name"), body.get("username"), body.get("language_code"), user_id
    )
    user.started = bool(body.get("started", False))
    return _ok(user.to_control(), status=201)


async def get_user(request: web.Request) -> web.Response:
    return _ok(_user(_world(request), request).to_control())


async def user_sends_text(request: web.Request) -> web.Response:
    world = _world(request)
    user = _user(world, request)
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise ControlError(400, "text is required")
    update, message = actions.send_text(world, user, text, body.get("reply_to_message_id"))
    return _ok(_sent(world, update.update_id, message))


def _sent(world: BotWorld, update_id: int, message: Message) -> JSON:
    return {
        "update_id": update_id,
        "message_id": message.message_id,
        "queued": any(u.update_id == update_id for u in world.pending),
    }


async def user_presses(request: web.Request) -> web.Response:
    world = _world(request)
    user = _user(world, request)
    body = await _body(request)
    message_id = body.get("message_id")
    if not isinstance(message_id, int):
        raise ControlError(400, "message_id is required")
    update, query = actions.press(world, user, message_id, body.get("text"), body.get("data"))
    return _ok({"update_id": update.update_id, "callback_query_id": query.id, "data": query.data})


async def user_forges_callback(request: web.Request) -> web.Response:
    world = _world(request)
    user = _user(world, request)
    body = await _body(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise ControlError(400, "message_id (int) and data (str) are required")
    age = float(body.get("age_seconds", 0) or 0)
    update, query = actions.forge_callback(world, user, message_id, data, age)
    return _ok({"update_id": update.update_id, "callback_query_id": query.id, "data": data})


async def user_opens_web_app(request: web.Request) -> web.Response:
    """The user presses a `web_app` button: where the client would open it, and how."""
    world = _world(request)
    user = _user(world, request)
    body = await _body(request)
    message_id, text = body.get("message_id"), body.get("text")
    if not isinstance(message_id, int) or not isinstance(text, str | None):
        raise ControlError(400, "message_id (int) is required; text, if given, is a string")
    age = _age(body.get("age_seconds"))
    return _ok(webapps.open_web_app(world, user, message_id, text, age))


async def user_init_data(request: web.Request) -> web.Response:
    """Signed initData for this user and bot, as any of the bot's Mini Apps would get it."""
    world = _world(request)
    user = _user(world, request)
    age = _age(request.query.get("age_seconds"))
    return _ok({"init_data": webapps.init_data(world, user, age_seconds=age)})


def _age(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, "age_seconds must be a number") from exc


async def _upload_fields(request: web.Request) -> JSON:
    """Multipart (field `file` plus text fields) or JSON with data_base64."""
    if request.content_type != "multipart/form-data":
        body = await _body(request)
        try:
            body["data"] = base64.b64decode(body.get("data_base64") or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ControlError(400, "data_base64 is not valid base64") from exc
        return body
    fields: JSON = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            fields["data"] = bytes(await part.read())
            fields.setdefault("file_name", part.filename)
            fields.setdefault("mime_type", part.headers.get("Content-Type"))
        elif part.name:
            fields[part.name] = await part.text()
    return fields


def _flag(value: Any) -> bool:
    """A JSON boolean or a multipart text field ("1", "true")."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return value is True


def _upload_handler(kind: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        world = _world(request)
        user = _user(world, request)
        fields = await _upload_fields(request)
        data = fields.get("data") or b""
        update, message = actions.send_file(
            world,
            user,
            kind,
            data,
            fields.get("file_name"),
            fields.get("mime_type"),
            fields.get("caption"),
            allow_empty=_flag(fields.get("allow_empty")),
        )
        result = _sent(world, update.update_id, message)
        media = message.document or (message.photo or [{}])[-1]
        result["file_id"] = media.get("file_id")
        return _ok(result)

    return handler


async def user_blocks(request: web.Request) -> web.Response:
    world = _world(request)
    user = _user(world, request)
    update = actions.set_blocked(world, user, request.path.endswith("/block"))
    return _ok({**user.to_control(), "update_id": update.update_id if update else None})


# --- updates ---------------------------------------------------------------------------


async def list_updates(request: web.Request) -> web.Response:
    world = _world(request)
    return _ok(
        {"pending": [u.to_api() for u in world.pending], "next_update_id": world.next_update_id}
    )


async def inject_update(request: web.Request) -> web.Response:
    world = _world(request)
    body = await _body(request)
    update, chat_id = body.get("update"), body.get("chat_id")
    if not isinstance(update, dict):
        raise ControlError(400, "update (a JSON object) is required")
    if chat_id is not None and not isinstance(chat_id, int):
        raise ControlError(400, "chat_id must be an integer")
    queued = actions.inject(world, update, chat_id)
    return _ok(
        {"update_id": queued.update_id, "queued": any(u is queued for u in world.pending)},
        status=201,
    )


async def redeliver(request: web.Request) -> web.Response:
    world = _world(request)
    update_id = _int(request.match_info["update_id"], "update_id")
    copy = world.redeliver(update_id)
    if copy is None:
        raise ControlError(404, f"update {update_id} was never created")
    return _ok({"update_id": copy.update_id, "pending_update_count": len(world.pending)})


# --- chats -----------------------------------------------------------------------------


def _chat_messages(world: BotWorld, chat_id: int, after: int, deleted: bool) -> list[Message]:
    chat = world.chats.get(chat_id)
    if chat is None:
        return []
    return [
        m for m in chat.messages.values() if m.message_id > after and (deleted or not m.deleted)
    ]


async def chat_messages(request: web.Request) -> web.Response:
    world = _world(request)
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    after = _int(request.query.get("after"), "after", 0)
    deleted = request.query.get("include_deleted", "1") not in ("0", "false")
    wait = _float(request.query.get("wait"), "wait", 0.0)
    await world.notifier.wait_for(
        lambda: bool(_chat_messages(world, chat_id, after, deleted)), wait
    )
    return _ok([m.to_control() for m in _chat_messages(world, chat_id, after, deleted)])


async def next_bot_message(request: web.Request) -> web.Response:
    world = _world(request)
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    after = _int(request.query.get("after"), "after", 0)
    timeout = _float(request.query.get("timeout"), "timeout", 5.0)

    def first() -> Message | None:
        found = [m for m in _chat_messages(world, chat_id, after, True) if m.outgoing]
        return found[0] if found else None

    await world.notifier.wait_for(lambda: first() is not None, timeout)
    message = first()
    if message is None:
        raise ControlError(408, f"no bot message after {after} within {timeout} s")
    return _ok(message.to_control())


async def chat_view(request: web.Request) -> web.Response:
    """Everything the web chat shows, long-polled on the chat's version."""
    world = _world(request)
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    version = _int(request.query.get("version"), "version", -1)
    wait = _float(request.query.get("wait"), "wait", 0.0)
    chat = world.chat(chat_id)
    await world.notifier.wait_for(lambda: chat.version != version or world.closed, wait)
    user = world.users.get(chat_id)
    left = chat.chat_action_until - time.time()
    action = chat.chat_action if left > 0 else None
    return _ok(
        {
            "version": chat.version,
            "bot": world.summary(),
            "user": user.to_control() if user else None,
            "messages": [m.to_control() for m in chat.messages.values()],
            "reply_keyboard": chat.reply_keyboard,
            "chat_action": action,
            "chat_action_seconds": round(max(left, 0), 3),  # relative: clocks may differ
            "callback_answers": [
                {**a, "age": time.time() - a["time"]} for a in chat.callback_answers[-10:]
            ],
            "commands": _commands_for(world, chat_id, user),
        }
    )


def _commands_for(world: BotWorld, chat_id: int, user: User | None) -> list[JSON]:
    """The command menu a client would show, most specific scope first."""
    language = (user.language_code or "") if user else ""
    scopes = [
        json.dumps(s, sort_keys=True)
        for s in (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        )
    ]
    for scope in scopes:
        for lang in (language, ""):
            if (scope, lang) in world.commands:
                return world.commands[(scope, lang)]
    return []


async def get_file(request: web.Request) -> web.StreamResponse:
    world = _world(request)
    stored = world.files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError(404, "file not found")
    content_type = stored.mime_type or "application/octet-stream"
    headers = {"Content-Disposition": f'inline; filename="{stored.file_name or "file"}"'}
    return web.Response(body=stored.data, content_type=content_type, headers=headers)


# --- calls, faults, webhook, commands --------------------------------------------------


def _matching_calls(
    world: BotWorld, since: int, method: str | None, chat_id: int | None
) -> list[CallRecord]:
    start = bisect.bisect_right(world.calls, since, key=lambda c: c.seq)  # the log is sorted
    return [
        c
        for c in world.calls[start:]
        if (method is None or c.method.lower() == method.lower())
        and (chat_id is None or c.chat_id == chat_id)
    ]


async def calls(request: web.Request) -> web.Response:
    world = _world(request)
    query = request.query
    since = _int(query.get("since"), "since", 0)
    method = query.get("method") or None
    chat_id = _int(query.get("chat_id"), "chat_id") if query.get("chat_id") else None
    wait = _float(query.get("wait"), "wait", 0.0)
    minimum = _int(query.get("min"), "min", 1 if wait else 0)
    await world.notifier.wait_for(
        lambda: len(_matching_calls(world, since, method, chat_id)) >= minimum, wait
    )
    found = _matching_calls(world, since, method, chat_id)
    return _ok({"calls": [c.to_control() for c in found], "last_seq": world.next_seq - 1})


async def add_fault(request: web.Request) -> web.Response:
    world = _world(request)
    body = await _body(request)
    try:
        count = int(body.get("count", 1))
        status = None if body.get("status") is None else int(body["status"])
        retry_after = None if body.get("retry_after") is None else int(body["retry_after"])
        latency_ms = int(body.get("latency_ms", 0))
    except (TypeError, ValueError) as exc:
        raise ControlError(400, "count, status, retry_after and latency_ms are integers") from exc
    drop = bool(body.get("drop", False))
    if status is None and not latency_ms and not drop:
        raise ControlError(400, "a fault needs status, latency_ms or drop")
    if count < 1:
        raise ControlError(400, "count must be at least 1")
    fault = world.add_fault(
        method=str(body.get("method") or "*"),
        count=count,
        status=status,
        description=body.get("description"),
        retry_after=retry_after,
        latency_ms=latency_ms,
        drop=drop,
        body=body.get("body"),
    )
    return _ok(fault.to_control(), status=201)


async def list_faults(request: web.Request) -> web.Response:
    return _ok([f.to_control() for f in _world(request).faults])


async def clear_faults(request: web.Request) -> web.Response:
    world = _world(request)
    world.faults.clear()
    return _ok([])


async def get_webhook(request: web.Request) -> web.Response:
    world = _world(request)
    info = webhook_info(Call(world, Params({}, {}), "getWebhookInfo"))
    info["secret_token_set"] = world.webhook.secret_token is not None
    info["delivered"] = world.webhook.delivered
    return _ok(info)


async def get_commands(request: web.Request) -> web.Response:
    world = _world(request)
    return _ok(
        [
            {"scope": scope, "language_code": lang, "commands": commands}
            for (scope, lang), commands in world.commands.items()
        ]
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    bot = "/control/bots/{bot_id}"
    user = bot + "/users/{user_id}"
    chat = bot + "/chats/{chat_id}"
    r.add_get("/control/bots", list_bots)
    r.add_get("/control/settings", get_settings)
    r.add_patch("/control/settings", patch_settings)
    r.add_post(bot, configure_bot)
    r.add_post(bot + "/reset", reset_bot)
    r.add_get(bot + "/users", list_users)
    r.add_post(bot + "/users", create_user)
    r.add_get(user, get_user)
    r.add_post(user + "/messages", user_sends_text)
    r.add_post(user + "/press", user_presses)
    r.add_post(user + "/forge_callback", user_forges_callback)
    r.add_post(user + "/open_web_app", user_opens_web_app)
    r.add_get(user + "/init_data", user_init_data)
    r.add_post(user + "/documents", _upload_handler("document"))
    r.add_post(user + "/photos", _upload_handler("photo"))
    r.add_post(user + "/block", user_blocks)
    r.add_post(user + "/unblock", user_blocks)
    r.add_get(bot + "/updates", list_updates)
    r.add_post(bot + "/updates", inject_update)
    r.add_post(bot + "/updates/{update_id}/redeliver", redeliver)
    r.add_get(chat + "/messages", chat_messages)
    r.add_get(chat + "/next_bot_message", next_bot_message)
    r.add_get(chat + "/view", chat_view)
    r.add_get(bot + "/files/{file_id}", get_file)
    r.add_get(bot + "/calls", calls)
    r.add_get(bot + "/faults", list_faults)
    r.add_post(bot + "/faults", add_fault)
    r.add_delete(bot + "/faults", clear_faults)
    r.add_get(bot + "/webhook", get_webhook)
    r.add_get(bot + "/commands", get_commands)
