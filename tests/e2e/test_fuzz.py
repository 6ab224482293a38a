"""Arbitrary JSON-shaped updates through the real poller and the real webhook: whatever
comes, the bot stays up, acknowledges every update (handled, or set aside) and answers the
next person."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from e2e_support import (
    BOT_ID,
    bot_settings,
    until_healthy,
    wait_until_confirmed,
    wait_until_polling,
    webhook_settings,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from poison_support import processed_ids

from bot.runtime import run_polling, run_webhook, set_webhook
from emulator import EmulatorClient, EmulatorServer

PEOPLE = (555_000_001, 555_000_002)  # have written to the bot: replies to them go through
WITNESS = 555_000_009  # never in a fuzzed update: writes after each batch

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def plausible(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right type, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, json_value)


ids = st.sampled_from(PEOPLE) | st.integers(min_value=-(2**64), max_value=2**64)
user = st.fixed_dictionaries(
    {
        "id": plausible(ids),
        "is_bot": plausible(st.booleans()),
        "first_name": plausible(st.text(max_size=20)),
    },
    optional={"language_code": plausible(st.sampled_from(["lv", "en", "ru", ""]))},
)
chat = st.fixed_dictionaries(
    {"id": plausible(ids), "type": plausible(st.sampled_from(["private", "group", "channel"]))}
)
text = st.sampled_from(
    ["/start", "/help", "/language", "/login", "/register", "/client", "/cancel"]
) | st.text(max_size=40)
message = st.fixed_dictionaries(
    {
        "message_id": plausible(st.integers(min_value=1, max_value=10**6)),
        "date": plausible(st.integers(min_value=0, max_value=2**31)),
        "chat": plausible(chat),
    },
    optional={
        "from": plausible(user),
        "text": plausible(text),
        "entities": json_value,
        "poll": json_value,
        "photo": json_value,
        "document": json_value,
    },
)
callback = st.fixed_dictionaries(
    {
        "id": plausible(st.text(min_size=1, max_size=20)),
        "from": plausible(user),
        "chat_instance": plausible(st.text(max_size=20)),
    },
    optional={"data": plausible(st.text(max_size=70)), "message": plausible(message)},
)
updates = st.one_of(
    st.builds(lambda m: {"message": m}, message),
    st.builds(lambda c: {"callback_query": c}, callback),
    st.dictionaries(
        st.sampled_from(["message", "callback_query"]), json_value, min_size=1, max_size=2
    ),
)


@pytest.fixture(params=["polling", "webhook"])
async def serving(
    request: pytest.FixtureRequest, database_url: str, emulator: EmulatorServer, emu: EmulatorClient
) -> AsyncIterator[asyncio.Task[None]]:
    for user_id in (*PEOPLE, WITNESS):
        await emu.create_user(BOT_ID, f"Person {user_id}", user_id=user_id, started=True)
    stop = asyncio.Event()
    if request.param == "polling":
        config = bot_settings(database_url, emulator.base_url, update_attempts=2)
        task = asyncio.create_task(run_polling(config, stop))
        await wait_until_polling(emu)
    else:
        config = webhook_settings(database_url, emulator.base_url, update_attempts=2)
        task = asyncio.create_task(run_webhook(config, stop))
        await until_healthy(config.public_url + "/healthz", task)
        await set_webhook(config)
    yield task
    stop.set()
    await asyncio.wait_for(task, timeout=30)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(updates, min_size=1, max_size=4))
async def test_arbitrary_updates_never_stop_the_bot(
    serving: asyncio.Task[None], emu: EmulatorClient, database_url: str, batch: list[dict[str, Any]]
) -> None:
    injected = [(await emu.inject_update(BOT_ID, update))["update_id"] for update in batch]
    await wait_until_confirmed(emu, timeout=30)  # every one acknowledged...
    assert not serving.done()  # ...by a bot that is still up
    assert set(injected) <= await processed_ids(database_url)  # handled or set aside: none lost
    sent = await emu.send_text(BOT_ID, WITNESS, "/help")  # and the next person is answered
    await emu.next_bot_message(BOT_ID, WITNESS, after=sent["message_id"], timeout=10)
