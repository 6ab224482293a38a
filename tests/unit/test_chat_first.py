"""The back-office API's batches wait for the chat: `GroupCommit.quiet` resolves once no
update is waiting or in the database (or after its bound), and `api.batch.Batches` awaits its
`before_batch` hook before each batch takes its requests."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiogram.dispatcher.event.bases import UNHANDLED

from bot.engine.group_commit import GroupCommit, Outcome, Work


def engine() -> tuple[GroupCommit, asyncio.Event]:
    """A GroupCommit whose batches stay in "the database" until the event is set."""
    release = asyncio.Event()
    commit = GroupCommit(database=SimpleNamespace(is_sqlite=False), sender=None)  # type: ignore[arg-type]

    async def together(batch: list[Work]) -> list[Outcome]:
        await release.wait()
        return [(UNHANDLED, []) for _ in batch]

    commit._together = together  # type: ignore[method-assign]
    return commit, release


def update(number: int) -> Work:
    fake: Any = SimpleNamespace(update_id=number)
    return Work(handler=None, update=fake, data={}, bot_id=1, user_id=number, chat_id=number)  # type: ignore[arg-type]


async def test_quiet_waits_while_an_update_is_in_the_database() -> None:
    commit, release = engine()
    await asyncio.wait_for(commit.quiet(within=5), 1)  # nothing in flight: at once
    handled = asyncio.ensure_future(commit.handle(update(1)))
    await asyncio.sleep(0.01)
    waiting = asyncio.ensure_future(commit.quiet(within=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the update is still in its transaction
    release.set()
    await handled
    await asyncio.wait_for(waiting, 1)


async def test_quiet_gives_up_after_its_bound() -> None:
    commit, release = engine()
    handled = asyncio.ensure_future(commit.handle(update(1)))
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await commit.quiet(within=0.05)
    assert 0.04 <= loop.time() - started < 1  # the API is never starved by a busy chat
    release.set()
    await handled
