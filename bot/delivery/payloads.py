"""Bot API calls as the outbox stores them: JSON in, and JSON out again as aiogram would send it.

`to_payload` turns a queued aiogram method into a row's JSON; `json_params` turns a row back into
the parameters to POST (the bot's defaults filled in), or says that only aiogram's own path can
send it; `from_payload` rebuilds the aiogram method for that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, get_args

import aiogram.methods
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject

_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__: cls
    for cls in vars(aiogram.methods).values()
    if isinstance(cls, type) and issubclass(cls, TelegramMethod) and hasattr(cls, "__api_method__")
}


def to_payload(method: TelegramMethod[Any]) -> dict[str, Any]:
    # Unset bot-wide defaults (parse_mode…) stay unset and are applied again when sent.
    defaults = {name for name, value in method if isinstance(value, Default)}
    params = method.model_dump(mode="json", exclude_none=True, exclude=defaults)
    return {"method": method.__api_method__, "params": params}


REDACTED = "[redacted]"


def scrubbed(payload: dict[str, Any], secrets: tuple[str, ...]) -> dict[str, Any] | None:
    """The payload with every occurrence of each secret replaced (a link keeps its shape:
    `…/link/[redacted]`); None when there is nothing to hide."""
    if not any(secrets):
        return None

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                if secret:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    result: dict[str, Any] = scrub(payload)
    return result


def from_payload(payload: dict[str, Any]) -> TelegramMethod[Any]:
    return _METHODS[payload["method"]].model_validate(payload["params"])


def json_params(bot: Bot, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A stored call's parameters as aiogram would send them, or None if only aiogram can.

    What `to_payload` left unset (parse_mode…) gets the bot's default, as aiogram's
    `BaseSession.prepare_value` and `AiohttpSession.build_form_data` treat a `Default`: left
    out when None (or ""); a default may be named otherwise than its field
    (`disable_web_page_preview` takes `link_preview_is_disabled`). None when a field is set
    whose JSON aiogram would rewrite: nested objects with fields defaulting to the bot's
    (ReplyParameters.quote_parse_mode…), dates and durations (sent as Unix time)."""
    params: dict[str, Any] = payload["params"]
    shape = _shape(payload["method"])
    if any(name in params for name in shape.rewritten):
        return None
    result = params
    for name, default in shape.defaults:
        if name in params:
            continue
        value = _json_value(bot, bot.default[default])
        if value is not None and value != "":
            if result is params:
                result = dict(params)
            result[name] = value
    return result


@dataclass(frozen=True, slots=True)
class _Shape:
    """What aiogram changes in a method's parameters on the way out (see `json_params`)."""

    defaults: tuple[tuple[str, str], ...]  # (field, name in the bot's defaults)
    rewritten: frozenset[str]


_SHAPES: dict[str, _Shape] = {}


def _shape(method: str) -> _Shape:
    found = _SHAPES.get(method)
    if found is None:  # a method aiogram does not know is sent as stored
        cls = _METHODS.get(method)
        model_fields = cls.model_fields.items() if cls is not None else ()
        found = _SHAPES[method] = _Shape(
            defaults=tuple(
                (name, info.default.name)
                for name, info in model_fields
                if isinstance(info.default, Default)
            ),
            rewritten=frozenset(name for name, info in model_fields if _rewritten(info.annotation)),
        )
    return found


def _rewritten(annotation: Any) -> bool:
    """Whether aiogram may send a value of this type other than as its JSON."""
    pending, seen = [annotation], set()
    while pending:
        kind = pending.pop()
        if kind in (datetime, timedelta):
            return True
        if isinstance(kind, type) and issubclass(kind, TelegramObject):
            if kind not in seen:
                seen.add(kind)
                for info in kind.model_fields.values():
                    if isinstance(info.default, Default):
                        return True
                    pending.append(info.annotation)
        else:
            pending.extend(get_args(kind))
    return False


def _json_value(bot: Bot, value: Any) -> Any:
    """A default as JSON, the way aiogram's `prepare_value` builds it (minus files, which a
    bot's defaults never are): nested defaults resolved, None left out."""
    if isinstance(value, Default):
        value = bot.default[value.name]
    if isinstance(value, TelegramObject):
        value = value.model_dump(warnings=False)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dict):
        items = ((key, _json_value(bot, item)) for key, item in value.items())
        return {key: item for key, item in items if item is not None}
    if isinstance(value, list):
        return [item for item in (_json_value(bot, item) for item in value) if item is not None]
    return value
