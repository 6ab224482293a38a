"""Tokens of ALTUM's own systems calling the back-office API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The answer a request sent with an idempotency key was given, for its retries: the
    request's fingerprint (what was asked), the status and the JSON body ("" for none)."""

    fingerprint: str
    status: int
    body: str
    created_at: datetime


class TokenNameTaken(Exception):
    pass


class BadTokenRequest(ValueError):
    pass
