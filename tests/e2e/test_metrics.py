"""Operators' metrics: a listener of their own, behind a token, whose figures move as the bot
works; and a database outage that is counted but sets nothing aside."""

from __future__ import annotations

import asyncio

import aiohttp
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    bot_settings,
    free_port,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
)
from poison_support import APOLOGY_LV, bot_texts, poll_without_its_fields, quarantine_rows
from prometheus_client.parser import text_string_to_metric_families
from tcp_proxy import TcpProxy

from emulator import EmulatorClient, EmulatorServer

TOKEN = "metrics-token-Kq7vN2xP9mL4wR8t"


async def scrape(url: str, token: str | None = TOKEN) -> tuple[int, dict[str, float]]:
    """The status, and every sample as `name{label=value,...}` -> value."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        status, text = response.status, await response.text()
    samples: dict[str, float] = {}
    if status == 200:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}"] = sample.value
    return status, samples


async def test_the_figures_move_as_updates_are_handled(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    settings = bot_settings(database_url, emulator.base_url, metrics_port=port, metrics_token=TOKEN)
    anna, janis = await person("Anna"), await person("Jānis")
    async with polling_bot(settings):
        await wait_until_polling(emu)
        for wrong in (None, "wrong", TOKEN + "x"):
            assert (await scrape(url, wrong))[0] == 401
        read_at = asyncio.get_running_loop().time()
        status, before = await scrape(url)
        assert status == 200
        assert before["altum_updates_handled_total{kind=message}"] == 0
        assert before["altum_updates_quarantined_total{kind=message}"] == 0
        assert before["altum_update_handling_seconds_count{}"] == 0
        assert before["altum_outbox_pending{}"] == 0
        assert before["altum_quarantine_size{}"] == 0

        await anna.say("/help")
        await anna.reply()
        await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
        # Telegram asks to wait longer than the bot waits: the reply stays in the outbox.
        mark = await emu.last_seq(BOT_ID)
        await emu.add_fault(BOT_ID, "sendMessage", status=429, retry_after=120, count=20)
        await janis.say("/help")
        await wait_until_confirmed(emu)
        await emu.calls(BOT_ID, method="sendMessage", since=mark, wait=10, min=1)
        # The database figures are read at most once a second.
        await asyncio.sleep(max(0.0, read_at + 1.1 - asyncio.get_running_loop().time()))
        _, after = await scrape(url)
        await emu.clear_faults(BOT_ID)

    assert after["altum_updates_handled_total{kind=message}"] == 2
    assert after["altum_update_handling_seconds_count{}"] == 2
    assert after["altum_update_handling_seconds_sum{}"] > 0
    assert after["altum_updates_failed_total{kind=message,reason=unparsable}"] == 1
    assert after["altum_updates_quarantined_total{kind=message}"] == 1
    assert after["altum_quarantine_size{}"] == 1
    assert after["altum_bot_api_errors_total{code=429}"] >= 1
    assert after["altum_outbox_pending{}"] >= 1
    assert after["altum_outbox_oldest_pending_seconds{}"] > 0
    assert not any(name.startswith("altum_database_errors_total") for name in after)


async def test_a_database_outage_is_counted_and_sets_nothing_aside(
    proxied_postgres: tuple[str, TcpProxy],
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
) -> None:
    """While the database is away, the update fails again and again, and every time the
    database does not answer: not acknowledged, never counted towards quarantine."""
    database_url, proxy = proxied_postgres
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    settings = bot_settings(
        database_url, emulator.base_url, metrics_port=port, metrics_token=TOKEN, update_attempts=2
    )
    anna = await person("Anna")
    async with polling_bot(settings):
        await wait_until_polling(emu)
        await anna.say("/help")
        await anna.reply()
        proxy.cut()
        await anna.say("/start")
        # Several attempts at /start; two counted failures would set it aside.
        await emu.calls(
            BOT_ID, method="getUpdates", since=await emu.last_seq(BOT_ID), min=4, wait=10
        )
        assert len(await emu.pending_updates(BOT_ID)) == 1
        proxy.restore()
        assert (await anna.reply(timeout=30))["text"].startswith("Labdien, Anna!")
        await wait_until_confirmed(emu)
        _, figures = await scrape(url)
    assert await quarantine_rows(database_url) == []
    assert not any(
        text.startswith(APOLOGY_LV) for text in await bot_texts(emu, BOT_ID, anna.user_id)
    )
    assert sum(v for k, v in figures.items() if k.startswith("altum_database_errors_total")) >= 1
    assert figures["altum_updates_failed_total{kind=message,reason=unavailable}"] >= 1
    assert figures["altum_updates_quarantined_total{kind=message}"] == 0
