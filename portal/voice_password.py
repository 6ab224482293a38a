"""The voice password ("Balss parole"): identifies a client who phones ALTUM.

Kept only as a slow salted hash (scrypt), never shown, never logged. The rules ask for
something a caller can say aloud yet a stranger cannot guess.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import secrets
import unicodedata
from enum import StrEnum

MIN_LENGTH = 8
MAX_LENGTH = 64
# scrypt: 2**15 × 8 × 128 B = 32 MiB and about 0.1 s per hash.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024  # OpenSSL's default cap (32 MiB) is just below what N=2**15 needs
_COMMON = {
    "parole123",
    "password",
    "password1",
    "qwertyui",
    "12345678",
    "123456789",
    "abcdefgh",
    "altum123",
    "iloveyou",
    "parole12",
}


class Weakness(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NO_LETTER = "no_letter"
    NO_DIGIT = "no_digit"
    REPEATED = "repeated"  # one character again and again, or a run like 12345678
    COMMON = "common"
    PERSONAL = "personal"  # holds the person's name or personal code


def weaknesses(password: str, *, personal: tuple[str, ...] = ()) -> list[Weakness]:
    """Everything wrong with `password`; empty when it is good enough."""
    text = normalize(password)
    found: list[Weakness] = []
    if len(text) < MIN_LENGTH:
        found.append(Weakness.TOO_SHORT)
    if len(text) > MAX_LENGTH:
        found.append(Weakness.TOO_LONG)
    if not any(ch.isalpha() for ch in text):
        found.append(Weakness.NO_LETTER)
    if not any(ch.isdigit() for ch in text):
        found.append(Weakness.NO_DIGIT)
    if text and (len(set(text.casefold())) <= 2 or _is_run(text)):
        found.append(Weakness.REPEATED)
    if text.casefold() in _COMMON:
        found.append(Weakness.COMMON)
    folded = text.casefold()
    for item in personal:
        item = normalize(item).casefold()
        if len(item) >= 4 and item in folded:
            found.append(Weakness.PERSONAL)
            break
    return found


def personal_data(*, given_name: str, family_name: str, personal_code: str) -> tuple[str, ...]:
    """What a voice password must not contain: the name, the code and its birth-date part."""
    return (given_name, family_name, personal_code, personal_code[:6])


def is_hash(stored: str) -> bool:
    """Whether `stored` is a hash `hash_password` made (the password itself never is)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return False
    try:
        salt, key = (
            base64.b64decode(parts[4], validate=True),
            base64.b64decode(parts[5], validate=True),
        )
    except ValueError:
        return False
    return len(salt) == 16 and len(key) == 32


def normalize(password: str) -> str:
    """NFC, so the same word typed on two keyboards hashes the same; outer spaces dropped."""
    return unicodedata.normalize("NFC", password).strip()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(
        normalize(password).encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=32
    )
    encoded = (base64.b64encode(salt).decode(), base64.b64encode(key).decode())
    return f"scrypt${_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        normalize(password).encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        maxmem=_MAXMEM,
        dklen=32,
    )
    return hmac.compare_digest(candidate, base64.b64decode(key))


def _is_run(text: str) -> bool:
    """Ascending or descending by one all the way: 12345678, abcdefgh, 87654321."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})
