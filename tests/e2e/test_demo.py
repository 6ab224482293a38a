"""`altum-bot demo` as a newcomer meets it: the web chat's bot answers; Anna logs in through
the demo provider and finds SIA "Ozolkalna Koks" with the deals the demo loaded through the
back-office use cases; the printed token works on the printed API docs' API; Marta registers
a company from the sample Company Register, confirms it from the demo mailbox page, and ALTUM
approves it over the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from api_support import Api
from e2e_support import Person, browser, buttons, running_demo
from registration_walk import log_in, register_company

from bot.ops.demo import BOT_ID


async def test_demo_loads_altum_data_and_registers_a_sample_company(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_demo(tmp_path / "demo.db") as (emu, web), browser() as http:
        users = await emu.users(BOT_ID)
        printed = capsys.readouterr().out
        assert f"{web}/api/v1/docs" in printed
        token = re.search(r"^\s+(altum_\S+)$", printed, re.MULTILINE)
        assert token is not None, printed

        by_name = {user["first_name"]: user for user in users}
        anna = Person(emu=emu, user_id=by_name["Emily"]["id"], bot_id=BOT_ID)
        await log_in(anna, http, "anna")
        await anna.say("/client")
        assert buttons(await anna.reply())[0].startswith('SIA "Ozolkalna Koks" — main user')

        async with Api(web, token.group(1)) as api:
            (client,) = (await api.get("/clients", registration_number="40103999940")).body["items"]
            deals = (await api.get(f"/clients/{client['id']}/deals")).body["items"]
            assert sorted(d["status"] for d in deals) == ["active", "active", "closed"]
            invoices = (await api.get(f"/clients/{client['id']}/deals/AL-2024-0153/invoices")).body[
                "items"
            ]
            assert [i["paid"] for i in invoices] == [True, False, False]
            consultant = await api.get(f"/clients/{client['id']}/consultant")
            assert consultant.body["name"] == "Ieva Kļava"

            marta = Person(emu=emu, user_id=by_name["Jānis"]["id"], bot_id=BOT_ID)
            await log_in(marta, http, "marta")
            await marta.say("/language")
            await marta.reply()
            await marta.press_newest("🇬🇧 English")
            await marta.reply()
            await register_company(marta, "40103777710", "marta@dzirnavas.lv")
            async with http.get(f"{web}/demo/mail") as page:
                mailbox = await page.text()
            link = re.search(r'href="(http://[^"]+/confirm/[^"]+)"', mailbox)
            assert link is not None, mailbox
            async with http.post(link.group(1)) as page:
                assert page.status == 200
            registered = await marta.reply()
            assert "is registered" in registered["text"]
            assert "nothing can be signed" in registered["text"]
            await marta.reply()
            (waiting,) = (await api.get("/registrations", status="awaiting_review")).body["items"]
            approved = await api.post(f"/registrations/{waiting['id']}/approve")
            assert approved.status == 200
            assert "You can now sign" in (await marta.reply())["text"]
