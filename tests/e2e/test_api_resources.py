"""ALTUM's systems feed the bot over HTTP and people see it in chat: a client opened, a person
given access (told in chat, sees the client after logging in), deals and invoices upserted (a
new one told in the person's language), the consultant set, a user blocked (gone on the next
tap) and restored; every write in the client's activity log with the token's name."""

from __future__ import annotations

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from registration_walk import log_in
from sqlalchemy import select

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow

ANNA_CODE = "120584-12349"  # the demo provider's Anna Bērziņa
DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": 80000.5,
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}


async def test_clients_users_deals_invoices_and_blocking_reach_the_chat(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        assert (await api.get("/clients", registration_number="40103999940")).body == {"items": []}
        assert (await api.get("/clients", registration_number="40103999941")).status == 422
        opened = await api.post("/clients", {"registration_number": "40103999940"})
        assert opened.status == 201, opened.body
        client = opened.body
        assert client["name"] == 'SIA "Ozolkalna Koks"' and client["awaiting_review"] is False
        cid = client["id"]
        assert (await api.post("/clients", {"registration_number": "40103999940"})).status == 409
        found = await api.get("/clients", registration_number="40103999940")
        assert found.body["items"] == [client]
        assert (await api.get(f"/clients/{cid}")).body == client

        # Access for a person who has not logged in yet: they see the client once they do.
        granted = await api.post(
            f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"}
        )
        assert granted.status == 201, granted.body
        user = granted.body
        assert user["personal_code"] == "12058412349" and user["linked"] is False
        again = await api.post(
            f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"}
        )
        assert again.status == 409 and again.body["user_id"] == user["id"]
        await log_in(anna, http, "anna")
        await anna.say("/client")
        listing = await anna.reply()
        assert buttons(listing)[0] == 'SIA "Ozolkalna Koks" — main user'
        linked = (await api.get(f"/clients/{cid}/users/{user['id']}")).body
        assert linked["linked"] is True and linked["given_name"] == "Anna"

        # A new deal and invoice are told in chat, in Anna's language; updates are not.
        put = await api.put(f"/clients/{cid}/deals/K-2025-17", DEAL)
        assert put.status == 201, put.body
        assert put.body["amount"] == "125000.00" and put.body["balance"] == "80000.50"
        told = await anna.reply()
        assert "K-2025-17" in told["text"] and "€125,000.00" in told["text"]
        assert "01.03.2025" in told["text"] and buttons(told) == ["⬅️ Main menu"]
        updated = await api.put(f"/clients/{cid}/deals/K-2025-17", {**DEAL, "balance": "79000"})
        assert updated.status == 200 and updated.body["balance"] == "79000.00"
        invoice = await api.put(
            f"/clients/{cid}/deals/K-2025-17/invoices/R-1",
            {"amount": "1250.5", "due_date": "2025-04-15"},
        )
        assert invoice.status == 201 and invoice.body["currency"] == "EUR"
        told = await anna.reply()
        assert (
            "R-1" in told["text"] and "€1,250.50" in told["text"] and "15.04.2025" in told["text"]
        )
        paid = await api.put(
            f"/clients/{cid}/deals/K-2025-17/invoices/R-1",
            {"amount": "1250.50", "due_date": "2025-04-15", "paid": True, "paid_on": "2025-04-10"},
        )
        assert paid.status == 200 and paid.body["paid"] is True
        bad = await api.put(
            f"/clients/{cid}/deals/K-2025-17/invoices/R-2",
            {"amount": "1", "due_date": "2025-04-15", "paid": False, "paid_on": "2025-04-10"},
        )
        assert bad.status == 422 and bad.body["errors"][0]["location"] == ["body", "paid_on"]
        backwards = await api.put(f"/clients/{cid}/deals/K-2", {**DEAL, "end_date": "2020-01-01"})
        assert backwards.status == 422
        assert (await api.get(f"/clients/{cid}/deals")).body["items"][0]["number"] == "K-2025-17"
        assert (await api.get(f"/clients/{cid}/deals/K-9")).status == 404
        invoices = (await api.get(f"/clients/{cid}/deals/K-2025-17/invoices")).body["items"]
        assert [i["number"] for i in invoices] == ["R-1"] and invoices[0]["paid_on"] == "2025-04-10"
        assert (await api.put("/clients/999/deals/K-1", DEAL)).status == 404

        consultant = await api.put(
            f"/clients/{cid}/consultant",
            {"name": "Ieva  Kļava", "email": "Ieva@ALTUM.lv", "phone": "2000 0001"},
        )
        assert consultant.body == {
            "name": "Ieva Kļava",
            "email": "Ieva@altum.lv",
            "phone": "+37120000001",
        }
        assert (await api.get(f"/clients/{cid}/consultant")).body == consultant.body

        # Anna acts for the client; blocked, she loses it on her very next tap.
        await anna.press(listing, buttons(listing)[0])
        await anna.replies(2)
        await anna.say("/client")
        listing = await anna.reply()
        blocked = await api.patch(f"/clients/{cid}/users/{user['id']}", {"status": "blocked"})
        assert blocked.status == 200 and blocked.body["status"] == "blocked"
        told = await anna.reply()
        assert "blocked your access to" in told["text"]
        since = await emu.last_seq(BOT_ID)
        await anna.press(listing, buttons(listing)[0])
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "no longer have access" in alert["params"]["text"]
        await anna.reply()
        await anna.say("/start")
        await anna.reply()
        assert "No client chosen" in (await anna.reply())["text"]
        deal_after = await api.put(f"/clients/{cid}/deals/K-3", {**DEAL, "status": "closed"})
        assert deal_after.status == 201  # a blocked user is not told about new deals

        restored = await api.patch(f"/clients/{cid}/users/{user['id']}", {"status": "active"})
        assert restored.body["status"] == "active"
        assert "is restored" in (await anna.reply())["text"]
        await anna.say("/client")
        assert buttons(await anna.reply())[0] == 'SIA "Ozolkalna Koks" — main user'

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = list(
                await session.execute(
                    select(ActivityEventRow.action, ActivityEventRow.actor).where(
                        ActivityEventRow.client_id == cid
                    )
                )
            )
    finally:
        await database.dispose()
    by_api = {action for action, actor in rows if actor == "api:crm"}
    assert {
        "client.opened",
        "user.added",
        "deal.added",
        "deal.updated",
        "invoice.added",
        "invoice.updated",
        "client.consultant_set",
        "user.changed",
    } <= by_api


async def test_a_person_granted_access_before_logging_in_is_a_linked_user_in_the_feed(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    janis = await person("Jānis", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        user = await api.post(
            f"/clients/{cid}/users", {"personal_code": "03037915671", "role": "additional"}
        )
        await log_in(janis, http, "janis")
        page = await api.get("/events")
        (event,) = [e for e in page.body["events"] if e["type"] == "user.linked"]
        assert event["client_id"] == cid and event["user_id"] == user.body["id"]
        # ALTUM makes him a main user; new deals reach him in his language (Latvian).
        changed = await api.patch(f"/clients/{cid}/users/{user.body['id']}", {"role": "main"})
        assert changed.body["role"] == "main"
        deal = await api.put(f"/clients/{cid}/deals/A-1", DEAL)
        assert deal.status == 201
        told = await janis.reply()
        assert "Jauns klienta" in told["text"] and "125\xa0000,00\xa0€" in told["text"]
