"""One update the bot cannot handle must never stop it: it is set aside, the person is told
once, and everybody else is answered as usual (bot/engine/intake.py, bot/engine/quarantine.py)."""

from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import urlsplit

import pytest
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    BotProcess,
    bot_settings,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
    webhook_bot,
    webhook_settings,
)
from poison_support import (
    APOLOGY_LV,
    SECRET_QUESTION,
    bot_texts,
    everything_logged,
    poll_without_its_fields,
    processed_ids,
    quarantine_rows,
)
from tcp_proxy import TcpProxy

from bot.engine import quarantine as quarantine_module
from bot.runtime import set_webhook
from dialogs.outgoing import Outgoing
from emulator import EmulatorClient, EmulatorServer
from storage.quarantine import SqlQuarantine

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_an_unparsable_update_by_polling_is_set_aside_and_the_others_are_answered(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    anna, janis = await person("Anna"), await person("Jānis")
    await anna.say("/help")  # Anna has written to the bot before: it may answer her
    # Both arrive in the same long poll: the poison first.
    poison = await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
    await janis.say("/help")
    async with polling_bot(bot_settings(database_url, emulator.base_url)):
        assert (await janis.reply())["text"].startswith("Portāla karte")
        await wait_until_confirmed(emu)  # the poison update too
        await anna.say("/start")
        assert (await anna.reply())["text"].startswith("Labdien, Anna!")

    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    assert sum(text.startswith(APOLOGY_LV) for text in texts) == 1
    (row,) = await quarantine_rows(database_url)
    assert (row.update_id, row.kind, row.attempts) == (poison["update_id"], "message", 1)
    assert row.quarantined_at is not None and '"poll"' in row.raw and not row.raw_truncated
    assert row.error_type == "pydantic_core._pydantic_core.ValidationError"
    assert "message.poll.options: Field required" in row.error
    # Neither the stored error nor the log repeats what the person wrote.
    assert "Bērziņa" not in row.error and "Bērziņa" not in everything_logged(caplog)
    assert SECRET_QUESTION not in everything_logged(caplog)
    assert "update set aside in quarantine" in caplog.text
    assert poison["update_id"] in await processed_ids(database_url)


async def test_an_unparsable_update_by_webhook_is_answered_200_and_set_aside(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    anna, janis = await person("Anna"), await person("Jānis")
    settings = webhook_settings(database_url, emulator.base_url)
    async with webhook_bot(settings):
        await set_webhook(settings)
        await anna.say("/help")
        await anna.reply()
        await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
        await janis.say("/help")
        assert (await janis.reply())["text"].startswith("Portāla karte")
        # One chat's updates go one at a time: Anna's next one waits for the poison's answer.
        await anna.say("/start")
        while not (await anna.reply())["text"].startswith("Labdien, Anna!"):
            pass  # the apology may come after she wrote, never after her greeting
        await wait_until_confirmed(emu)
        info = await emu.webhook_info(BOT_ID)
    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    (apology,) = [i for i, text in enumerate(texts) if text.startswith(APOLOGY_LV)]
    assert texts[apology + 1].startswith("Labdien, Anna!")
    assert info["pending_update_count"] == 0 and "last_error_message" not in info
    (row,) = await quarantine_rows(database_url)
    assert row.attempts == 1 and row.error_type.endswith("ValidationError")


async def test_a_restarted_bot_does_not_meet_the_set_aside_update_again(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """The reported crash, as a process: `altum-bot run` stays up, and after a restart the
    update is not fetched, counted or apologised for again."""
    anna, janis = await person("Anna"), await person("Jānis")
    await anna.say("/help")
    await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
    await janis.say("/help")  # all three wait for the bot to start
    process = BotProcess(bot_settings(database_url, emulator.base_url))
    try:
        for run in range(2):
            since = await emu.last_seq(BOT_ID)
            process.start()
            await wait_until_polling(emu, since)
            if run == 0:
                assert (await janis.reply(timeout=15))["text"].startswith("Portāla karte")
            await wait_until_confirmed(emu, timeout=15)
            assert process.process is not None and process.process.poll() is None  # still up
            exit_code = await asyncio.to_thread(process.terminate)
            output = process.output()
            assert exit_code == 0, output
            assert "Bērziņa" not in output
    finally:
        process.stop_quietly()
    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    assert sum(text.startswith(APOLOGY_LV) for text in texts) == 1
    (row,) = await quarantine_rows(database_url)
    assert row.attempts == 1


class Failing:
    """Handlers that fail: always ("boom", a bug; "offline", an OSError such as a provider's
    network call raises), or only the first time ("flaky")."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {"boom": 0, "offline": 0, "flaky": 0}

    def router(self) -> Router:
        router = Router(name="failing")

        @router.message(F.text.in_(self.calls))
        async def fail(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
            text = message.text or ""
            self.calls[text] += 1
            if text == "flaky" and self.calls[text] > 1:
                outgoing.send("flaky worked")
                return
            await state.update_data(note="must not stay")
            outgoing.send("must not be sent")
            if text == "offline":
                raise ConnectionResetError("the provider hung up")
            raise RuntimeError("a bug in a handler")

        return router


async def test_a_handler_that_always_fails_is_set_aside_after_n_attempts(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    failing = Failing()
    anna, janis, liga, maris = [await person(name) for name in ("Anna", "Jānis", "Līga", "Māris")]
    settings = bot_settings(database_url, emulator.base_url, update_attempts=3)
    async with polling_bot(settings, extra_routers=(failing.router(),)):
        await wait_until_polling(emu)
        await anna.say("boom")
        await janis.say("offline")  # looked like a database outage to the old code
        await maris.say("flaky")
        await liga.say("/help")
        assert (await liga.reply())["text"].startswith("Portāla karte")
        assert (await maris.reply())["text"] == "flaky worked"
        for unlucky in (anna, janis):
            assert (await unlucky.reply(timeout=15))["text"].startswith(APOLOGY_LV)
        await wait_until_confirmed(emu)
        await anna.say("/start")  # the bot goes on for the unlucky, too
        assert (await anna.reply())["text"].startswith("Labdien, Anna!")

    assert failing.calls == {"boom": 3, "offline": 3, "flaky": 2}
    rows = {row.error_type: row for row in await quarantine_rows(database_url)}
    assert set(rows) == {"RuntimeError", "ConnectionResetError"}  # not the flaky one
    assert all(row.attempts == 3 and row.quarantined_at is not None for row in rows.values())
    assert rows["RuntimeError"].error.startswith("a bug in a handler")
    for unlucky in (anna, janis):
        texts = await bot_texts(emu, BOT_ID, unlucky.user_id)
        assert "must not be sent" not in texts
        assert sum(text.startswith(APOLOGY_LV) for text in texts) == 1


async def test_an_update_whose_own_ids_break_the_database_is_set_aside(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """A sender and chat id beyond 64 bits parse, then fail the SQL (asyncpg's DataError,
    sqlite3's OverflowError): set aside after its attempts, the others answered. Such ids
    name nobody the database could hold, so no apology is queued (it would fail too)."""
    janis = await person("Jānis")
    huge = 2**64 + 7
    forged = poll_without_its_fields(huge)
    message = forged["message"]
    del message["poll"]
    message["text"] = "/help"
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    settings = bot_settings(database_url, emulator.base_url, update_attempts=2)
    async with polling_bot(settings):
        await wait_until_polling(emu)
        injected = await emu.inject_update(BOT_ID, forged, chat_id=1)
        await janis.say("/help")
        assert (await janis.reply())["text"].startswith("Portāla karte")
        await wait_until_confirmed(emu, timeout=20)
        await janis.say("/start")
        assert (await janis.reply())["text"].startswith("Labdien, Jānis!")
    (row,) = await quarantine_rows(database_url)
    assert row.update_id == injected["update_id"] and row.attempts == 2


@pytest.mark.redis
async def test_a_redis_outage_sets_nothing_aside_and_loses_nothing(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """Redis holds the per-user locks: while it is away every update fails, and none of them
    may count as its own failure (set aside) or be acknowledged (lost)."""
    server = urlsplit(REDIS_URL)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 6379)
    port = await proxy.start()
    settings = bot_settings(
        database_url,
        emulator.base_url,
        redis_url=f"redis://127.0.0.1:{port}{server.path}",
        update_attempts=2,
    )
    anna = await person("Anna")
    try:
        async with polling_bot(settings):
            await wait_until_polling(emu)
            await anna.say("/help")
            await anna.reply()
            # Done, its lock released: cut then, a lock would stay taken until it expires.
            await wait_until_confirmed(emu)
            proxy.cut()
            sent = await anna.say("/start")
            since = await emu.last_seq(BOT_ID)
            await emu.calls(BOT_ID, method="getUpdates", since=since, min=3, wait=10)
            pending = [update["update_id"] for update in await emu.pending_updates(BOT_ID)]
            assert pending == [sent["update_id"]]  # not acknowledged
            proxy.restore()
            assert (await anna.reply(timeout=30))["text"].startswith("Labdien, Anna!")
            await wait_until_confirmed(emu)
    finally:
        await proxy.stop()
    assert await quarantine_rows(database_url) == []
    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    assert not any(text.startswith(APOLOGY_LV) for text in texts)


async def test_when_setting_aside_fails_the_update_is_still_acknowledged(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in the apology: set aside without it. A bug in the quarantine itself: the
    update is dropped, loudly, rather than hold up everything after it."""

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("a bug of ours")

    anna, janis = await person("Anna"), await person("Jānis")
    await anna.say("/help")
    async with polling_bot(bot_settings(database_url, emulator.base_url)):
        await anna.reply()
        with monkeypatch.context() as patch:
            patch.setattr(quarantine_module, "apology", broken)
            first = await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
            await wait_until_confirmed(emu)
        with monkeypatch.context() as patch:
            patch.setattr(SqlQuarantine, "count_failure", broken)
            await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
            await wait_until_confirmed(emu)
        await janis.say("/help")
        assert (await janis.reply())["text"].startswith("Portāla karte")
    (row,) = await quarantine_rows(database_url)
    assert row.update_id == first["update_id"]
    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    assert not any(text.startswith(APOLOGY_LV) for text in texts)
    assert "update dropped: it could be neither handled nor set aside" in caplog.text
