"""Reading Bot API parameters from query strings, forms, multipart and JSON bodies."""

from __future__ import annotations

import contextlib
import email.policy
import json
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from .validation import ApiError, bad_request, decode_json_param

# Fields whose form value is JSON; the calls log shows them decoded.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "media",
        "message_ids",
        "results",
        "menu_button",
    }
)


@dataclass
class Upload:
    """A file sent in the request body."""

    field: str
    filename: str
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"upload": self.filename, "size": len(self.data), "content_type": self.content_type}


class Params:
    """Raw values by name; typed accessors coerce like the Bot API server does."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def get_int(self, name: str, default: int) -> int:
        value = self.get_optional_int(name)
        return default if value is None else value

    def get_optional_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(str(value).strip()))
        except ValueError:
            return 0  # the real server's to_integer() turns garbage into 0

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1")

    def get_json(self, name: str, what: str | None = None) -> Any:
        return decode_json_param(self.values.get(name), what or name)

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text  # an @username; resolved (and rejected) by the caller

    def file(self, name: str) -> Upload | str | None:
        """An uploaded file (direct or attach://) or a file_id/URL string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"file {value} not found")  # aiogram never does this
            return upload
        return value if isinstance(value, str) and value else None

    def for_log(self) -> dict[str, Any]:
        logged: dict[str, Any] = {}
        for name, value in self.values.items():
            if name in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif isinstance(value, str) and value.startswith("attach://"):
                upload = self.uploads.get(value[len("attach://") :])
                value = upload.describe() if upload else value
            elif name in ("chat_id", "message_id", "offset", "limit", "timeout", "user_id"):
                coerced = self.get_optional_int(name)
                if (
                    isinstance(value, str)
                    and coerced is not None
                    and value.strip().lstrip("-").isdigit()
                ):
                    value = coerced
            logged[name] = value
        for name, upload in self.uploads.items():
            if not any(v == f"attach://{name}" for v in self.values.values()):
                logged[name] = upload.describe()
        return logged


async def read_params(request: web.Request, max_upload: int) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, uploads)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        values.update(body)
    elif content_type == "multipart/form-data":
        await _read_multipart(await request.multipart(), values, uploads, max_upload)
    else:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, str):
                values[name] = value
    return Params(values, uploads)


def params_from_body(content_type: str, body: bytes) -> Params:
    """Parse a webhook reply body (JSON or multipart form) that carries a method call."""
    values: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    if "json" in content_type:
        data = json.loads(body.decode() or "{}")
        if isinstance(data, dict):
            values.update(data)
    elif "multipart/form-data" in content_type:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            filename = part.get_filename()
            if filename is not None:
                uploads[name] = Upload(name, filename, part.get_content_type(), payload)
            else:
                values[name] = payload.decode("utf-8", errors="replace")
    return Params(values, uploads)


async def _read_multipart(
    reader: MultipartReader, values: dict[str, Any], uploads: dict[str, Upload], max_upload: int
) -> None:
    total = 0
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read(decode=False)
        total += len(data)
        if total > max_upload:
            raise ApiError(413, "Request Entity Too Large")
        name = part.name or ""
        if part.filename is not None:
            content_type = part.headers.get("Content-Type")
            uploads[name] = Upload(name, part.filename, content_type, bytes(data))
        else:
            values[name] = bytes(data).decode("utf-8", errors="replace")
