"""Pushes sent by several real `altum-bot` processes, measured at the emulator: what the
push sender's test and bench/push_bench.py share."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from aiogram.methods import SendMessage
from e2e_support import BOT_ID, BotProcess, bot_settings

from bot.delivery.payloads import to_payload
from emulator import EmulatorClient
from storage.database import Database
from storage.push import PUSH
from storage.repositories import NewMessage, Outbox

SECRET = "push-test-webhook-secret-0123456789"


async def queue_pushes(database_url: str, chats: list[int], per_chat: int) -> list[str]:
    """`per_chat` pushes to each chat, queued as a notice would be; their texts, in order."""
    texts: list[str] = []
    items: list[NewMessage] = []
    for number in range(per_chat):
        for chat in chats:
            text = f"push {chat} {number}"
            texts.append(text)
            items.append(NewMessage(chat, to_payload(SendMessage(chat_id=chat, text=text))))
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            await Outbox(session).add(kind=PUSH, items=items, lease=timedelta(0))
    finally:
        await database.dispose()
    return texts


@dataclass
class Sent:
    """The sendMessage calls the emulator took: (time, chat, text), in order."""

    calls: list[tuple[float, int, str]] = field(default_factory=list)

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(text for _, _, text in self.calls).values() if n > 1)

    def missing(self, texts: list[str]) -> list[str]:
        seen = {text for _, _, text in self.calls}
        return [text for text in texts if text not in seen]

    def most_in_a_second(self) -> int:
        """The most calls in any window [t, t + 1 s)."""
        times = sorted(t for t, _, _ in self.calls)
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def shortest_chat_gap(self) -> float:
        last: dict[int, float] = {}
        shortest = float("inf")
        for at, chat, _ in sorted(self.calls):
            if chat in last:
                shortest = min(shortest, at - last[chat])
            last[chat] = at
        return shortest

    def out_of_order(self) -> int:
        """Pushes of a chat sent before one queued earlier (a restart may cause one)."""
        last: dict[int, int] = {}
        wrong = 0
        for _, chat, text in sorted(self.calls):
            number = int(text.rsplit(" ", 1)[1])
            if number < last.get(chat, -1):
                wrong += 1
            last[chat] = max(number, last.get(chat, -1))
        return wrong

    def longest_pauses(self, count: int = 5) -> list[float]:
        """The longest times between two consecutive pushes: where the pace was lost."""
        times = sorted(t for t, _, _ in self.calls)
        return sorted((b - a for a, b in itertools.pairwise(times)), reverse=True)[:count]

    def rate(self) -> float:
        """Calls a second from the first to the last."""
        times = sorted(t for t, _, _ in self.calls)
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def _pushes(calls: list[dict[str, Any]]) -> list[tuple[float, int, str]]:
    return [
        (
            call["time"] - call["duration_ms"] / 1000,  # when the call arrived
            int(call["params"]["chat_id"]),
            str(call["params"]["text"]),
        )
        for call in calls
        if call["ok"] and str(call["params"].get("text", "")).startswith("push ")
    ]


async def wait_for(emu: EmulatorClient, since: int, count: int, timeout: float) -> Sent:
    """Until `count` different pushes were sent (or `timeout`); read bit by bit, so that the
    emulator's loop, whose clock measures the pushes, is not held up by long answers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    sent = Sent()
    while True:
        calls = await emu.calls(BOT_ID, method="sendMessage", since=since)
        if calls:
            since = max(call["seq"] for call in calls)
            sent.calls.extend(_pushes(calls))
        if len({text for _, _, text in sent.calls}) >= count or loop.time() > deadline:
            await asyncio.sleep(1.0)  # a duplicate would come now
            sent.calls.extend(_pushes(await emu.calls(BOT_ID, method="sendMessage", since=since)))
            return sent
        await asyncio.sleep(0.5)


class PushProcess(BotProcess):
    """`altum-bot webhook`: it takes no updates here, so several may run side by side."""

    def __init__(self, database_url: str, api_url: str, rate: float, lease: float) -> None:
        settings = bot_settings(
            database_url, api_url, outbox_lease_seconds=lease, webhook_secret=SECRET
        )
        super().__init__(settings, command="webhook")
        self.env |= {"PUSH_RATE_PER_SECOND": str(rate), "LOG_LEVEL": "INFO"}
        self.public_url = settings.public_url


async def healthy(process: PushProcess, timeout: float = 30.0) -> None:
    url = process.public_url + "/healthz"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            assert process.process is not None
            if process.process.poll() is not None:
                raise RuntimeError("a bot process exited: " + process.output()[-2000:])
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as answer:
                    if answer.status == 200:
                        return
            if loop.time() > deadline:
                raise TimeoutError(url)
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def processes(
    database_url: str, api_url: str, count: int, *, rate: float, lease: float
) -> AsyncIterator[list[PushProcess]]:
    started = [PushProcess(database_url, api_url, rate, lease) for _ in range(count)]
    try:
        for process in started:
            process.start()
        await asyncio.gather(*(healthy(process) for process in started))
        yield started
        for process in started:  # each says what it sent and put back
            if process.process is not None and process.process.poll() is None:
                process.terminate()
                summary = [line for line in process.output().splitlines() if "push: " in line]
                print("\n".join(summary))
    finally:
        for process in started:
            process.stop_quietly()


async def chats(emu: EmulatorClient, count: int) -> list[int]:
    users = [
        await emu.create_user(BOT_ID, f"P{n}", language_code="lv", started=True)
        for n in range(count)
    ]
    return [int(user["id"]) for user in users]
