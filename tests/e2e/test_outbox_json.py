"""The outbox sends each stored row as JSON, straight to the Bot API (no aiogram models), and
maps Telegram's answers to the same fates as aiogram's path: against the emulator, whose
faults stand in for Telegram's rate limits, outages and refusals."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    BanChatMember,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from e2e_support import BOT_ID, TOKEN, outbox_rows
from sqlalchemy import select

from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import from_payload, json_params, to_payload
from bot.delivery.telegram import JsonBotApi, PinResponseModels, RetryPolicy, RetryRequests
from dialogs.outgoing import Queued
from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import OutboxMessage
from storage.repositories import Outbox

QUICK = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2)
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Reģistrēties", callback_data="menu:register")],
        [InlineKeyboardButton(text="Portāla karte", callback_data="menu:map")],
    ]
)


class QuickSession(AiohttpSession):
    """aiogram's session sleeps 250 ms on close for TLS; plain loopback HTTP needn't."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class CountingMiddleware(BaseRequestMiddleware):
    """Some other request middleware: it must see every call, so aiogram's path is kept."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    async def __call__(self, make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        self.methods.append(method.__api_method__)
        return await make_request(bot, method)


def make_bot(base_url: str, policy: RetryPolicy = QUICK, *extra: BaseRequestMiddleware) -> Bot:
    """As `bot.delivery.telegram.create_bot` builds it, with a quicker retry policy."""
    session = QuickSession(api=TelegramAPIServer.from_base(base_url))
    session.middleware(PinResponseModels())
    session.middleware(RetryRequests(policy))
    for middleware in extra:
        session.middleware(middleware)
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class Harness:
    def __init__(self, database: Database, bot: Bot, emu: EmulatorClient) -> None:
        self.database = database
        self.bot = bot
        self.emu = emu
        self.sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
        self.aiogram_calls = 0
        original = bot.session.make_request

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.aiogram_calls += 1
            return await original(*args, **kwargs)

        bot.session.make_request = counted  # type: ignore[method-assign]

    async def deliver(self, chat_id: int, *methods: TelegramMethod[Any]) -> list[OutboxMessage]:
        """Queue in a transaction, deliver after commit, mark sent; the rows as stored."""
        async with self.database.transaction() as session:
            rows = await self.sender.queue(Outbox(session), [Queued(chat_id, m) for m in methods])
        await self.sender.deliver(rows)
        await self.sender.mark_sent()
        ids = [row.id for row in rows]
        async with self.database.transaction() as session:
            stored = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
            )
            return list(stored)

    async def calls(self, method: str, since: int) -> list[dict[str, Any]]:
        return await self.emu.calls(BOT_ID, method=method, since=since)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(
    database: Database, emulator: EmulatorServer, emu: EmulatorClient
) -> AsyncIterator[HarnessFactory]:
    bots: list[Bot] = []

    async def make(*extra: BaseRequestMiddleware, policy: RetryPolicy = QUICK) -> Harness:
        bot = make_bot(emulator.base_url, policy, *extra)
        bots.append(bot)
        return Harness(database, bot, emu)

    yield make
    for bot in bots:
        await bot.session.close()


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness()


@pytest.fixture
async def anna(emu: EmulatorClient) -> int:
    user = await emu.create_user(BOT_ID, "Anna", language_code="lv", started=True)
    return int(user["id"])


def aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def no_token_logged(caplog: pytest.LogCaptureFixture) -> None:
    secret = TOKEN.split(":", 1)[1]
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.__dict__)


# The bot's defaults


async def test_the_bots_parse_mode_reaches_telegram_and_an_explicit_one_is_kept(
    harness: Harness, anna: int
) -> None:
    since = await harness.emu.last_seq(BOT_ID)
    rows = await harness.deliver(
        anna,
        SendMessage(chat_id=anna, text="<b>Labdien</b>, Anna!", reply_markup=KEYBOARD),
        SendMessage(chat_id=anna, text="*Labdien*, Anna\\!", parse_mode=ParseMode.MARKDOWN_V2),
    )
    assert all(row.sent_at is not None for row in rows)
    assert "parse_mode" not in rows[0].payload["params"]  # stored without the bot's default
    first, second = await harness.calls("sendMessage", since)
    assert first["params"]["parse_mode"] == "HTML"
    assert first["params"]["reply_markup"] == KEYBOARD.model_dump(mode="json", exclude_none=True)
    assert second["params"]["parse_mode"] == "MarkdownV2"
    for call in (first, second):
        assert call["result"]["text"] == "Labdien, Anna!"
        assert call["result"]["entities"][0]["type"] == "bold"
    assert harness.aiogram_calls == 0  # straight JSON, no aiogram request


def aiogram_form(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """The fields aiogram's own session would post for `method` (`build_form_data`), decoded."""
    form: dict[str, Any] = {}
    session = bot.session
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files={})
        if prepared:
            form[key] = prepared
    return form


