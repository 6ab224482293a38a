"""HTTP routes of the Bot API: /bot{token}/{method} and /file/bot{token}/{path}."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from . import messages, updates  # noqa: F401  (importing registers the methods)
from .models import JSON, CallRecord, Encoded, Fault
from .params import Params, read_params
from .registry import METHODS, Call
from .state import BotWorld, World, token_digest
from .validation import ApiError
from .webapps import web_app_key

log = logging.getLogger("emulator.botapi")
TOKEN_RE = re.compile(r"(\d{1,20}):[A-Za-z0-9_-]{35,}")
NOT_FOUND: JSON = {"ok": False, "error_code": 404, "description": "Not Found"}
WORLD_KEY = web.AppKey("emulator_world", World)


def _fault_answer(fault: Fault) -> tuple[int, JSON]:
    status = fault.status or 500
    default = {
        400: "Bad Request: injected fault",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running",
        500: "Internal Server Error",
        502: "Bad Gateway",
        504: "Gateway Timeout",
    }
    retry_after = fault.retry_after
    if status == 429:
        retry_after = retry_after if retry_after is not None else 1
        description = fault.description or f"Too Many Requests: retry after {retry_after}"
    else:
        description = fault.description or default.get(status, f"Error {status}")
    return status, ApiError(status, description, retry_after if status == 429 else None).payload()


@dataclass
class Answer:
    """The HTTP status and JSON payload a Bot API call answers with."""

    status: int
    payload: JSON
    result_text: bytes | None = None  # payload["result"] already encoded by the handler

    def body(self) -> bytes:
        """The payload as json.dumps writes it, splicing in the encoded result if there is one."""
        if self.result_text is None:
            return json.dumps(self.payload).encode()
        fields = (
            json.dumps(key).encode()
            + b": "
            + (self.result_text if key == "result" else json.dumps(value).encode())
            for key, value in self.payload.items()
        )
        return b"{" + b", ".join(fields) + b"}"

    def response(self) -> web.Response:
        """The same HTTP answer web.json_response(payload) gives."""
        return web.Response(
            body=self.body(), status=self.status, content_type="application/json", charset="utf-8"
        )


async def execute(world: BotWorld, method: str, params: Params, source: str = "http") -> Answer:
    """Run one Bot API method against a bot's world and record it in its calls log.

    A handler may return an Encoded result to spare encoding it again for every answer.
    """
    started = time.monotonic()
    entry = METHODS.get(method.lower())
    name = entry[0] if entry else method
    call = Call(world, params, name)
    result: Any = None
    result_text: bytes | None = None
    try:
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        result = await entry[1](call)
        if isinstance(result, Encoded):
            result, result_text = result.value, result.text
        status, payload = 200, {"ok": True, "result": result}
        if call.description:
            payload["description"] = call.description
    except ApiError as exc:
        status, payload = exc.status, exc.payload()
    except Exception:  # an emulator bug must not look like a Telegram answer
        log.exception("emulator failed in %s", name)
        status, payload = (
            500,
            {
                "ok": False,
                "error_code": 500,
                "description": "Internal Server Error: emulator failure",
            },
        )
    _record(world, name, params, status, payload, started, call.chat_id, source)
    return Answer(status, payload, result_text if status == 200 else None)


def _record(
    world: BotWorld,
    method: str,
    params: Params,
    status: int,
    payload: JSON,
    started: float,
    chat_id: int | None,
    source: str,
    fault: bool = False,
) -> None:
    if chat_id is None:
        chat_id = params.get_optional_int("chat_id")
    error = (
        None
        if payload.get("ok")
        else {"error_code": payload.get("error_code"), "description": payload.get("description")}
    )
    world.record_call(
        CallRecord(
            seq=0,
            method=method,
            params=params.for_log(),
            status=status,
            result=payload.get("result"),
            error=error,
            time=time.time(),
            duration_ms=round((time.monotonic() - started) * 1000, 3),
            chat_id=chat_id,
            source=source,
            fault=fault,
        )
    )


def _world_for(request: web.Request) -> BotWorld | web.Response:
    """The bot behind the token in the URL, or the answer Telegram gives for a bad token."""
    token = request.match_info["token"]
    if not TOKEN_RE.fullmatch(token):
        return web.json_response(NOT_FOUND, status=404)
    world = request.app[WORLD_KEY].bot(int(token.split(":", 1)[0]))
    digest = token_digest(token)
    if world.token_hash is None:
        world.token_hash = digest  # first token seen for this bot id wins
        world.web_app_key = web_app_key(token)
    elif world.token_hash != digest:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )
    return world


async def handle_method(request: web.Request) -> web.StreamResponse:
    found = _world_for(request)
    if isinstance(found, web.Response):
        return found
    world = found
    method = request.match_info["method"]
    started = time.monotonic()
    if world.config.latency_ms:
        await asyncio.sleep(world.config.latency_ms / 1000)
    try:
        params = await read_params(request, world.config.max_upload_bytes)
    except ApiError as exc:
        return web.json_response(exc.payload(), status=exc.status)
    except (ValueError, aiohttp.ClientError) as exc:  # a malformed body, e.g. broken multipart
        log.info("unreadable request body: %s", type(exc).__name__)
        return web.json_response(
            ApiError(400, "Bad Request: can't parse request").payload(), status=400
        )
    entry = METHODS.get(method.lower())
    name = entry[0] if entry else method
    fault = world.take_fault(name)
    if fault is not None:
        faulty = await _apply_fault(request, world, name, params, fault, started)
        if faulty is not None:
            return faulty
    answer = await execute(world, method, params)
    return answer.response()


async def _apply_fault(
    request: web.Request,
    world: BotWorld,
    name: str,
    params: Params,
    fault: Fault,
    started: float,
) -> web.StreamResponse | None:
    """Misbehave as the fault says; None means: go on and answer normally (latency only)."""
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.drop:
        dropped: JSON = {"ok": False, "description": "connection dropped"}
        _record(world, name, params, 0, dropped, started, None, "http", fault=True)
        if request.transport is not None:
            request.transport.abort()  # the client sees a network error, not an answer
        raise asyncio.CancelledError
    if fault.status is None:
        return None
    status, payload = _fault_answer(fault)
    _record(world, name, params, status, payload, started, None, "http", fault=True)
    if fault.body is not None:
        return web.Response(text=fault.body, status=status, content_type="text/html")
    return web.json_response(payload, status=status)


async def handle_file(request: web.Request) -> web.StreamResponse:
    found = _world_for(request)
    if isinstance(found, web.Response):
        return found
    stored = found.file_paths.get(request.match_info["path"])
    if stored is None or stored.size > found.config.max_download_bytes:
        return web.json_response(NOT_FOUND, status=404)
    return web.Response(body=stored.data, content_type="application/octet-stream")


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
