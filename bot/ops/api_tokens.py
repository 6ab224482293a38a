"""`altum-bot api-token create|list|revoke`: tokens for the back-office API."""

from __future__ import annotations

from datetime import UTC, datetime

from api import scopes as known_scopes
from portal import api_tokens
from portal.model import ApiTokenRecord
from storage.database import Database
from storage.migrate import ensure_current
from storage.repositories import SqlUnitOfWork


async def create(database_url: str, name: str, scopes: list[str]) -> tuple[ApiTokenRecord, str]:
    """Raises `portal.model.BadTokenRequest` or `portal.model.TokenNameTaken`."""
    checked = api_tokens.check_scopes(scopes, known_scopes())
    api_tokens.check_name(name)
    database = Database(database_url)
    try:
        await ensure_current(database.engine)
        async with database.transaction() as session:
            return await api_tokens.create_token(
                uow=SqlUnitOfWork(session), name=name, scopes=checked, now=datetime.now(UTC)
            )
    finally:
        await database.dispose()


async def listed(database_url: str) -> list[ApiTokenRecord]:
    database = Database(database_url)
    try:
        await ensure_current(database.engine)
        async with database.transaction() as session:
            return await api_tokens.list_tokens(uow=SqlUnitOfWork(session))
    finally:
        await database.dispose()


async def revoke(database_url: str, name: str) -> bool:
    database = Database(database_url)
    try:
        await ensure_current(database.engine)
        async with database.transaction() as session:
            return await api_tokens.revoke_token(uow=SqlUnitOfWork(session), name=name)
    finally:
        await database.dispose()


def format_created(token: ApiTokenRecord, secret: str) -> str:
    """The secret is the last line, alone: scripts take it with `tail -n 1`."""
    return (
        f"API token {token.name!r} created with scopes: {', '.join(token.scopes)}\n"
        "It is shown only this once (only its hash is stored). Send it as "
        "'Authorization: Bearer <token>'.\n"
        f"{secret}"
    )


def format_list(tokens: list[ApiTokenRecord]) -> str:
    if not tokens:
        return "no API tokens"
    lines = [f"{'name':<24} {'created':<20} {'last used':<20} scopes"]
    for token in tokens:
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
        lines.append(
            f"{token.name:<24} {token.created_at.strftime('%Y-%m-%d %H:%M'):<20} "
            f"{used:<20} {' '.join(token.scopes)}"
        )
    return "\n".join(lines)
