"""Per-user locks serialize one key, not others, and are forgotten when nobody needs them."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram.fsm.storage.base import StorageKey

from bot.engine.isolation import LocalEventIsolation


def key(user: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user, user_id=user)


async def test_one_key_is_held_by_one_at_a_time_and_in_order() -> None:
    isolation = LocalEventIsolation()
    trace: list[str] = []

    async def hold(name: str) -> None:
        async with isolation.lock(key(7)):
            trace.append(f"{name} in")
            await asyncio.sleep(0.01)
            trace.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"), hold("c"))
    assert trace == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert len(isolation.locks) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    isolation = LocalEventIsolation()
    both_inside = asyncio.Barrier(2)

    async def hold(user: int) -> None:
        async with isolation.lock(key(user)):
            await asyncio.wait_for(both_inside.wait(), timeout=1)

    await asyncio.gather(hold(1), hold(2))  # times out if one waits for the other
    assert len(isolation.locks) == 0


async def test_a_lock_lives_while_it_is_held_or_awaited_and_no_longer() -> None:
    isolation = LocalEventIsolation()
    release = asyncio.Event()

    async def hold() -> None:
        async with isolation.lock(key(5)):
            await release.wait()

    holder = asyncio.create_task(hold())
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    assert len(isolation.locks) == 1
    waiter.cancel()  # gives up while waiting
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    assert len(isolation.locks) == 1  # the holder still has it
    release.set()
    await holder
    assert len(isolation.locks) == 0


async def test_many_people_leave_nothing_behind() -> None:
    isolation = LocalEventIsolation()
    for user in range(1000):
        async with isolation.lock(key(user)):
            pass
    assert len(isolation.locks) == 0
