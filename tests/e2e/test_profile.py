"""«Profils» through the bot on SQLite and PostgreSQL: the person's phone; a new e-mail address
confirmed by the link sent to it (a real SMTP server; GET shows a button, the POST confirms,
once); «Klienta informācija» with the main users; the consultant's contacts."""

from __future__ import annotations

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import browser, buttons
from registration_walk import log_in, settings_with_mail
from smtp_support import SmtpCapture, links_in
from test_administration import act_for_the_client

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorServer


async def test_contacts_client_information_and_consultant(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
            await api.post(
                f"/clients/{cid}/users", {"personal_code": "120584-12349", "role": "main"}
            )
            await api.post(
                f"/clients/{cid}/users", {"personal_code": "030379-15671", "role": "additional"}
            )
            await log_in(anna, http, "anna")
            menu = await act_for_the_client(anna)
            await anna.press(menu, "👤 Profile")
            shown = await anna.reply()
            assert "👤 Anna Bērziņa" in shown["text"]
            assert "✉️ E-mail: not given" in shown["text"] and "📞 Phone: not given" in shown["text"]
            assert "🌐 Language: 🇬🇧 English" in shown["text"]

            await anna.press(shown, "📞 Change phone")
            await anna.reply()
            await anna.say("12")
            assert "does not look like a phone number" in (await anna.reply())["text"]
            await anna.say("2000 0001")
            assert (await anna.reply())["text"] == "✅ Phone saved: +37120000001"
            shown = await anna.reply()
            assert "📞 Phone: +37120000001" in shown["text"]

            await anna.press(shown, "✉️ Change e-mail")
            await anna.reply()
            await anna.say("anna@")
            assert "does not look like an e-mail" in (await anna.reply())["text"]
            await anna.say("Anna@Ozolkalns.LV")
            assert "confirmation link to Anna@ozolkalns.lv" in (await anna.reply())["text"]
            shown = await anna.reply()
            assert "✉️ E-mail: not given" in shown["text"]
            assert "⏳ Anna@ozolkalns.lv waits for confirmation" in shown["text"]
            (mail,) = await smtp.wait_for(1)
            assert mail["To"] == "Anna@ozolkalns.lv"
            (link,) = [url for url in links_in(mail) if "/email/" in url]
            async with http.get(link) as page:  # a mail scanner's GET confirms nothing
                assert page.status == 200 and "Apstiprināt" in await page.text()
            async with http.post(link) as page:
                assert page.status == 200
            told = await anna.reply()
            assert told["text"] == "✅ Your e-mail address Anna@ozolkalns.lv is confirmed."
            async with http.post(link) as page:  # a link confirms once
                assert page.status == 410
            await anna.press(shown, "⬅️ Main menu")
            await anna.press(await anna.reply(), "👤 Profile")
            shown = await anna.reply()
            assert "✉️ E-mail: Anna@ozolkalns.lv" in shown["text"] and "⏳" not in shown["text"]

            await anna.press(shown, "🏢 Client information")
            info = (await anna.reply())["text"]
            assert 'Name: SIA "Ozolkalna Koks"' in info
            assert "Registration No.: 40103999940" in info and "Address: " in info
            assert "Main users: Anna Bērziņa" in info and "030379" not in info
            # Opened by ALTUM without the register's rule: said in words, not "—".
            assert "Signing rule: not known yet (ALTUM has not recorded it)" in info
            await anna.press(shown, "👤 Consultant")
            assert "has not named a consultant" in (await anna.reply())["text"]
            await api.put(
                f"/clients/{cid}/consultant",
                {"name": "Ieva Kļava", "email": "ieva@altum.lv", "phone": "2000 0002"},
            )
            await anna.press(shown, "👤 Consultant")
            consultant = await anna.reply()
            assert "👤 Ieva Kļava\n✉️ ieva@altum.lv\n📞 +37120000002" in consultant["text"]
            assert buttons(consultant) == ["⬅️ Back"]
