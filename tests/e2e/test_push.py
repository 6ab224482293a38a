"""The push sender in real processes: two `altum-bot` processes on one database share the
configured rate and one push a second per chat; one killed with -9 mid-way loses nothing."""

from __future__ import annotations

import asyncio

from push_support import chats, processes, queue_pushes, wait_for

from emulator import EmulatorClient, EmulatorServer

RATE = 10.0


async def test_two_processes_keep_the_pace_and_a_kill_loses_nothing(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient
) -> None:
    people = await chats(emu, 12)
    async with processes(database_url, emulator.base_url, 2, rate=RATE, lease=2.0) as bots:
        since = await emu.last_seq(987654321)
        texts = await queue_pushes(database_url, people, per_chat=5)
        await asyncio.sleep(2.0)
        bots[0].kill()  # with pushes claimed and not yet sent
        sent = await wait_for(emu, since, len(texts), timeout=40)
    assert sent.missing(texts) == []
    # Telegram cannot tell us whether it took a call whose answer never came, so a push in
    # flight at the kill may go twice; each is marked sent as soon as Telegram took it.
    assert sent.duplicates() <= 1
    assert sent.most_in_a_second() <= RATE
    assert sent.shortest_chat_gap() >= 0.95
    print(
        f"rate {sent.rate():.2f}/s of {RATE}; most in a second {sent.most_in_a_second()}; "
        f"shortest chat gap {sent.shortest_chat_gap():.3f}s; duplicates {sent.duplicates()}; "
        f"out of order {sent.out_of_order()}"
    )


async def test_a_429_pauses_every_push_for_its_retry_after(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient
) -> None:
    people = await chats(emu, 4)
    async with processes(database_url, emulator.base_url, 1, rate=RATE, lease=5.0):
        since = await emu.last_seq(987654321)
        await emu.add_fault(987654321, "sendMessage", status=429, retry_after=2, count=1)
        texts = await queue_pushes(database_url, people, per_chat=3)
        sent = await wait_for(emu, since, len(texts), timeout=30)
        calls = await emu.calls(987654321, method="sendMessage", since=since)
    assert sent.missing(texts) == [] and sent.duplicates() == 0
    assert sent.out_of_order() == 0
    (refused,) = [call for call in calls if not call["ok"]]
    after = [at for at, _, _ in sent.calls if at > refused["time"]]
    assert min(after) >= refused["time"] + 2.0 - 0.05  # nobody sent during the pause
