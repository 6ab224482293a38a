"""The Bot API client: Telegram or any compatible server (self-hosted, the emulator)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.logs import fields
from bot.metrics import aiogram_error_code, status_code_label

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait before trying a Bot API call again, or whether to give up.

    `attempt` counts from 1 (the call that just failed). A 429's `retry_after` is waited out
    as asked, unless it is longer than `max_retry_after`; network errors and 5xx back off
    exponentially from `base_delay` up to `max_delay`, with ±20 % jitter."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 60.0

    def after_retry_after(self, attempt: int, retry_after: float) -> float | None:
        if attempt >= self.attempts or retry_after > self.max_retry_after:
            return None
        return float(retry_after)

    def after_error(self, attempt: int) -> float | None:
        if attempt >= self.attempts:
            return None
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * random.uniform(0.8, 1.2)


ErrorObserver = Callable[[str], None]  # told the code of every failed call ("429", "5xx"...)


class RetryRequests(BaseRequestMiddleware):
    """Waits out 429 `retry_after`; retries network errors and 5xx with bounded backoff.
    `on_error` is told of every failed call, each retry's included (for metrics)."""

    def __init__(
        self, policy: RetryPolicy | None = None, *, on_error: ErrorObserver | None = None
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.on_error = on_error

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
                return await self._observed(make_request, bot, method)
            except TelegramRetryAfter as exc:
                delay = self.policy.after_retry_after(attempt, exc.retry_after)
                if delay is None:
                    raise
            except (TelegramNetworkError, TelegramServerError) as exc:
                delay = self.policy.after_error(attempt)
                if delay is None:
                    raise
                _log_retry(method.__api_method__, type(exc).__name__)
            attempt += 1
            await asyncio.sleep(delay)

    async def _observed(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramAPIError as exc:
            if self.on_error is not None:
                self.on_error(aiogram_error_code(exc))
            raise


def _log_retry(method: str, error: str) -> None:
    log.warning("telegram: retrying", extra=fields(method=method, error=error))


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


_JSON_BODY = {"Content-Type": "application/json"}

# Names aiogram's exceptions give these failures; stored as the outbox row's last error.
RETRY_AFTER = TelegramRetryAfter.__name__
SERVER_ERROR = TelegramServerError.__name__
NETWORK_ERROR = TelegramNetworkError.__name__


@dataclass(frozen=True, slots=True)
class Answer:
    """The Bot API's answer to a call made with `JsonBotApi`.

    `transient` names a failure worth retrying (429, 5xx, network error, unreadable answer);
    from `JsonBotApi.call` it is one that lasted through every retry the policy allows.
    Otherwise `status`, `description` and `parameters` are what the server answered."""

    ok: bool
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    transient: str = ""


class JsonBotApi:
    """Bot API calls whose parameters are JSON already (the outbox's rows): one JSON POST, the
    answer read as JSON, no aiogram models either way. Retries as `RetryRequests` does, with
    the same policy.

    Uses the bot's own aiohttp session. The token is in the URL: neither URLs nor aiohttp's
    exception texts are ever logged, only exception class names."""

    def __init__(
        self,
        bot: Bot,
        session: AiohttpSession,
        policy: RetryPolicy,
        on_error: ErrorObserver | None = None,
    ) -> None:
        self._bot = bot
        self._session = session
        self.policy = policy
        self.on_error = on_error
        self._urls: dict[str, str] = {}
        self._timeout = aiohttp.ClientTimeout(total=session.timeout)

    @classmethod
    def for_bot(cls, bot: Bot, *, policy: RetryPolicy | None = None) -> JsonBotApi | None:
        """None unless the bot talks through an aiohttp session with no request middleware
        but ours (another one expects to see every call, which only aiogram's path gives).
        `policy` replaces the bot's retry policy (the push sender retries nothing itself)."""
        session = getattr(bot, "session", None)
        if not isinstance(session, AiohttpSession):
            return None
        override, policy, on_error = policy, RetryPolicy(), None
        for middleware in session.middleware:
            if isinstance(middleware, RetryRequests):
                policy, on_error = middleware.policy, middleware.on_error
            elif not isinstance(middleware, PinResponseModels):
                return None
        return cls(bot, session, policy if override is None else override, on_error)

    async def call(self, method: str, params: dict[str, Any]) -> Answer:
        body = json.dumps(params, ensure_ascii=False).encode()
        attempt = 1
        while True:
            answer = await self._post(method, body)
            if answer.ok:
                return answer
            if self.on_error is not None:
                self.on_error(error_code(answer))
            if answer.transient == RETRY_AFTER:
                delay = self.policy.after_retry_after(attempt, answer.parameters["retry_after"])
            elif answer.transient:  # 5xx, network error, unreadable answer
                delay = self.policy.after_error(attempt)
                if delay is not None:
                    _log_retry(method, answer.transient)
            else:
                return answer
            if delay is None:
                return answer
            attempt += 1
            await asyncio.sleep(delay)

    async def _post(self, method: str, body: bytes) -> Answer:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = self._session.api.api_url(
                token=self._bot.token, method=method
            )
        http = await self._session.create_session()
        try:
            async with http.post(
                url,
                data=body,
                headers=_JSON_BODY,
                timeout=self._timeout,
            ) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return Answer(ok=False, transient=NETWORK_ERROR)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):  # e.g. a proxy's HTML error page
            return Answer(ok=False, status=status, transient=SERVER_ERROR)
        if HTTPStatus.OK <= status <= HTTPStatus.IM_USED and answer.get("ok") is True:
            return Answer(ok=True, status=status)
        parameters = answer.get("parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        retry_after = parameters.get("retry_after")
        transient = ""  # in aiogram's order: retry_after whatever the status, then 5xx
        if isinstance(retry_after, int | float) and retry_after > 0:
            transient = RETRY_AFTER
        elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            transient = SERVER_ERROR
        return Answer(
            ok=False,
            status=status,
            description=str(answer.get("description") or ""),
            parameters=parameters,
            transient=transient,
        )


def error_code(answer: Answer) -> str:
    """A failed answer as a metrics label: the HTTP code (5xx together), or "network"."""
    if answer.transient == NETWORK_ERROR or (answer.transient and not answer.status):
        return "network"
    if answer.transient == RETRY_AFTER:
        return "429"
    return status_code_label(answer.status) if answer.status else "other"


def create_bot(
    token: str, api_url: str, *, on_error: ErrorObserver | None = None, **session_kwargs: Any
) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), **session_kwargs)
    session.middleware(PinResponseModels())
    session.middleware(RetryRequests(on_error=on_error))
    return Bot(
        token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
