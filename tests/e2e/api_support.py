"""Helpers for driving the back-office API over HTTP, as ALTUM's systems would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

import aiohttp
from e2e_support import until_healthy

from api import scopes as all_scopes
from bot.ops.api_tokens import create
from bot.runtime import run_polling
from bot.settings import Settings

ALL = tuple(sorted(all_scopes()))


async def make_token(database_url: str, *scopes: str, name: str = "crm") -> str:
    _record, secret = await create(database_url, name, list(scopes or ALL))
    return secret


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[None]:
    """The bot polling in this event loop, once its web server (and so the API) answers."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop))
    try:
        await until_healthy(settings.public_url + "/healthz", task)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    content_type: str


class Api:
    """`await api.put("/clients/1/deals/D-1", {...})` -> Answer."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | EllipsisType | None = ...,  # ...: the Api's own token
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Answer:
        headers = dict(headers or {})
        secret = self.token if token is ... else token
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        async with self._http.request(
            method,
            self.base + path,
            json=body,
            params={k: str(v) for k, v in params.items()} or None,
            headers=headers,
        ) as response:
            text = await response.text()
            content_type = response.headers.get("Content-Type", "")
            payload: Any = None
            if "json" in content_type and text:
                payload = await response.json(content_type=None)
            return Answer(response.status, payload, dict(response.headers), content_type)

    async def get(self, path: str, **params: Any) -> Answer:
        return await self.call("GET", path, **params)

    async def put(self, path: str, body: Any) -> Answer:
        return await self.call("PUT", path, body)

    async def post(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> Answer:
        return await self.call("POST", path, body, headers=headers)

    async def patch(self, path: str, body: Any) -> Answer:
        return await self.call("PATCH", path, body)
