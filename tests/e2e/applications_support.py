"""Shared steps of the applications tests: a client with a deal and users, opened through the
back-office API, and a disbursement request filled through the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from api_support import Api
from e2e_support import Person, browser, mini_app_post

CODES = {  # the demo provider's people (integrations/identity/demo.py)
    "anna": "120584-12349",  # signs alone
    "janis": "030379-15671",  # with at least 1 more
    "peteris": "329876-12345",  # with at least 1 more
    "dace": "110265-16780",  # not a representative of this company
}
DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000.50",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}
DEAL_BUTTON = "K-2025-17 · Apgrozāmo līdzekļu aizdevums"


async def client_with_deal(api: Api, *users: tuple[str, str]) -> int:
    """SIA "Ozolkalna Koks" as ALTUM's client with deal K-2025-17; users as (demo name, role)."""
    opened = await api.post("/clients", {"registration_number": "40103999940"})
    assert opened.status == 201, opened.body
    cid = int(opened.body["id"])
    for name, role in users:
        granted = await api.post(
            f"/clients/{cid}/users", {"personal_code": CODES[name], "role": role}
        )
        assert granted.status == 201, granted.body
    assert (await api.put(f"/clients/{cid}/deals/K-2025-17", DEAL)).status == 201
    return cid


async def choose_client(someone: Person, button: str) -> None:
    await someone.say("/client")
    await someone.reply()
    await someone.press_newest(button)
    await someone.replies(2)


async def new_disbursement(someone: Person) -> dict[str, Any]:
    """From the main menu to the first question of a disbursement request."""
    await someone.say("/start")
    await someone.replies(2)
    await someone.press_newest("💼 My deals")
    await someone.reply()
    await someone.press_newest("📑 Active deals")
    await someone.reply()
    await someone.press_newest(DEAL_BUTTON)
    await someone.reply()
    await someone.press_newest("➕ New deal application")
    await someone.reply()
    await someone.press_newest("Disbursement request")
    return await someone.reply()


async def fill_disbursement(someone: Person, amount: str = "12 500") -> dict[str, Any]:
    """Every answer typed, no files; the summary."""
    await new_disbursement(someone)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for answer in (amount, "LV80BANK0000435195001", tomorrow.strftime("%d.%m.%Y")):
        await someone.say(answer)
        await someone.reply()
    await someone.say("Raw timber for the spring season.")
    await someone.reply()
    await someone.press_newest("✔️ Done")
    await someone.reply()
    await someone.press_newest("⏭ Skip")
    summary = await someone.reply()
    assert "check the answers" in summary["text"]
    return summary


async def confirm_at_provider(
    someone: Person, message: dict[str, Any], demo_person: str
) -> tuple[int, str]:
    """The signature's Mini App button: the page with what is signed, then the demo identity
    provider, where `demo_person` logs in; the final page's status and text."""
    launch = (await someone.open_web_app(message, "🔐 Confirm and sign"))["launch_url"]
    page, _, fragment = launch.partition("#")
    init_data = dict(parse_qsl(fragment))["tgWebAppData"]
    async with browser() as http:
        async with http.get(launch) as response:
            assert response.status == 200, await response.text()
        async with mini_app_post(http, launch) as response:
            details = await response.text()
            assert response.status == 200, details
            assert "Content hash" in details, details
        async with mini_app_post(http, page + "/go", init_data=init_data) as response:
            assert response.status == 200, await response.text()
            authorize = str(response.url)
        query = dict(parse_qsl(urlsplit(authorize).query))
        async with http.post(
            authorize.split("?", 1)[0], data={**query, "person": demo_person}
        ) as response:
            return response.status, await response.text()
