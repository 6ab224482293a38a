"""One user's updates are handled one at a time, also across processes; different users' not."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import F, Router
from aiogram.types import Message
from e2e_support import bot_settings, text_update

from bot.app import App, create_app
from bot.engine.isolation import LocalEventIsolation
from dialogs.outgoing import Outgoing
from emulator import EmulatorServer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
Interval = tuple[int, float, float]  # user id, entered, left
Meeting = tuple[int, bool]  # user id, whether the other handler arrived while this one waited


def slow_router(
    intervals: list[Interval], meetings: list[Meeting], meeting: asyncio.Barrier
) -> Router:
    """Handlers that take their time inside the update's transaction."""
    router = Router(name="slow")

    @router.message(F.text.startswith("slow"))
    async def slow(message: Message, outgoing: Outgoing) -> None:
        assert message.from_user is not None
        entered = time.monotonic()
        await asyncio.sleep(0.25)
        intervals.append((message.from_user.id, entered, time.monotonic()))
        outgoing.send(f"done {message.text}")

    @router.message(F.text == "meet")
    async def meet(message: Message, outgoing: Outgoing) -> None:
        """Waits inside its transaction until a second "meet" arrives, or gives up."""
        assert message.from_user is not None
        try:
            await asyncio.wait_for(meeting.wait(), timeout=5)
            met = True
        except TimeoutError:
            met = False
        meetings.append((message.from_user.id, met))
        outgoing.send(f"met: {met}")

    return router


def overlapping(a: Interval, b: Interval) -> bool:
    return a[1] < b[2] and b[1] < a[2]


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
async def replicas(
    request: pytest.FixtureRequest, database_url: str, emulator: EmulatorServer
) -> AsyncIterator[tuple[App, App, list[Interval], list[Meeting]]]:
    """Two independent app instances (as two bot processes would be) on one database."""
    intervals: list[Interval] = []
    meetings: list[Meeting] = []
    meeting = asyncio.Barrier(2)  # shared: the replicas stand in for processes, not the test
    extra = {"redis_url": REDIS_URL} if request.param == "redis" else {}
    apps = [
        create_app(
            bot_settings(database_url, emulator.base_url, **extra),
            extra_routers=(slow_router(intervals, meetings, meeting),),
        )
        for _ in range(2)
    ]
    yield apps[0], apps[1], intervals, meetings
    for app in apps:
        await app.close()


async def test_one_users_updates_are_serialized_across_replicas(
    replicas: tuple[App, App, list[Interval], list[Meeting]],
) -> None:
    first, second, intervals, _ = replicas
    await asyncio.gather(
        first.feed(text_update(1001, 11, "slow a")),
        second.feed(text_update(1002, 11, "slow b")),
        first.feed(text_update(1003, 11, "slow c")),
    )
    assert len(intervals) == 3
    assert not any(overlapping(a, b) for i, a in enumerate(intervals) for b in intervals[i + 1 :])
    for app in (first, second):  # in-process locks are forgotten once nobody needs them
        if isinstance(app.isolation, LocalEventIsolation):
            assert len(app.isolation.locks) == 0


async def test_different_users_are_handled_concurrently(
    replicas: tuple[App, App, list[Interval], list[Meeting]], database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: every transaction is serialized")
    first, second, _, meetings = replicas
    # Each handler waits inside its transaction for the other: they meet only if neither
    # replica holds the other back (a timing comparison would flake on a busy machine).
    await asyncio.gather(
        first.feed(text_update(2001, 21, "meet")), second.feed(text_update(2002, 22, "meet"))
    )
    assert sorted(meetings) == [(21, True), (22, True)]


async def test_the_same_update_on_two_replicas_is_handled_once(
    replicas: tuple[App, App, list[Interval], list[Meeting]],
) -> None:
    first, second, intervals, _ = replicas
    duplicate = text_update(3001, 31, "slow once")
    await asyncio.gather(first.feed(duplicate), second.feed(duplicate))
    assert len(intervals) == 1
