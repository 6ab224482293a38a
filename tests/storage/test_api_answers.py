"""Answers kept by idempotency key (portal/idempotency.py) in the database: a key is claimed
once; a second transaction claiming it while the first is in flight waits for it and then gets
its answer, or the key when it was rolled back; the housekeeping sweeps old answers away."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.ops.api_tokens import create as create_token
from bot.ops.housekeeping import housekeep_once
from portal import idempotency
from portal.model import Invalid, StoredAnswer
from storage.database import Database
from storage.repositories import SqlUnitOfWork

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


async def token_id(database_url: str, name: str = "crm") -> int:
    record, _secret = await create_token(database_url, name, ["messages:write"])
    return record.id


async def test_a_key_is_claimed_once_and_answers_its_retries(
    database: Database, database_url: str
) -> None:
    crm = await token_id(database_url)
    erp = await token_id(database_url, "erp")
    claim = idempotency.claim
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        assert await claim(uow=uow, token_id=crm, key="k-1", fingerprint="a", now=NOW) is None
        await idempotency.remember(uow=uow, token_id=crm, key="k-1", status=201, body='{"id":7}')
        # In the same transaction (a batch), the retry finds it.
        again = await claim(uow=uow, token_id=crm, key="k-1", fingerprint="a", now=NOW)
        assert again == StoredAnswer("a", 201, '{"id":7}', NOW)
        assert await claim(uow=uow, token_id=erp, key="k-1", fingerprint="b", now=NOW) is None
    later = NOW + timedelta(hours=23)
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        again = await claim(uow=uow, token_id=crm, key="k-1", fingerprint="a", now=later)
        assert again is not None and again.body == '{"id":7}'
        with pytest.raises(Invalid):
            await claim(uow=uow, token_id=crm, key="k-1", fingerprint="other", now=later)
    a_day_later = NOW + timedelta(days=1)
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        assert (
            await claim(uow=uow, token_id=crm, key="k-1", fingerprint="c", now=a_day_later) is None
        )
        await idempotency.remember(uow=uow, token_id=crm, key="k-1", status=200, body="{}")
    swept = await housekeep_once(database, now=a_day_later + timedelta(hours=1))
    assert swept["api_answers"] == 1  # erp's, a day and an hour old; crm's is new again
    swept = await housekeep_once(database, now=a_day_later + timedelta(days=1))
    assert swept["api_answers"] == 1


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("first_commits", [True, False])
async def test_a_claim_in_flight_is_waited_for(database_url: str, first_commits: bool) -> None:
    """Two transactions (two write batches, or two replicas) with one key: the second waits
    for the first, then answers with its answer, or takes the key when it rolled back.
    (SQLite has one writer: its transactions never overlap.)"""
    crm = await token_id(database_url)
    first, second = Database(database_url), Database(database_url)
    claimed = asyncio.Event()
    got: list[StoredAnswer | None] = []

    async def one_request() -> None:
        with contextlib.nullcontext() if first_commits else pytest.raises(RuntimeError):
            async with first.transaction() as session:
                uow = SqlUnitOfWork(session)
                assert (
                    await idempotency.claim(
                        uow=uow, token_id=crm, key="k", fingerprint="f", now=NOW
                    )
                    is None
                )
                claimed.set()
                await asyncio.sleep(0.3)  # its handler runs
                await idempotency.remember(uow=uow, token_id=crm, key="k", status=201, body="{}")
                if not first_commits:
                    raise RuntimeError("the handler failed: rolled back")

    async def its_retry() -> None:
        await claimed.wait()
        async with second.transaction() as session:
            uow = SqlUnitOfWork(session)
            got.append(
                await idempotency.claim(uow=uow, token_id=crm, key="k", fingerprint="f", now=NOW)
            )

    try:
        await asyncio.gather(one_request(), its_retry())
    finally:
        await first.dispose()
        await second.dispose()
    assert got == ([StoredAnswer("f", 201, "{}", NOW)] if first_commits else [None])