def as_form(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in params.items()
    }


@pytest.mark.parametrize(
    "defaults",
    [
        DefaultBotProperties(parse_mode=ParseMode.HTML),
        DefaultBotProperties(),
        DefaultBotProperties(
            parse_mode=ParseMode.MARKDOWN_V2,
            protect_content=True,
            disable_notification=False,
            link_preview_is_disabled=True,
            allow_sending_without_reply=True,
        ),
    ],
    ids=["html", "none", "many"],
)
@pytest.mark.parametrize(
    "method",
    [
        SendMessage(chat_id=7, text="<b>Labdien</b>", reply_markup=KEYBOARD),
        SendMessage(chat_id=7, text="x", parse_mode="Markdown", protect_content=False),
        SendMessage(
            chat_id=7,
            text="x",
            # to_payload cannot store a nested default: a queued call spells them out
            reply_parameters=ReplyParameters(
                message_id=3, allow_sending_without_reply=False, quote_parse_mode=None
            ),
        ),
        EditMessageText(chat_id=7, message_id=3, text="x"),
        AnswerCallbackQuery(callback_query_id="q", text="Gatavs"),
        SendPhoto(chat_id=7, photo="AgADBAAD", caption="<i>bilde</i>"),
    ],
    ids=["send", "explicit", "reply", "edit", "answer", "photo"],
)
def test_defaults_are_applied_as_aiogram_applies_them(
    defaults: DefaultBotProperties, method: TelegramMethod[Any]
) -> None:
    bot = Bot(TOKEN, default=defaults)
    payload = to_payload(method)
    ours = json_params(bot, payload)
    if isinstance(method, SendMessage) and method.reply_parameters is not None:
        assert ours is None  # aiogram fills in its nested defaults: aiogram sends it
        return
    assert ours is not None
    assert as_form(ours) == aiogram_form(bot, from_payload(payload))


def test_dates_and_durations_are_left_to_aiogram() -> None:
    payload = to_payload(BanChatMember(chat_id=-100, user_id=7, until_date=timedelta(days=1)))
    assert json_params(Bot(TOKEN), payload) is None  # aiogram sends now + 1 day, Unix time
    payload = to_payload(BanChatMember(chat_id=-100, user_id=7))
    assert json_params(Bot(TOKEN), payload) == {"chat_id": -100, "user_id": 7}


def test_a_method_aiogram_does_not_know_is_sent_as_stored() -> None:
    payload = {"method": "sendFutureThing", "params": {"chat_id": 7, "x": [1]}}
    assert json_params(Bot(TOKEN), payload) == {"chat_id": 7, "x": [1]}


