"""The back-office API's platform over HTTP against the running bot: tokens made by the CLI
(only a hash stored), 401/403/429 as problem details, the public OpenAPI document and docs
page, and nothing secret in the logs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sys
import uuid
from pathlib import Path

import pytest
from api_support import Api, make_token, serving
from e2e_support import bot_settings, webhook_bot, webhook_settings
from sqlalchemy import select

from api.ratelimit import RedisRateLimiter
from bot.settings import ApiSettings
from emulator import EmulatorServer
from storage.backoffice_models import ApiToken
from storage.database import Database

PROBLEM = "application/problem+json"


async def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    """`altum-bot` as an operator runs it."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("altum-bot")),
        *args,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_tokens_scopes_and_problem_details(
    database_url: str, emulator: EmulatorServer
) -> None:
    code, out, _ = await cli(
        database_url,
        "api-token",
        "create",
        "crm",
        "--scope",
        "clients:read",
        "--scope",
        "events:read",
    )
    assert code == 0
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("altum_") and len(secret) > 40
    assert (await cli(database_url, "api-token", "create", "crm", "--scope", "clients:read"))[
        0
    ] == 2
    code, _, err = await cli(database_url, "api-token", "create", "x", "--scope", "clients:fly")
    assert code == 2 and "unknown scope" in err

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            (row,) = list(await session.scalars(select(ApiToken)))
    finally:
        await database.dispose()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(row.__dict__)

    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, secret) as api:
        missing = await api.call("GET", "/clients/1", token=None)
        assert missing.status == 401 and missing.content_type.startswith(PROBLEM)
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert missing.body["status"] == 401 and missing.body["type"].endswith(
            "#problem-unauthorized"
        )
        unknown = await api.call("GET", "/clients/1", token="altum_" + "x" * 43)
        assert unknown.status == 401
        forbidden = await api.put(
            "/clients/1/consultant", {"name": "Ieva", "email": "ieva@altum.lv", "phone": "20000000"}
        )
        assert forbidden.status == 403 and "clients:write" in forbidden.body["detail"]
        allowed = await api.get("/clients/1")
        assert allowed.status == 404 and allowed.content_type.startswith(PROBLEM)
        invalid = await api.get("/clients/0")
        assert invalid.status == 422
        assert invalid.body["errors"][0]["location"] == ["path", "client_id"]

        code, listing, _ = await cli(database_url, "api-token", "list")
        assert code == 0
        assert "crm" in listing and "clients:read events:read" in listing and "never" not in listing
        assert secret not in listing

        assert (await cli(database_url, "api-token", "revoke", "crm"))[0] == 0
        revoked = await api.get("/clients/1")
        assert revoked.status == 401
    assert (await cli(database_url, "api-token", "revoke", "crm"))[0] == 1


async def test_a_token_over_its_rate_limit_gets_429_with_retry_after(
    database_url: str, emulator: EmulatorServer
) -> None:
    secret = await make_token(database_url, "clients:read")
    settings = bot_settings(
        database_url, emulator.base_url, api=ApiSettings(rate_per_second=0.5, rate_burst=3)
    )
    other = await make_token(database_url, "clients:read", name="other")
    async with serving(settings), Api(settings.public_url, secret) as api:
        statuses = [(await api.get("/clients/7")).status for _ in range(3)]
        assert statuses == [404, 404, 404]
        limited = await api.get("/clients/7")
        assert limited.status == 429 and limited.content_type.startswith(PROBLEM)
        assert 1 <= int(limited.headers["Retry-After"]) <= 2
        # The limit is per token: another token is not held back.
        assert (await api.call("GET", "/clients/7", token=other)).status == 404


async def test_openapi_and_docs_are_public_generated_and_offline(
    database_url: str, emulator: EmulatorServer
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, None) as api:
        spec = await api.get("/openapi.json")
        assert spec.status == 200 and spec.body["openapi"] == "3.1.0"
        operations = {
            operation["operationId"]
            for item in spec.body["paths"].values()
            for operation in item.values()
        }
        assert {
            "put_deal",
            "reject_registration",
            "approve_registration",
            "read_events",
        } <= operations
        docs = await api.get("/docs")
        assert docs.status == 200 and docs.content_type.startswith("text/html")
        html = await _text(settings.public_url + "/api/v1/docs")
    for operation_id in operations:
        assert f'id="{operation_id}"' in html
    assert "<script" not in html and "https://" not in html  # nothing fetched from elsewhere


async def _text(url: str) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return await response.text()


async def test_tokens_and_personal_codes_never_reach_the_logs(
    database_url: str, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    with caplog.at_level(logging.DEBUG):
        async with serving(settings), Api(settings.public_url, secret) as api:
            await api.post("/clients/1/users", {"personal_code": "120584-12349", "role": "main"})
            await api.call("GET", "/clients/1", token=secret + "wrong")
            await api.get("/clients/99999999999999999999")
    text = caplog.text
    assert secret not in text and secret[:20] not in text
    assert "120584" not in text


async def test_the_webhook_server_serves_the_api_too(
    database_url: str, emulator: EmulatorServer
) -> None:
    secret = await make_token(database_url, "clients:read")
    settings = webhook_settings(database_url, emulator.base_url)
    async with webhook_bot(settings), Api(settings.public_url, secret) as api:
        assert (await api.get("/openapi.json")).status == 200
        assert (await api.get("/clients", registration_number="40103999940")).body == {"items": []}


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.redis
async def test_with_redis_the_rate_limit_is_shared_by_processes() -> None:
    """Two limiters on one Redis, as two replicas would have: one bucket between them."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    key = f"test-{uuid.uuid4().hex}"
    try:
        one = RedisRateLimiter(redis, per_second=1, burst=3)
        two = RedisRateLimiter(redis, per_second=1, burst=3)
        waits = [await one.take(key), await two.take(key), await one.take(key)]
        assert waits == [0, 0, 0]
        assert 0 < await two.take(key) <= 1.0
        assert await one.take(f"{key}-other") == 0  # per token
    finally:
        await redis.aclose()
