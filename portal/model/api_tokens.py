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


class TokenNameTaken(Exception):
    pass


class BadTokenRequest(ValueError):
    pass
