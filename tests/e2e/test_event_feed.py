"""The event feed over HTTP: several writers whose commits are delayed on purpose, read while
they write: every event once, none skipped, in commit order; a consumer that resumes after a
restart of the bot misses nothing; a long poll wakes when an event commits."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import bot_settings, browser
from registration_walk import log_in
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import ApiSettings
from emulator import EmulatorServer
from portal import feed
from portal.model import EventType
from storage.database import Database
from storage.repositories import SqlUnitOfWork

WRITER = "test_writer"
PER_TRANSACTION = 3


class Writers:
    """Transactions of a Database of their own (as another process would have) that publish
    events and then wait a random while between giving positions and COMMIT: the window in
    which an id-ordered reader would see a later transaction's events and skip these."""

    def __init__(self, database_url: str, *, max_delay: float) -> None:
        self.database = Database(database_url)
        self.max_delay = max_delay
        self.begun: dict[int, float] = {}  # writer -> when its COMMIT began
        self.ended: dict[int, float] = {}  # writer -> when its COMMIT returned

    def _begin(self, session: Session) -> None:
        if WRITER in session.info:
            self.begun[session.info[WRITER]] = time.monotonic()

    def _delay(self, session: Session) -> None:
        if WRITER in session.info:  # runs after storage.feed gave the positions
            await_(asyncio.sleep(random.uniform(0, self.max_delay)))

    def _end(self, session: Session) -> None:
        if WRITER in session.info:
            self.ended[session.info[WRITER]] = time.monotonic()

    def __enter__(self) -> Writers:
        event.listen(Session, "before_commit", self._begin, insert=True)
        event.listen(Session, "before_commit", self._delay)
        event.listen(Session, "after_commit", self._end)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Session, "before_commit", self._begin)
        event.remove(Session, "before_commit", self._delay)
        event.remove(Session, "after_commit", self._end)

    async def write(self, writer: int) -> None:
        async with self.database.transaction() as session:
            session.sync_session.info[WRITER] = writer
            uow = SqlUnitOfWork(session)
            for index in range(PER_TRANSACTION):
                await feed.publish(
                    uow=uow,
                    type=EventType.USER_LINKED,
                    now=datetime.now(UTC),
                    client_id=writer,
                    user_id=index,
                )

    async def write_many(self, writers: range, *, concurrency: int) -> None:
        slots = asyncio.Semaphore(concurrency)

        async def one(writer: int) -> None:
            async with slots:
                await self.write(writer)

        await asyncio.gather(*(one(writer) for writer in writers))


@pytest.fixture
def writers(database_url: str) -> Iterator[Writers]:
    with Writers(database_url, max_delay=0.04) as made:
        yield made


async def read_until(
    api: Api, after: str, total: int, *, limit: int, seconds: float = 60
) -> tuple[list[dict[str, Any]], str]:
    """Page through the feed, as a consumer would, until `total` events came."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while len(seen) < total:
        assert time.monotonic() < deadline, f"only {len(seen)} of {total} events"
        page = await api.get("/events", after=after, limit=limit, wait=1)
        assert page.status == 200, page.body
        seen += page.body["events"]
        after = page.body["next"]
    return seen, after


async def test_concurrent_writers_with_delayed_commits_lose_and_repeat_nothing(
    database_url: str, emulator: EmulatorServer, writers: Writers
) -> None:
    token = await make_token(database_url, "events:read")
    settings = bot_settings(database_url, emulator.base_url, api=ApiSettings(recheck_seconds=0.02))
    transactions = 40
    try:
        async with serving(settings), Api(settings.public_url, token) as api:
            reading = asyncio.create_task(
                read_until(api, "0", transactions * PER_TRANSACTION, limit=5)
            )
            await writers.write_many(range(1, transactions + 1), concurrency=8)
            seen, _ = await reading
            extra = await api.get("/events", after=seen[-1]["cursor"])
            assert extra.body["events"] == []
    finally:
        await writers.database.dispose()

    positions = [int(e["cursor"]) for e in seen]
    assert positions == list(range(1, len(seen) + 1))  # no gap, no repeat, in order
    order = [e["client_id"] for e in seen]
    groups = [order[i : i + PER_TRANSACTION] for i in range(0, len(order), PER_TRANSACTION)]
    assert all(len(set(group)) == 1 for group in groups)  # a transaction's events together
    assert all(
        [e["user_id"] for e in seen[i : i + PER_TRANSACTION]] == list(range(PER_TRANSACTION))
        for i in range(0, len(seen), PER_TRANSACTION)
    )
    by_commit = [group[0] for group in groups]
    assert sorted(by_commit) == list(range(1, transactions + 1))
    # Commit order: a transaction whose COMMIT returned before another's began comes first.
    rank = {writer: index for index, writer in enumerate(by_commit)}
    for a in rank:
        for b in rank:
            if writers.ended[a] < writers.begun[b]:
                assert rank[a] < rank[b], (a, b)


async def test_a_consumer_resumes_after_a_restart_and_misses_nothing(
    database_url: str, emulator: EmulatorServer, writers: Writers
) -> None:
    token = await make_token(database_url, "events:read")
    settings = bot_settings(database_url, emulator.base_url)
    try:
        async with serving(settings), Api(settings.public_url, token) as api:
            await writers.write_many(range(1, 5), concurrency=4)
            first, cursor = await read_until(api, "0", 4, limit=4)
            assert len(first) == 4
        await writers.write_many(range(5, 8), concurrency=3)  # while the bot is down
        async with serving(settings), Api(settings.public_url, token) as api:
            rest, cursor = await read_until(api, cursor, 3 * 3 + 4 * 3 - 4, limit=100)
            assert (await api.get("/events", after=cursor)).body["events"] == []
    finally:
        await writers.database.dispose()
    everything = first + rest
    assert [int(e["cursor"]) for e in everything] == list(range(1, 22))
    assert {e["client_id"] for e in everything} == set(range(1, 8))


async def test_a_long_poll_wakes_when_an_event_commits(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """The re-check is set longer than the wait: only the wake-up on commit can end the poll
    early. The event is a person logging in whom ALTUM had given access."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    janis = await person("Jānis", language_code="en")
    settings = bot_settings(
        database_url, emulator.base_url, api=ApiSettings(recheck_seconds=30, max_wait_seconds=20)
    )
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": "03037915671", "role": "main"})
        started = time.monotonic()
        polling = asyncio.create_task(api.get("/events", wait=20))
        await asyncio.sleep(0.3)
        assert not polling.done()
        await log_in(janis, http, "janis")
        page = await polling
        assert time.monotonic() - started < 10
        assert [e["type"] for e in page.body["events"]] == ["user.linked"]
        empty_started = time.monotonic()
        empty = await api.get("/events", after=page.body["next"], wait=1)
        assert empty.body == {"events": [], "next": page.body["next"]}
        assert 0.9 <= time.monotonic() - empty_started < 5
