"""Which language a person is spoken to in: their choice, else Telegram's, else Latvian."""

from __future__ import annotations

from typing import Final

LATVIAN: Final = "lv"
ENGLISH: Final = "en"
SUPPORTED: Final[tuple[str, ...]] = (LATVIAN, ENGLISH)
DEFAULT: Final = LATVIAN


class UnsupportedLanguage(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unsupported language: {code!r}")
        self.code = code


def normalize(code: str | None) -> str | None:
    """`en-GB` -> `en`; anything we do not speak -> None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED else None


def effective_language(*, chosen: str | None, telegram_language_code: str | None) -> str:
    return normalize(chosen) or normalize(telegram_language_code) or DEFAULT