async def test_a_row_whose_nested_defaults_aiogram_fills_goes_through_aiogram(
    harness: Harness, anna: int
) -> None:
    [first] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    message_id = (await harness.emu.messages(BOT_ID, anna))[-1]["message_id"]
    since = await harness.emu.last_seq(BOT_ID)
    reply = ReplyParameters(
        message_id=message_id, allow_sending_without_reply=None, quote_parse_mode=None
    )
    [row] = await harness.deliver(
        anna, SendMessage(chat_id=anna, text="<b>Atbilde</b>", reply_parameters=reply)
    )
    assert first.sent_at is not None and row.sent_at is not None
    assert harness.aiogram_calls == 1
    [call] = await harness.calls("sendMessage", since)
    assert call["params"]["parse_mode"] == "HTML"
    assert call["params"]["reply_parameters"]["quote_parse_mode"] == "HTML"


def test_a_bot_with_request_middleware_of_its_own_keeps_aiogram_path() -> None:
    assert JsonBotApi.for_bot(make_bot("http://127.0.0.1:9")) is not None
    assert JsonBotApi.for_bot(make_bot("http://127.0.0.1:9", QUICK, CountingMiddleware())) is None
    plain = Bot(TOKEN)  # no RetryRequests: the default policy
    api = JsonBotApi.for_bot(plain)
    assert api is not None and api.policy == RetryPolicy()
    policy = RetryPolicy(attempts=2)
    api = JsonBotApi.for_bot(make_bot("http://127.0.0.1:9", policy))
    assert api is not None and api.policy is policy  # one policy for both paths


async def test_aiogram_path_when_another_middleware_must_see_the_calls(
    make_harness: HarnessFactory, anna: int
) -> None:
    counting = CountingMiddleware()
    harness = await make_harness(counting)
    since = await harness.emu.last_seq(BOT_ID)
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="<b>Labdien</b>"))
    assert row.sent_at is not None
    assert counting.methods == ["sendMessage"] and harness.aiogram_calls == 1
    [call] = await harness.calls("sendMessage", since)
    assert call["params"]["parse_mode"] == "HTML"


# Refusals


async def test_harmless_refusals_count_as_sent(harness: Harness, anna: int) -> None:
    [sent] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert sent.sent_at is not None
    message_id = (await harness.emu.messages(BOT_ID, anna))[-1]["message_id"]
    since = await harness.emu.last_seq(BOT_ID)
    rows = await harness.deliver(
        anna,
        EditMessageText(chat_id=anna, message_id=message_id, text="Labdien"),  # the same
        AnswerCallbackQuery(callback_query_id="no-such-query"),
    )
    assert all(row.sent_at is not None and row.failed_at is None for row in rows)
    statuses = [c["status"] for c in await harness.emu.calls(BOT_ID, since=since)]
    assert statuses == [400, 400]  # and not retried


async def test_other_bad_requests_fail_at_once_and_are_logged(
    harness: Harness, anna: int, caplog: pytest.LogCaptureFixture
) -> None:
    since = await harness.emu.last_seq(BOT_ID)
    with caplog.at_level(logging.INFO):
        [row, after] = await harness.deliver(
            anna,
            SendMessage(chat_id=anna, text="<p>Labdien</p>"),  # Telegram knows no <p>
            SendMessage(chat_id=anna, text="Nākamā"),  # a failed row does not hold the chat
        )
    assert row.failed_at is not None and row.sent_at is None
    assert row.last_error is not None and "can't parse entities" in row.last_error
    assert after.sent_at is not None
    assert [c["status"] for c in await harness.calls("sendMessage", since)] == [400, 200]
    [refused] = [r for r in caplog.records if r.getMessage() == "outbox: Telegram refused a call"]
    assert refused.levelno == logging.ERROR
    assert refused.fields["error"] == row.last_error  # type: ignore[attr-defined]
    no_token_logged(caplog)


async def test_a_user_who_blocked_the_bot_fails_without_retries(
    harness: Harness, anna: int
) -> None:
    await harness.emu.block(BOT_ID, anna)
    since = await harness.emu.last_seq(BOT_ID)
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.failed_at is not None and row.attempts == 0
    assert row.last_error == "Forbidden: bot was blocked by the user"
    assert [c["status"] for c in await harness.calls("sendMessage", since)] == [403]


