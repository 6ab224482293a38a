"""The API's group commit (api/batch.py) with an in-memory transaction: requests in flight
together share one transaction; a refusal changes nothing for the others; a failing handler
rolls its batch back and the others run again alone, each change committed once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeNotifier, FakeUnitOfWork

from api.batch import Batches, Overloaded, Work
from portal import api_tokens
from portal.model import ApiTokenRecord
from portal.ports import Notifier, UnitOfWork

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Store:
    """Committed changes survive; a transaction's changes vanish when its block raises."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.committed: list[str] = []
        self.transactions = 0
        self.rolled_back = 0
        self.pending: list[str] = []
        self.admissions: list[str] = []

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        self.transactions += 1
        self.pending = []
        try:
            yield self.uow, FakeNotifier()
        except BaseException:
            self.rolled_back += 1
            raise
        self.committed += self.pending


async def make_token(store: Store, name: str = "crm") -> str:
    _record, secret = await api_tokens.create_token(
        uow=store.uow, name=name, scopes=("deals:write",), now=NOW - timedelta(hours=1)
    )
    return secret


def work(store: Store, secret: str, key: str, *, fail: Exception | None = None) -> Work[str]:
    """Admitted when the token is known; writes `key` (then raises `fail`, if given)."""

    async def admit(token: ApiTokenRecord | None) -> str:
        store.admissions.append(key)  # (where the rate limit is taken)
        if token is None:
            raise PermissionError("401")
        return key

    async def execute(admitted: str, _uow: UnitOfWork, _notifier: Notifier) -> str:
        store.pending.append(admitted)
        if fail is not None:
            raise fail
        return f"done {admitted}"

    return Work(key=key, secret=secret, now=NOW, admit=admit, execute=execute)


async def test_requests_in_flight_together_share_one_transaction_in_path_order() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    keys = [f"/deals/{n}" for n in (3, 1, 2, 5, 4)]
    results = await asyncio.gather(*(batches.run(work(store, secret, key)) for key in keys))
    assert results == [f"done {key}" for key in keys]
    # All five were queued before the worker ran: one transaction, sorted by path. The
    # token's `last used` is written in a transaction of its own.
    assert batches.sizes == [5]
    assert store.committed == sorted(keys)
    assert store.transactions == 2 and store.rolled_back == 0
    assert (await store.uow.api_tokens.listed())[0].last_used_at == NOW


async def test_a_refused_request_does_not_disturb_its_batch() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    outcomes = await asyncio.gather(
        batches.run(work(store, secret, "/a")),
        batches.run(work(store, "altum_unknown", "/b")),
        batches.run(work(store, secret, "/c")),
        return_exceptions=True,
    )
    assert outcomes[0] == "done /a" and outcomes[2] == "done /c"
    assert isinstance(outcomes[1], PermissionError)
    assert store.committed == ["/a", "/c"] and store.rolled_back == 0


async def test_a_failing_handler_rolls_back_its_batch_and_the_others_run_alone() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    outcomes = await asyncio.gather(
        batches.run(work(store, secret, "/first")),
        batches.run(work(store, secret, "/a")),
        batches.run(work(store, secret, "/b", fail=LookupError("no such deal"))),
        batches.run(work(store, secret, "/c")),
        return_exceptions=True,
    )
    assert outcomes[0] == "done /first"
    assert outcomes[1] == "done /a" and outcomes[3] == "done /c"
    assert isinstance(outcomes[2], LookupError)
    # The batch (sorted: /a, /b, /c, /first) was rolled back at /b; /a and /b then ran alone
    # (/b failed again), and /c and /first, not reached, went together in the next batch.
    assert batches.sizes == [4, 2]
    assert store.committed == ["/a", "/c", "/first"]
    assert store.rolled_back == 2
    assert sorted(store.admissions) == ["/a", "/b", "/c", "/first"]  # each once


async def test_a_request_whose_client_went_away_is_not_run() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    first = asyncio.create_task(batches.run(work(store, secret, "/first")))
    await asyncio.sleep(0)  # the worker has started on /first
    gone = asyncio.create_task(batches.run(work(store, secret, "/gone")))
    kept = asyncio.create_task(batches.run(work(store, secret, "/kept")))
    await asyncio.sleep(0)
    gone.cancel()
    assert await first == "done /first" and await kept == "done /kept"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert store.committed == ["/first", "/kept"]


async def test_a_revoked_token_is_refused_by_the_next_batch() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    assert await batches.run(work(store, secret, "/a")) == "done /a"
    assert await api_tokens.revoke_token(uow=store.uow, name="crm")
    with pytest.raises(PermissionError):
        await batches.run(work(store, secret, "/b"))


