"""Access for ALTUM's own systems: named bearer tokens with scopes; only a hash is kept.

A token is shown once, when it is made (`altum-bot api-token create`). Scopes read
`<resource>:<verb>` (`deals:write`); the API's operations say which scope each needs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from portal.model import ApiTokenRecord, BadTokenRequest
from portal.ports import UnitOfWork
from portal.tokens import digest, new_secret

PREFIX = "altum_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SCOPE = re.compile(r"[a-z][a-z_]*:(read|write)")
# `last used` is written at most this often per token: reads stay read-only.
TOUCH_EVERY = timedelta(minutes=1)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadTokenRequest(
            "a token name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_scopes(scopes: list[str] | tuple[str, ...], known: frozenset[str]) -> tuple[str, ...]:
    """The scopes, deduplicated and sorted; refuses unknown ones and an empty list."""
    if not scopes:
        raise BadTokenRequest("give at least one --scope")
    wrong = sorted(s for s in scopes if not _SCOPE.fullmatch(s) or s not in known)
    if wrong:
        raise BadTokenRequest(
            f"unknown scope(s): {', '.join(wrong)}; known: {', '.join(sorted(known))}"
        )
    return tuple(sorted(set(scopes)))


async def create_token(
    *, uow: UnitOfWork, name: str, scopes: tuple[str, ...], now: datetime
) -> tuple[ApiTokenRecord, str]:
    """A new token; returns its record and the secret, which is not kept anywhere."""
    secret = PREFIX + new_secret()
    record = await uow.api_tokens.add(
        name=check_name(name), token_hash=digest(secret), scopes=scopes, created_at=now
    )
    return record, secret


async def authenticate(*, uow: UnitOfWork, secret: str) -> ApiTokenRecord | None:
    """The token this secret is, if any."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    return await uow.api_tokens.by_hash(digest(secret))


def use_is_stale(token: ApiTokenRecord, now: datetime) -> bool:
    """Whether `last used` should be written now (at most once a minute: reads stay reads)."""
    return token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY


async def record_use(*, uow: UnitOfWork, token: ApiTokenRecord, now: datetime) -> None:
    """In a transaction of its own, so that a refused or failed request still counts."""
    await uow.api_tokens.touch(token.id, now=now)


async def list_tokens(*, uow: UnitOfWork) -> list[ApiTokenRecord]:
    return await uow.api_tokens.listed()


async def revoke_token(*, uow: UnitOfWork, name: str) -> bool:
    return await uow.api_tokens.remove(name)
