"""Updates of different people that arrive together share one transaction (group commit),
yet each is handled, answered and, when its handler fails, rolled back on its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message, Update
from e2e_support import BOT_ID, bot_settings, text_update
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.app import App, create_app
from dialogs.outgoing import Outgoing
from emulator import EmulatorClient, EmulatorServer
from storage.models import ProcessedUpdate, QuarantinedUpdate


class Gate:
    """Holds "hold" handlers inside their transactions until the test opens it."""

    def __init__(self) -> None:
        self.entered = 0
        self.failed = 0  # how often the "fail" handler ran
        self.opened = asyncio.Event()
        self.arrived = asyncio.Event()


def gated_router(gate: Gate) -> Router:
    router = Router(name="group-commit-test")

    @router.message(F.text == "hold")
    async def hold(message: Message, outgoing: Outgoing) -> None:
        gate.entered += 1
        gate.arrived.set()
        await asyncio.wait_for(gate.opened.wait(), timeout=10)
        outgoing.send("held")

    @router.message(F.text == "remember")
    async def remember(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
        await state.update_data(note=f"note of {message.chat.id}")
        outgoing.send("remembered")

    @router.message(F.text == "fail")
    async def fail(message: Message, outgoing: Outgoing, state: FSMContext) -> None:
        gate.failed += 1
        await state.update_data(note="must not stay")
        outgoing.send("must not be sent")
        raise RuntimeError("a bug in one person's handler")

    @router.message(F.text == "outage")
    async def outage(message: Message, outgoing: Outgoing) -> None:
        """Fails the way a lost connection fails, while the database is fine."""
        outgoing.send("must not be sent")
        raise OperationalError("SELECT 1", {}, Exception("looks like an outage"))

    return router


@pytest.fixture
async def app_and_gate(
    database_url: str, emulator: EmulatorServer
) -> AsyncIterator[tuple[App, Gate, list[str]]]:
    gate = Gate()
    app = create_app(
        bot_settings(database_url, emulator.base_url), extra_routers=(gated_router(gate),)
    )
    claims: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO processed_updates" in statement:
            claims.append(statement)

    event.listen(app.database.engine.sync_engine, "before_cursor_execute", count)
    yield app, gate, claims
    await app.close()


async def people(emu: EmulatorClient, count: int) -> list[int]:
    """People who have opened a chat with the bot (else it may not write to them)."""
    users = []
    for i in range(count):
        user = await emu.create_user(BOT_ID, f"Person {i}", language_code="en")
        await emu.send_text(BOT_ID, user["id"], "/start")  # nobody polls: it stays pending
        users.append(user["id"])
    return users


async def holders_and_others(
    app: App, emu: EmulatorClient, others: int
) -> tuple[list[int], list[int]]:
    """People to hold every batch slot, and `others` more to wait behind them."""
    users = await people(emu, app.batches.parallel + others)
    return users[: app.batches.parallel], users[app.batches.parallel :]


async def bot_texts(emu: EmulatorClient, chat_id: int) -> list[str]:
    messages = await emu.messages(BOT_ID, chat_id)
    return [m["text"] for m in messages if m.get("from", {}).get("is_bot")]


async def fill_the_batch_slots(app: App, gate: Gate, holders: list[int]) -> list[asyncio.Task[Any]]:
    """One held update per slot, so that what comes next has to wait and go together."""
    tasks = []
    for number, user_id in enumerate(holders, start=1):
        gate.arrived.clear()
        tasks.append(asyncio.create_task(app.feed(text_update(9000 + number, user_id, "hold"))))
        await asyncio.wait_for(gate.arrived.wait(), timeout=10)
    return tasks


async def until_waiting(app: App, count: int) -> None:
    for _ in range(500):
        if app.batches.waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"{app.batches.waiting} updates waiting, expected {count}")


async def while_the_slots_are_held(
    app: App, gate: Gate, holders: list[int], updates: list[Update]
) -> None:
    """Feed `updates` while every batch slot is held, so that they wait and go together."""
    held = await fill_the_batch_slots(app, gate, holders)
    fed = [asyncio.create_task(app.feed(update)) for update in updates]
    await until_waiting(app, len(updates))
    gate.opened.set()
    await asyncio.gather(*held, *fed)


async def test_updates_arriving_together_share_one_commit(
    app_and_gate: tuple[App, Gate, list[str]], emu: EmulatorClient
) -> None:
    app, gate, claims = app_and_gate
    holders, others = await holders_and_others(app, emu, 6)
    await while_the_slots_are_held(
        app,
        gate,
        holders,
        [text_update(100 + i, user_id, "remember") for i, user_id in enumerate(others)],
    )

    # One claim statement (and transaction) per held update, one for the six that waited.
    assert len(claims) == app.batches.parallel + 1
    for user_id in others:
        assert await bot_texts(emu, user_id) == ["remembered"]
        assert await app.dispatcher.storage.get_data(_storage_key(user_id)) == {
            "note": f"note of {user_id}"
        }
    for user_id in holders:
        assert await bot_texts(emu, user_id) == ["held"]


async def test_one_failing_handler_costs_only_its_own_update(
    app_and_gate: tuple[App, Gate, list[str]], emu: EmulatorClient
) -> None:
    app, gate, _ = app_and_gate
    holders, others = await holders_and_others(app, emu, 4)
    unlucky = others[1]
    await while_the_slots_are_held(
        app,
        gate,
        holders,
        [
            text_update(200 + i, user_id, "fail" if user_id == unlucky else "remember")
            for i, user_id in enumerate(others)
        ],
    )

    for user_id in others:
        texts = await bot_texts(emu, user_id)
        data = await app.dispatcher.storage.get_data(_storage_key(user_id))
        if user_id == unlucky:
            assert len(texts) == 1 and "something went wrong" in texts[0]
            assert data == {}
        else:
            assert texts == ["remembered"]
            assert data == {"note": f"note of {user_id}"}
    # Every update is recorded as processed once, the failed one included (it would fail again).
    async with app.database.transaction() as session:
        processed = await session.scalar(
            select(func.count())
            .select_from(ProcessedUpdate)
            .where(ProcessedUpdate.update_id.between(200, 299))
        )
    assert processed == len(others)


async def test_a_handler_failing_in_a_batch_runs_as_often_as_its_failures_are_counted(
    app_and_gate: tuple[App, Gate, list[str]], emu: EmulatorClient
) -> None:
    """Its failure in the batch is its first attempt. It used to be run again alone before
    anything was counted, so a handler that always fails ran UPDATE_ATTEMPTS + 1 times (and
    a provider it calls was called as often)."""
    app, gate, _ = app_and_gate
    holders, others = await holders_and_others(app, emu, 3)
    unlucky = others[1]
    await while_the_slots_are_held(
        app,
        gate,
        holders,
        [
            text_update(300 + i, user_id, "fail" if user_id == unlucky else "remember")
            for i, user_id in enumerate(others)
        ],
    )
    async with app.database.transaction() as session:
        attempts = await session.scalar(
            select(QuarantinedUpdate.attempts).where(QuarantinedUpdate.update_id == 301)
        )
    assert attempts == app.settings.update_attempts
    assert gate.failed == app.settings.update_attempts
    for user_id in others:
        if user_id != unlucky:
            assert await bot_texts(emu, user_id) == ["remembered"]


async def test_a_batch_failing_like_an_outage_while_the_database_answers_costs_one_update(
    app_and_gate: tuple[App, Gate, list[str]], emu: EmulatorClient
) -> None:
    """An error that passes for a database outage fails the whole batch; since the database
    answers, its updates are handled again alone: only the one whose own doing it was is
    tried again, and set aside at its last attempt."""
    app, gate, _ = app_and_gate
    holders, others = await holders_and_others(app, emu, 3)
    unlucky = others[1]
    await while_the_slots_are_held(
        app,
        gate,
        holders,
        [
            text_update(400 + i, user_id, "outage" if user_id == unlucky else "remember")
            for i, user_id in enumerate(others)
        ],
    )
    for user_id in others:
        texts = await bot_texts(emu, user_id)
        if user_id == unlucky:
            assert len(texts) == 1 and "something went wrong" in texts[0]
        else:
            assert texts == ["remembered"]
    async with app.database.transaction() as session:
        attempts = await session.scalar(
            select(QuarantinedUpdate.attempts).where(QuarantinedUpdate.update_id == 401)
        )
    assert attempts == app.settings.update_attempts
    # Nobody else's update counted a failure: they were handled at once, alone.
    failed = app.metrics.registry.get_sample_value(
        "altum_updates_failed_total", {"kind": "message", "reason": "error"}
    )
    assert failed == app.settings.update_attempts


async def test_a_redelivered_update_in_a_batch_changes_nothing_twice(
    app_and_gate: tuple[App, Gate, list[str]], emu: EmulatorClient
) -> None:
    app, gate, _ = app_and_gate
    holders, (first, second) = await holders_and_others(app, emu, 2)
    await app.feed(text_update(300, first, "remember"))  # handled once already
    again = text_update(300, first, "remember")  # delivered again
    await while_the_slots_are_held(
        app, gate, holders, [again, text_update(301, second, "remember")]
    )
    assert await bot_texts(emu, first) == ["remembered"]
    assert await bot_texts(emu, second) == ["remembered"]


def _storage_key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=BOT_ID, chat_id=user_id, user_id=user_id)
