"""Structured logs that never carry the bot token, file URLs or personal codes."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

# A bot token (`123:AA…`), wherever it appears: in Bot API and file URLs, reprs, tracebacks.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_FILE_URL = re.compile(r"/file/bot[^\s'\"]+")
# The back-office API's bearer tokens (portal/api_tokens.py).
_API_TOKEN = re.compile(r"altum_[A-Za-z0-9_-]{16,}")
# Latvian personal codes: 11 digits with an optional hyphen after six.
_PERSONAL_CODE = re.compile(r"(?<!\d)\d{6}-?\d{5}(?!\d)")


def redact(text: str) -> str:
    text = _FILE_URL.sub("/file/bot<redacted>", text)
    text = _TOKEN.sub("<token>", text)
    text = _API_TOKEN.sub("<api-token>", text)
    return _PERSONAL_CODE.sub("<personal-code>", text)


class RedactingFilter(logging.Filter):
    """Renders each record once, redacted, so no formatter can leak the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
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
