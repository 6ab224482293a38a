"""Contact details as people type them: e-mail addresses, phone numbers, postal addresses,
normalized (None: not one).

Shared by registration and the form engine: one rule for each, wherever it is asked for.
"""

from __future__ import annotations

import re

ADDRESS_MIN_LENGTH = 5
ADDRESS_MAX_LENGTH = 300
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PHONE_JUNK = re.compile(r"[\s().-]")


def normalize_email(raw: str) -> str | None:
    text = raw.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_phone(raw: str) -> str | None:
    """+371 and eight digits for Latvian numbers; other countries in E.164."""
    text = _PHONE_JUNK.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"[26]\d{7}", text):
        return "+371" + text
    if re.fullmatch(r"\+[1-9]\d{7,14}", text):
        if text.startswith("+371") and not re.fullmatch(r"\+371[26]\d{7}", text):
            return None
        return text
    return None


def normalize_address(raw: str) -> str | None:
    """One line with single spaces, 5 to 300 characters: street, house, city, postal code."""
    text = " ".join(raw.split())
    return text if ADDRESS_MIN_LENGTH <= len(text) <= ADDRESS_MAX_LENGTH else None
