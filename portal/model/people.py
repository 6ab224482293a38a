"""Telegram accounts, the natural persons they are linked to, and logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import languages


@dataclass(slots=True)
class TelegramAccount:
    """The chat side of a person: language, the linked person, the client acted for."""

    telegram_user_id: int
    first_name: str
    username: str | None = None
    language: str | None = None
    person_id: int | None = None
    current_client_id: int | None = None
    linked_at: datetime | None = None
    telegram_language: str | None = None  # Telegram's language_code, for messages sent later

    @property
    def locale(self) -> str:
        return languages.effective_language(
            chosen=self.language, telegram_language_code=self.telegram_language
        )


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: int
    personal_code: str
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A one-time login link's secret (for the person only) and when it stops working."""

    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LoginFlowRecord:
    session_hash: str
    telegram_user_id: int
    provider: str
    flow_state: dict[str, Any]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LinkResult:
    account: TelegramAccount
    person: PersonRecord
    replaced_telegram_user_id: int | None = None  # the chat that was linked to this person
