"""Structured logs that never carry secrets or personal data.

Redacted from the message, its arguments, tracebacks and every structured field (`fields`,
in both output formats): the bot token and file URLs, personal codes, e-mail addresses (an
SMTP server's refusal names the recipient), one-time tokens in `/link/…` and `/confirm/…`
URLs, secrets in query strings, bearer credentials, JWTs and other long random strings.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

# A bot token (`123:AA…`), wherever it appears: in Bot API and file URLs, reprs, tracebacks.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_FILE_URL = re.compile(r"/file/bot[^\s'\"]+")
# The back-office API's bearer tokens (portal/api_tokens.py).
_API_TOKEN = re.compile(r"altum_[A-Za-z0-9_-]{16,}")
# Latvian personal codes: 11 digits with an optional hyphen after six.
_PERSONAL_CODE = re.compile(r"(?<!\d)\d{6}-?\d{5}(?!\d)")
# The outbox's own Message-IDs (`<outbox-12@altum.lv>`) name no person: kept for tracing.
_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])(?!outbox-\d+@)[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
)
_ONE_TIME_PATH = re.compile(r"(/(?:link|confirm)/)[A-Za-z0-9_-]{16,}")
_SECRET_PARAMETER = re.compile(
    r"(?i)\b((?:access_|id_|refresh_)?token|code|state|nonce|code_verifier|client_secret"
    r"|password|secret|wresult|wctx|session)=[^&\s'\"]+"
)
_CREDENTIALS = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Random secrets (`token_urlsafe(32)` is 43 characters) and hashes of them: 32 or more
# letters, digits, `-` and `_`, with at least one letter and one digit.
_LONG_RUN = re.compile(r"[A-Za-z0-9_-]{32,}")
# A structured field whose name says it is a secret is dropped whatever its value.
_SECRET_FIELD = re.compile(r"(?i)token|secret|password|cookie|authori[sz]ation|personal_code")


def _long_run(match: re.Match[str]) -> str:
    run = match.group()
    has_digit = any(c.isdigit() for c in run)
    return "<secret>" if has_digit and any(c.isalpha() for c in run) else run


def redact(text: str) -> str:
    text = _FILE_URL.sub("/file/bot<redacted>", text)
    text = _TOKEN.sub("<token>", text)
    text = _JWT.sub("<jwt>", text)
    text = _CREDENTIALS.sub(r"\1 <redacted>", text)
    text = _ONE_TIME_PATH.sub(r"\1<token>", text)
    text = _SECRET_PARAMETER.sub(r"\1=<redacted>", text)
    text = _API_TOKEN.sub("<api-token>", text)
    text = _EMAIL.sub("<e-mail>", text)
    text = _PERSONAL_CODE.sub("<personal-code>", text)
    return _LONG_RUN.sub(_long_run, text)


def redact_value(value: Any) -> Any:
    """A structured field's value, redacted; JSON types stay what they are."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if redact(str(value)) == str(value) else "<personal-code>"
    if isinstance(value, Mapping):
        return redact_fields(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return redact(str(value))


def redact_fields(values: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        str(key): "<redacted>" if _SECRET_FIELD.search(str(key)) else redact_value(value)
        for key, value in values.items()
    }


class RedactingFilter(logging.Filter):
    """Renders each record once, redacted, so no formatter can leak the raw arguments or
    the raw structured fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        values = getattr(record, "fields", None)
        if isinstance(values, Mapping):
            record.fields = redact_fields(values)
        elif values is not None:
            record.fields = {"fields": redact_value(values)}
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        tail = "".join(f" {key}={value}" for key, value in fields.items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: "
        line += record.getMessage() + tail
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def configure(*, level: str = "INFO", json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiogram logs every update at INFO; keep that for debugging only.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def fields(**values: Any) -> dict[str, Any]:
    """`log.info("sent", extra=fields(chat=1))`: structured fields for either formatter."""
    return {"fields": values}
