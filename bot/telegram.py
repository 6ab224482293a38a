"""The Bot API client: Telegram or any compatible server (self-hosted, the emulator)."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.logs import fields

log = logging.getLogger(__name__)


class RetryRequests(BaseRequestMiddleware):
    """Waits out 429 `retry_after`; retries network errors and 5xx with bounded backoff."""

    def __init__(
        self,
        *,
        attempts: int = 5,
        base_delay: float = 0.2,
        max_delay: float = 5.0,
        max_retry_after: float = 60.0,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)  # the poller has its own backoff
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.attempts or exc.retry_after > self.max_retry_after:
                    raise
                delay = float(exc.retry_after)
            except (TelegramNetworkError, TelegramServerError) as exc:
                if attempt >= self.attempts:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                delay *= random.uniform(0.8, 1.2)
                log.warning(
                    "telegram: retrying",
                    extra=fields(method=method.__api_method__, error=type(exc).__name__),
                )
            attempt += 1
            await asyncio.sleep(delay)


class PinResponseModels(BaseRequestMiddleware):
    """Keep aiogram's `Response[T]` models alive.

    aiogram builds `Response[method.__returning__]` for every answer; pydantic caches generic
    models only weakly, so after a garbage collection each request rebuilt the model's schema
    (about 5 ms per Bot API call, measured in bench/). One strong reference per return type
    makes it a dictionary lookup.
    """

    def __init__(self) -> None:
        self._pinned: dict[object, type] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._pinned:
            self._pinned[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def create_bot(token: str, api_url: str, **session_kwargs: Any) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), **session_kwargs)
    session.middleware(PinResponseModels())
    session.middleware(RetryRequests())
    return Bot(
        token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
