"""API writes in flight together share transactions (api/batch.py) over HTTP against the
running bot: each is answered as if alone, a failing one (404, 422) costs the others nothing,
every change is committed and logged exactly once, and a batch's deals (and its invoices) go
in one statement."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import Answer, Api, make_token, serving
from conftest import PersonFactory
from e2e_support import bot_settings, browser
from registration_walk import log_in
from sqlalchemy import Engine, event, func, select

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import ApiSettings
from emulator import EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow

DEAL = {
    "product": "Investīciju aizdevums",
    "amount": "50000",
    "balance": "40000",
    "start_date": "2025-03-01",
    "status": "active",
}
INVOICE = {"amount": "1200.50", "due_date": "2026-06-15"}
ANNA = "120584-12349"  # the demo provider's Anna Bērziņa


@contextlib.contextmanager
def upserts_sent() -> Iterator[list[str]]:
    """The deals' and invoices' upserts sent to the database meanwhile."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        if (
            args[2]
            .lstrip()
            .upper()
            .startswith(("INSERT INTO DEALS", "WITH V AS", "INSERT INTO INV"))
        ):
            sent.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_concurrent_writes_with_failures_among_them(
    database_url: str, emulator: EmulatorServer
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        for n in range(4):
            assert (await api.put(f"/clients/{cid}/deals/OLD-{n}", DEAL)).status == 201

        writes = [api.put(f"/clients/{cid}/deals/NEW-{n}", DEAL) for n in range(20)]
        writes += [
            api.put(f"/clients/{cid}/deals/OLD-{n % 4}/invoices/R-{n}", INVOICE) for n in range(16)
        ]
        writes += [api.put(f"/clients/{cid}/deals/MISSING/invoices/R-{n}", INVOICE) for n in (1, 2)]
        writes += [
            api.put(f"/clients/{cid}/deals/BAD-{n}", {**DEAL, "amount": "-1"}) for n in (1, 2)
        ]
        late = {**DEAL, "end_date": "2020-01-01"}  # passes the schema, breaks the portal's rule
        writes += [api.put(f"/clients/{cid}/deals/LATE-{n}", late) for n in (1, 2)]
        writes += [
            api.put(
                f"/clients/{cid}/deals/OLD-1/invoices/R-X", {**INVOICE, "paid_on": "2026-01-01"}
            )
        ]
        writes += [api.put(f"/clients/{cid + 1000}/deals/X-1", DEAL)]
        writes += [api.put(f"/clients/{cid + 1000}/deals/X-2", late)]  # 404 before 422
        with upserts_sent() as sent:
            answers: list[Answer] = await asyncio.gather(*writes)

        statuses = [answer.status for answer in answers]
        assert statuses == [201] * 36 + [404, 404] + [422] * 5 + [404, 404], statuses
        assert [a.body["errors"][0]["location"] for a in answers[40:43]] == [
            ["body", "end_date"],
            ["body", "end_date"],
            ["body", "paid_on"],
        ]
        assert answers[36].body["detail"] == "deal not found"
        assert answers[43].body["detail"] == answers[44].body["detail"] == "client not found"
        # The refused ones are answered without costing the others their batch: the writes
        # went in a few multi-row statements, not again one by one.
        assert len(sent) < 12, sent
        assert answers[0].body["number"] == "NEW-0"
        assert answers[20].body["number"] == "R-0" and answers[20].body["deal_number"] == "OLD-0"
        deals = (await api.get(f"/clients/{cid}/deals")).body["items"]
        assert sorted(deal["number"] for deal in deals) == sorted(
            [f"NEW-{n}" for n in range(20)] + [f"OLD-{n}" for n in range(4)]
        )
        invoices = (await api.get(f"/clients/{cid}/deals/OLD-1/invoices")).body["items"]
        assert sorted(invoice["number"] for invoice in invoices) == ["R-1", "R-13", "R-5", "R-9"]

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            logged = await session.scalar(
                select(func.count())
                .select_from(ActivityEventRow)
                .where(ActivityEventRow.client_id == cid, ActivityEventRow.actor == "api:crm")
            )
    finally:
        await database.dispose()
    # The client opened, 4 deals before, 36 writes now: one line each, none twice.
    assert logged == 1 + 4 + 36


async def test_writes_beyond_the_queue_limit_are_shed_with_503_and_retry_after(
    database_url: str, emulator: EmulatorServer
) -> None:
    """API_SHED_AFTER_SECONDS=0: a write that would queue behind a running batch is refused at
    once (503, Retry-After, problem details) and changes nothing; the others are written and
    logged once each. The 503 and its Retry-After are in the OpenAPI description."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url, api=ApiSettings(shed_after_seconds=0))
    async with serving(settings), Api(settings.public_url, token) as api:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        answers: list[Answer] = await asyncio.gather(
            *(api.put(f"/clients/{cid}/deals/D-{n}", DEAL) for n in range(40))
        )
        written = {f"D-{n}" for n, answer in enumerate(answers) if answer.status == 201}
        shed = [answer for answer in answers if answer.status == 503]
        assert written and shed and len(written) + len(shed) == 40, [a.status for a in answers]
        for answer in shed:
            assert answer.content_type.startswith("application/problem+json")
            assert answer.body["type"].endswith("#problem-unavailable")
            assert answer.body["status"] == 503 and answer.body["instance"].startswith("/api/v1")
            assert int(answer.headers["Retry-After"]) >= 1
        deals = (await api.get(f"/clients/{cid}/deals")).body["items"]
        assert {deal["number"] for deal in deals} == written

        spec = (await api.get("/openapi.json")).body
        unavailable = spec["paths"]["/clients/{client_id}/deals/{deal_number}"]["put"]["responses"][
            "503"
        ]
        assert "Retry-After" in unavailable["headers"] and "shedding" in unavailable["description"]
        assert "application/problem+json" in unavailable["content"]

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            logged = await session.scalar(
                select(func.count())
                .select_from(ActivityEventRow)
                .where(ActivityEventRow.client_id == cid, ActivityEventRow.actor == "api:crm")
            )
    finally:
        await database.dispose()
    assert logged == 1 + len(written)  # the client opened, then one line per write served


async def test_a_batchs_deals_and_invoices_go_in_one_statement_each_and_reach_the_chat(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """Writes in flight together: a batch's deals go in one multi-row statement, its
    invoices in another; each is answered as alone (201 new, 200 updated), and each new one
    is told to the client's user in chat, once."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        granted = await api.post(f"/clients/{cid}/users", {"personal_code": ANNA, "role": "main"})
        assert granted.status == 201, granted.body
        await log_in(anna, http, "anna")
        for n in range(4):
            assert (await api.put(f"/clients/{cid}/deals/OLD-{n}", DEAL)).status == 201
        await anna.replies(4)  # told of the four

        writes = [api.put(f"/clients/{cid}/deals/NEW-{n}", DEAL) for n in range(12)]
        writes += [
            api.put(f"/clients/{cid}/deals/OLD-{n}", {**DEAL, "balance": "39000"}) for n in range(4)
        ]
        writes += [
            api.put(f"/clients/{cid}/deals/OLD-{n % 4}/invoices/R-{n}", INVOICE) for n in range(12)
        ]
        with upserts_sent() as sent:
            answers: list[Answer] = await asyncio.gather(*writes)

        assert [a.status for a in answers] == [201] * 12 + [200] * 4 + [201] * 12
        assert [a.body["number"] for a in answers[12:16]] == [f"OLD-{n}" for n in range(4)]
        assert {a.body["balance"] for a in answers[12:16]} == {"39000.00"}
        assert [a.body["deal_number"] for a in answers[16:]] == [f"OLD-{n % 4}" for n in range(12)]
        told = sorted(message["text"] for message in await anna.replies(24))
        for number in [f"NEW-{n}" for n in range(12)] + [f"R-{n}" for n in range(12)]:
            named = re.compile(rf"\b{number}\b(?!-)")
            assert sum(bool(named.search(text)) for text in told) == 1, (number, told)
        with pytest.raises(TimeoutError):  # and nothing more: an update is not news
            await anna.reply(timeout=1)

    # 28 writes: far fewer statements, at least one with many rows.
    assert len(sent) < 14, sent
    assert any("json_each" in s or "unnest" in s for s in sent)
