"""The real `altum-bot` process: killed mid-flow, stopped with SIGTERM; the database going away."""

from __future__ import annotations

import asyncio

import pytest
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    TOKEN,
    BotProcess,
    bot_settings,
    buttons,
    outbox_rows,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
    webhook_bot,
    webhook_settings,
)
from tcp_proxy import TcpProxy

from bot.runtime import set_webhook
from emulator import EmulatorClient, EmulatorServer


async def started(process: BotProcess, emu: EmulatorClient) -> None:
    since = await emu.last_seq(BOT_ID)
    process.start()
    await wait_until_polling(emu, since)


async def until_committed(database_url: str, chat_id: int, count: int = 1) -> None:
    for _ in range(200):
        if len([r for r in await outbox_rows(database_url) if r.chat_id == chat_id]) >= count:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("nothing committed")


async def test_killed_mid_dialog_the_person_carries_on_after_restart(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    process = BotProcess(bot_settings(database_url, emulator.base_url))
    try:
        await started(process, emu)
        anna = await person()
        await anna.say("/language")
        prompt = await anna.reply()
        process.kill()

        await started(process, emu)
        await anna.press(prompt, "🇬🇧 English")  # the dialog state survived in SQL
        menu = await anna.reply()
        assert buttons(menu) == ["🔐 Log in", "ℹ️ Help and portal map", "🌐 Language"]
    finally:
        process.stop_quietly()


async def test_killed_between_commit_and_reply_the_reply_comes_once(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    process = BotProcess(bot_settings(database_url, emulator.base_url, outbox_lease_seconds=1))
    try:
        await started(process, emu)
        anna = await person()
        # The reply hangs in the network, then the connection breaks: it never arrives.
        await emu.add_fault(BOT_ID, "sendMessage", latency_ms=3000, drop=True)
        sent = await anna.say("/help")
        await until_committed(database_url, anna.user_id)
        process.kill()
        assert sent["update_id"] in [u["update_id"] for u in await emu.pending_updates(BOT_ID)]

        await started(process, emu)  # gets the same update again, and the outbox row
        reply = await anna.reply(timeout=15)
        assert reply["text"].startswith("Portāla karte")
        await wait_until_confirmed(emu)
        await asyncio.sleep(1.5)  # time for a duplicate to show up, if there were one
        texts = [m["text"] for m in await emu.messages(BOT_ID, anna.user_id)]
        assert texts == ["/help", reply["text"]]
    finally:
        process.stop_quietly()


async def test_sigterm_finishes_the_update_in_flight_then_exits(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    process = BotProcess(bot_settings(database_url, emulator.base_url))
    try:
        await started(process, emu)
        anna = await person()
        await emu.add_fault(BOT_ID, "sendMessage", latency_ms=1500)
        await anna.say("/help")
        await until_committed(database_url, anna.user_id)
        exit_code = await asyncio.to_thread(process.terminate)
        output = process.output()
        assert exit_code == 0, output
        assert "stopped" in output  # it logged, and the log holds no secret
        assert TOKEN not in output and TOKEN.split(":")[1] not in output
        calls = await emu.calls(BOT_ID, method="sendMessage", chat_id=anna.user_id)
        assert [call["status"] for call in calls] == [200]
        assert await emu.pending_updates(BOT_ID) == []  # confirmed on the way out
    finally:
        process.stop_quietly()


async def test_polling_does_not_confirm_updates_while_the_database_is_down(
    proxied_postgres: tuple[str, TcpProxy],
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
) -> None:
    url, proxy = proxied_postgres
    async with polling_bot(bot_settings(url, emulator.base_url)):
        await wait_until_polling(emu)
        anna = await person()
        await anna.say("/help")
        await anna.reply()
        proxy.cut()
        await anna.say("/start")
        with pytest.raises(TimeoutError):
            await anna.reply(timeout=1.5)
        assert len(await emu.pending_updates(BOT_ID)) == 1
        proxy.restore()
        greeting = await anna.reply(timeout=20)
        assert greeting["text"].startswith("Labdien")
        await anna.reply()
        await wait_until_confirmed(emu)
    texts = [m["text"] for m in await emu.messages(BOT_ID, anna.user_id)]
    assert sum(text.startswith("Labdien") for text in texts) == 1


async def test_the_webhook_answers_503_while_the_database_is_down(
    proxied_postgres: tuple[str, TcpProxy],
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
) -> None:
    url, proxy = proxied_postgres
    settings = webhook_settings(url, emulator.base_url)
    async with webhook_bot(settings):
        await set_webhook(settings)
        anna = await person()
        proxy.cut()
        await anna.say("/help")
        for _ in range(100):
            info = await emu.webhook_info(BOT_ID)
            if info.get("last_error_message"):
                break
            await asyncio.sleep(0.05)
        assert "503" in info["last_error_message"]
        proxy.restore()
        assert (await anna.reply(timeout=20))["text"].startswith("Portāla karte")