async def test_a_batch_past_its_time_budget_leaves_the_rest_to_the_next() -> None:
    store = Store()
    secret = await make_token(store)
    ticks = iter(range(1000))  # each look at the clock: a millisecond later
    batches = Batches(store.transaction, workers=1, budget=0.0025, clock=lambda: next(ticks) / 1000)
    keys = [f"/{n}" for n in range(7)]
    results = await asyncio.gather(*(batches.run(work(store, secret, key)) for key in keys))
    assert results == [f"done {key}" for key in keys]
    # Started at 0 ms; the clock read before each next request: 1, 2, 3 ms -> three per batch.
    assert batches.sizes == [7, 4, 1]
    assert store.committed == keys
    assert store.admissions == keys  # all seven admitted by the first batch, each once


async def test_a_queue_longer_than_shed_after_at_the_served_rate_refuses_new_requests() -> None:
    store = Store()
    secret = await make_token(store)
    gate = asyncio.Event()
    gate.set()

    @contextlib.asynccontextmanager
    async def held() -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        await gate.wait()  # while closed, what arrives queues behind the running batch
        async with store.transaction() as pair:
            yield pair

    clock = [100.0]
    batches = Batches(held, workers=1, max_items=1000, shed_after=1.0, clock=lambda: clock[0])
    # 600 served within the last two seconds, 50 at a time: 300 a second.
    for start in range(0, 600, 50):
        await asyncio.gather(
            *(batches.run(work(store, secret, f"/warm/{n}")) for n in range(start, start + 50))
        )
    gate.clear()
    running = asyncio.ensure_future(batches.run(work(store, secret, "/deals/0")))
    await asyncio.sleep(0.01)  # the worker holds it in its transaction
    queued = [
        asyncio.ensure_future(batches.run(work(store, secret, f"/deals/{n}")))
        for n in range(1, 302)
    ]
    await asyncio.sleep(0.01)
    assert batches.shed == 0  # 301 queued: up to a second's worth was taken
    with pytest.raises(Overloaded) as refused:
        await batches.run(work(store, secret, "/late/1"))
    assert refused.value.retry_after == 2 and batches.shed == 1  # 301 at 300 a second
    clock[0] += 5  # the rate is forgotten: at least 200 a second is assumed
    with pytest.raises(Overloaded) as refused:
        await batches.run(work(store, secret, "/late/2"))
    assert refused.value.retry_after == 2 and batches.shed == 2  # 301 at 200 a second
    gate.set()
    await asyncio.gather(running, *queued)
    assert len(store.committed) == 600 + 302
    assert not any(key.startswith("/late") for key in store.committed + store.admissions)
    # The queue drained: the next request is taken again.
    assert await batches.run(work(store, secret, "/deals/x")) == "done /deals/x"


async def test_no_shedding_when_shed_after_is_none() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1, max_items=1000, shed_after=None)
    keys = [f"/deals/{n}" for n in range(500)]  # far more than 200 queued at once
    results = await asyncio.gather(*(batches.run(work(store, secret, key)) for key in keys))
    assert results == [f"done {key}" for key in keys] and batches.shed == 0


async def test_a_short_queue_waits_for_the_running_batch_a_long_one_gets_another_worker() -> None:
    store = Store()
    secret = await make_token(store)
    gate = asyncio.Event()
    open_transactions = []

    @contextlib.asynccontextmanager
    async def held() -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        open_transactions.append(1)
        await gate.wait()
        async with store.transaction() as pair:
            yield pair

    batches = Batches(held, workers=8, spread_at=4)
    first = asyncio.ensure_future(batches.run(work(store, secret, "/deals/0")))
    await asyncio.sleep(0.01)  # the first worker holds /deals/0 in its transaction
    short = [asyncio.ensure_future(batches.run(work(store, secret, f"/deals/{n}"))) for n in (1, 2)]
    await asyncio.sleep(0.01)
    assert len(open_transactions) == 1  # two queued: they wait for the running batch
    long = [asyncio.ensure_future(batches.run(work(store, secret, f"/deals/{n}"))) for n in (3, 4)]
    await asyncio.sleep(0.01)
    assert len(open_transactions) == 2  # four queued: a second worker takes them together
    gate.set()
    await asyncio.gather(first, *short, *long)
    assert sorted(batches.sizes) == [1, 4]
    assert sorted(store.committed) == [f"/deals/{n}" for n in range(5)]


async def test_each_batch_first_lets_the_chat_finish_then_takes_what_queued_meanwhile() -> None:
    store = Store()
    secret = await make_token(store)
    chat_done = asyncio.Event()
    asked = []

    async def chat_first() -> None:
        asked.append(1)
        await chat_done.wait()

    batches = Batches(store.transaction, workers=1, before_batch=chat_first)
    first = asyncio.ensure_future(batches.run(work(store, secret, "/deals/0")))
    await asyncio.sleep(0.01)
    assert store.transactions == 0 and asked == [1]  # the chat's updates go first
    more = [asyncio.ensure_future(batches.run(work(store, secret, f"/deals/{n}"))) for n in (1, 2)]
    await asyncio.sleep(0.01)
    chat_done.set()
    assert await asyncio.gather(first, *more) == [f"done /deals/{n}" for n in range(3)]
    assert batches.sizes == [3] and asked == [1]  # one transaction for the three


