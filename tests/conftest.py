"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and the emulator."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.migrate import upgrade_async

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def _create_postgres_database() -> str:
    server = make_url(POSTGRES_URL)
    name = f"altum_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.set(drivername="postgresql+asyncpg", database=name).render_as_string(False)


async def _drop_postgres_database(url: str) -> None:
    server = make_url(POSTGRES_URL)
    name = make_url(url).database
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database at the newest schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.db'}"
        await upgrade_async(url)
        yield url
        return
    url = await _create_postgres_database()
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _drop_postgres_database(url)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read the environment and .env: tests pass what they mean explicitly."""
    for name in list(os.environ):
        if name in {
            "BOT_TOKEN",
            "DATABASE_URL",
            "REDIS_URL",
            "APP_ENV",
            "WEBHOOK_SECRET",
            "PUBLIC_URL",
            "TELEGRAM_API_URL",
            "DEMO_MODE",
        }:
            monkeypatch.delenv(name)
    yield
