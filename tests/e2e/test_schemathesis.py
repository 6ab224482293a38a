"""schemathesis against the live bot: every operation of the generated OpenAPI document, with
examples, coverage, fuzzing and the stateful links; no 5xx, and every answer conforms to the
document (status, content type, headers, body schema); unauthenticated requests are refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from api_support import Api, make_token, serving
from e2e_support import bot_settings

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import ApiSettings
from emulator import EmulatorServer

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
    )
)


async def test_schemathesis_finds_no_server_error_and_no_answer_off_the_spec(
    database_url: str, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(
        database_url,
        emulator.base_url,
        # Long polls capped at half a second: the run is about answers, not waiting.
        api=ApiSettings(rate_per_second=10_000, rate_burst=10_000, max_wait_seconds=0.5),
    )
    async with serving(settings), Api(settings.public_url, token) as api:
        # Something to find: a client with a user, a deal and an invoice.
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": "120584-12349", "role": "main"})
        await api.put(
            f"/clients/{cid}/deals/D-1",
            {
                "product": "Loan",
                "amount": "10",
                "balance": "5",
                "start_date": "2025-01-01",
                "status": "active",
            },
        )
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{settings.public_url}/api/v1/openapi.json",
            "--url",
            f"{settings.public_url}/api/v1",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            "12",
            "--seed",
            "20261204",
            "--workers",
            "1",  # hypothesis's lambda descriptions are not thread-safe on CPython 3.11
            "--no-shrink",
            "--suppress-health-check",
            "all",
            "--output-sanitize",
            "true",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=110)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
    assert "No issues found" in report or " passed" in report, report[-2000:]