async def test_a_failing_commit_runs_each_request_again_alone() -> None:
    """A statement left for the COMMIT (the activity log's INSERT) fails it: the batch's
    requests run again one by one, and only the one whose change cannot commit fails."""
    store = Store()
    secret = await make_token(store)

    @contextlib.asynccontextmanager
    async def strict() -> AsyncIterator[tuple[UnitOfWork, Notifier]]:
        async with store.transaction() as pair:
            yield pair
            if "/deals/bad" in store.pending:
                raise RuntimeError("COMMIT failed")

    batches = Batches(strict, workers=1)
    keys = ["/deals/1", "/deals/bad", "/deals/3"]
    results = await asyncio.gather(
        *(batches.run(work(store, secret, key)) for key in keys), return_exceptions=True
    )
    assert results[0] == "done /deals/1" and results[2] == "done /deals/3"
    assert isinstance(results[1], RuntimeError)
    assert store.committed == ["/deals/1", "/deals/3"]  # each once


def grouped(
    store: Store,
    secret: str,
    key: str,
    group: str,
    calls: list[list[str]],
    fail: str = "",
    refuse: str = "",
) -> Work[str]:
    """`work` that also runs with the others of its `group` as one call (recorded in `calls`);
    that call raises when `fail` is among its keys, and answers `refuse` with a refusal
    without writing it."""

    async def together(
        admitted: list[str], _uow: UnitOfWork, _notifier: Notifier
    ) -> list[str | Exception]:
        calls.append(admitted)
        store.pending += [key for key in admitted if key != refuse]
        if fail in admitted:
            raise LookupError(f"no such deal {fail}")
        return [
            LookupError(f"no such deal {key}") if key == refuse else f"together {key}"
            for key in admitted
        ]

    plain = work(store, secret, key, fail=LookupError(key) if key == fail else None)
    plain.group, plain.together = group, together
    return plain


async def test_requests_of_one_group_run_as_one_call_the_rest_alone() -> None:
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    calls: list[list[str]] = []
    runs = [
        grouped(store, secret, "/deals/2", "put_deal", calls),
        work(store, secret, "/consultant"),
        grouped(store, secret, "/deals/1/invoices/R-1", "put_invoice", calls),
        grouped(store, secret, "/deals/1", "put_deal", calls),
        grouped(store, secret, "/deals/3", "put_deal", calls),
    ]
    results = await asyncio.gather(*(batches.run(run) for run in runs))
    # A group of one runs its own handler; the others of a group, one call, sorted by path.
    assert calls == [["/deals/1", "/deals/2", "/deals/3"]]
    assert results == [
        "together /deals/2",
        "done /consultant",
        "done /deals/1/invoices/R-1",
        "together /deals/1",
        "together /deals/3",
    ]
    assert batches.sizes == [5] and store.rolled_back == 0
    # Sorted by group, then path: one order of row locks for every batch.
    assert store.committed == [
        "/consultant",
        "/deals/1",
        "/deals/2",
        "/deals/3",
        "/deals/1/invoices/R-1",
    ]


async def three_deals_together(
    *, fail: str = "", refuse: str = ""
) -> tuple[Store, Batches, list[list[str]], list[object]]:
    """/deals/1, /deals/2 and /deals/3 in flight together, of one group: the store, the
    batches, the group's calls and each request's outcome."""
    store = Store()
    secret = await make_token(store)
    batches = Batches(store.transaction, workers=1)
    calls: list[list[str]] = []
    keys = ["/deals/1", "/deals/2", "/deals/3"]
    runs = (grouped(store, secret, key, "put_deal", calls, fail, refuse) for key in keys)
    outcomes = await asyncio.gather(*(batches.run(run) for run in runs), return_exceptions=True)
    return store, batches, calls, outcomes


async def test_a_failing_group_call_rolls_back_and_each_of_its_requests_runs_alone() -> None:
    store, _batches, calls, outcomes = await three_deals_together(fail="/deals/2")
    assert outcomes[0] == "done /deals/1" and outcomes[2] == "done /deals/3"
    assert isinstance(outcomes[1], LookupError)
    assert calls == [["/deals/1", "/deals/2", "/deals/3"]]  # once together, then each alone
    assert store.committed == ["/deals/1", "/deals/3"]
    assert store.rolled_back == 2  # the batch, then /deals/2 alone


async def test_a_request_its_group_call_refuses_is_answered_so_and_the_others_commit() -> None:
    store, batches, calls, outcomes = await three_deals_together(refuse="/deals/2")
    assert outcomes[0] == "together /deals/1" and outcomes[2] == "together /deals/3"
    assert isinstance(outcomes[1], LookupError)
    # One call, one transaction committed, nothing rolled back or run again alone.
    assert calls == [["/deals/1", "/deals/2", "/deals/3"]]
    assert store.committed == ["/deals/1", "/deals/3"]
    assert store.rolled_back == 0 and batches.sizes == [3]
    assert store.transactions == 2  # the batch, and the token's `last used`