async def test_other_errors_fail(harness: Harness, anna: int) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=409, description="Conflict: x")
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.failed_at is not None and row.last_error == "Conflict: x"


# What is waited out or retried


async def test_a_429_is_waited_out(harness: Harness, anna: int) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=1)
    since = await harness.emu.last_seq(BOT_ID)
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is not None
    first, second = await harness.calls("sendMessage", since)
    assert (first["status"], second["status"]) == (429, 200)
    assert second["time"] - first["time"] >= 0.95  # retry_after honoured


async def test_a_429_too_long_to_wait_is_postponed_at_once(harness: Harness, anna: int) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=30)
    since = await harness.emu.last_seq(BOT_ID)
    [row, held] = await harness.deliver(
        anna,
        SendMessage(chat_id=anna, text="Labdien"),
        SendMessage(chat_id=anna, text="Nākamā"),  # waits its turn: the chat keeps its order
    )
    assert row.sent_at is None and row.failed_at is None
    assert row.attempts == 1 and row.last_error == "TelegramRetryAfter"
    assert aware(row.locked_until) > datetime.now(UTC)
    assert held.sent_at is None and held.attempts == 0
    assert [c["status"] for c in await harness.calls("sendMessage", since)] == [429]


async def test_429s_beyond_the_attempts_are_postponed(harness: Harness, anna: int) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=1, count=5)
    since = await harness.emu.last_seq(BOT_ID)
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is None and row.last_error == "TelegramRetryAfter"
    assert [c["status"] for c in await harness.calls("sendMessage", since)] == [429] * 3


async def test_server_errors_and_dropped_connections_are_retried(
    harness: Harness, anna: int
) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=502)
    await harness.emu.add_fault(BOT_ID, "sendMessage", drop=True)
    since = await harness.emu.last_seq(BOT_ID)
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is not None
    statuses = [c["status"] for c in await harness.calls("sendMessage", since)]
    assert statuses == [502, 0, 200]


async def test_server_errors_that_last_are_postponed(
    harness: Harness, anna: int, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", status=500, count=10)
    since = await harness.emu.last_seq(BOT_ID)
    with caplog.at_level(logging.INFO):
        [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is None and row.failed_at is None
    assert row.attempts == 1 and row.last_error == "TelegramServerError"
    assert [c["status"] for c in await harness.calls("sendMessage", since)] == [500] * 3
    retries = [r for r in caplog.records if r.getMessage() == "telegram: retrying"]
    assert len(retries) == 2
    no_token_logged(caplog)


async def test_a_gateways_html_page_is_a_server_error(harness: Harness, anna: int) -> None:
    await harness.emu.add_fault(
        BOT_ID, "sendMessage", status=502, body="<html>502 Bad Gateway</html>", count=10
    )
    [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is None and row.last_error == "TelegramServerError"


async def test_connections_dropped_every_time_are_postponed(
    harness: Harness, anna: int, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.emu.add_fault(BOT_ID, "sendMessage", drop=True, count=10)
    with caplog.at_level(logging.INFO):
        [row] = await harness.deliver(anna, SendMessage(chat_id=anna, text="Labdien"))
    assert row.sent_at is None and row.attempts == 1
    assert row.last_error == "TelegramNetworkError"
    no_token_logged(caplog)


async def test_an_unreachable_server_is_postponed_without_the_token_in_the_logs(
    database: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot("http://127.0.0.1:9")  # nothing listens on the discard port
    try:
        sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
        async with database.transaction() as session:
            rows = await sender.queue(
                Outbox(session), [Queued(7, SendMessage(chat_id=7, text="x"))]
            )
        with caplog.at_level(logging.INFO):
            await sender.deliver(rows)
    finally:
        await bot.session.close()
    [row] = await outbox_rows(database_url)
    assert row.attempts == 1 and row.last_error == "TelegramNetworkError"
    assert any(r.getMessage() == "telegram: retrying" for r in caplog.records)
    no_token_logged(caplog)
