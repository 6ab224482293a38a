"""«Informācija» through the bot on SQLite and PostgreSQL, in Latvian: invoices arriving
through the API, shown per deal with Babel's money and dates and the overdue one marked; the
client's activity log with who, what and when, filtered by kind, paged, counted with Latvian
plural forms; forged buttons and a person without a client get clear answers."""

from __future__ import annotations

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from registration_walk import log_in
from test_administration import act_for_the_client, alert_after

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer

DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}
NBSP = "\xa0"


async def test_invoices_and_the_activity_log_in_latvian(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    janis = await person("Jānis", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": "120584-12349", "role": "main"})
        await api.put(f"/clients/{cid}/deals/K-1", DEAL)
        invoices = {
            "R-1": {"amount": "1250.5", "due_date": "2025-04-15"},
            "R-2": {"amount": "99", "due_date": "2025-03-15", "paid": True},
            "R-3": {"amount": "1234567.89", "due_date": "2099-01-31"},
        }
        for number, body in invoices.items():
            assert (
                await api.put(f"/clients/{cid}/deals/K-1/invoices/{number}", body)
            ).status == 201
        await log_in(anna, http, "anna")
        menu = await act_for_the_client(anna)
        await anna.press(menu, "📊 Informācija")
        home = await anna.reply()
        assert home["text"] == 'Informācija — SIA "Ozolkalna Koks"'
        await anna.press(home, "🧾 Rēķini")
        listed = (await anna.reply())["text"]
        assert "Darījums Nr. K-1 — Apgrozāmo līdzekļu aizdevums" in listed
        assert f"Nr. R-1 · apmaksas termiņš 15.04.2025 · 1{NBSP}250,50{NBSP}€ · ⚠️ kavēts" in (
            listed
        )
        assert f"Nr. R-2 · apmaksas termiņš 15.03.2025 · 99,00{NBSP}€ · ✅ apmaksāts" in listed
        assert f"1{NBSP}234{NBSP}567,89{NBSP}€ · vēl nav apmaksāts" in listed
        assert listed.index("R-2") < listed.index("R-1") < listed.index("R-3")  # by due date

        await anna.press(home, "📜 Klienta veiktās darbības")
        log = await anna.reply()
        # opened, access, the deal, three invoices, Anna logging in and choosing the client.
        assert "8 ieraksti" in log["text"] and "lapa" not in log["text"]
        assert "Anna Bērziņa: pieslēdzās asistentam" in log["text"]
        assert "ALTUM: jauns rēķins R-3" in log["text"]
        assert "Anna Bērziņa: sāka rīkoties klienta vārdā" in log["text"]
        await anna.press(log, "Lietotāji")
        users = await anna.reply()
        assert "1 ieraksts" in users["text"]
        assert "ALTUM: piešķīra piekļuvi lietotājam — Anna Bērziņa" in users["text"]
        assert "• Lietotāji" in buttons(users)

        for number in ("R-4", "R-5", "R-6", "R-7"):
            body = {"amount": "1", "due_date": "2099-01-01"}
            await api.put(f"/clients/{cid}/deals/K-1/invoices/{number}", body)
            await anna.reply()  # the new invoice, told in chat
        await anna.press(log, "• Viss")
        first = await anna.reply()
        assert "12 ierakstu, 1. lapa no 2" in first["text"]
        await anna.press(first, "Vecākas ▶️")
        second = await anna.reply()
        assert "2. lapa no 2" in second["text"] and "klients atvērts asistentā" in second["text"]
        assert "◀️ Jaunākas" in buttons(second)

        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, anna.user_id, log["message_id"], "in:log:999:all:0")
        assert "vairs nav derīga" in await alert_after(emu, since)

        # Jānis has no client here: nothing of Ozolkalna's, whatever he sends.
        await log_in(janis, http, "janis")
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, janis.user_id, log["message_id"], "in:inv:30:all:0")
        assert "Vispirms izvēlieties klientu" in await alert_after(emu, since)
        assert "R-1" not in (await janis.reply())["text"]
