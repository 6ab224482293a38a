"""«Anketas» through the bot on SQLite and PostgreSQL: each of the three questionnaires filled
question by question and submitted; a draft saved and resumed where it stopped; the client
questionnaire's last submission shown with its date, updated from its answers and submitted
again; ALTUM reading them after the event feed names them; questionnaires kept out of the
applications' list; forged buttons and a person without the client refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser, buttons
from registration_walk import log_in
from test_administration import act_for_the_client, alert_after

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer


async def step(someone: Person, answer: str, *, press: bool = False) -> dict[str, Any]:
    """One answer (typed, or a button of the newest message) and the bot's next message."""
    if press:
        await someone.press_newest(answer)
    else:
        await someone.say(answer)
    return await someone.reply()


async def questionnaires(someone: Person) -> dict[str, Any]:
    await someone.say("/start")
    menu = (await someone.replies(2))[-1]
    await someone.press(menu, "📋 Questionnaires")
    return await someone.reply()


async def fill_client_questionnaire(anna: Person, activity: str) -> dict[str, Any]:
    question = await anna.reply()
    assert "question 1 of" in question["text"] and "What does the company do?" in question["text"]
    assert "💾 Save draft" in buttons(question)
    assert "NACE" in (await step(anna, activity))["text"]
    refused = await step(anna, "sawmill")  # not a NACE code: refused, asked again
    assert "NACE" in (await anna.reply())["text"], refused["text"]
    assert "outside Latvia" in (await step(anna, "16.10"))["text"]
    assert "In which countries?" in (await step(anna, "Yes", press=True))["text"]
    funds = await step(anna, "Estonia, Lithuania")
    assert "Where does the company's money come from?" in funds["text"]
    again = await step(anna, "⬜ Business activity", press=True)
    assert "☑️ Business activity" in buttons(again)
    assert "percentage" in (await step(anna, "✔️ Done", press=True))["text"]
    assert "beneficial owners" in (await step(anna, "5"))["text"]
    await step(anna, "Anna Bērziņa, 100%")
    assert "politically exposed" in (await step(anna, "✔️ Done", press=True))["text"]
    assert "sanctions" in (await step(anna, "No", press=True))["text"]
    assert "e-mail address" in (await step(anna, "No", press=True))["text"]
    assert "phone number" in (await step(anna, "info@ozolkalna.lv"))["text"]
    assert "website" in (await step(anna, "+371 26 123 456"))["text"]
    summary = await step(anna, "⏭ Skip", press=True)
    assert "check the answers" in summary["text"]
    assert "📤 Submit to ALTUM" in buttons(summary)
    assert not any("Sign" in b for b in buttons(summary))  # questionnaires are never signed
    return summary


async def test_each_questionnaire_submitted_a_draft_resumed_and_the_client_one_updated(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    reader = await make_token(database_url, "applications:read", name="reader")
    anna = await person("Anna", language_code="en")
    janis = await person("Jānis", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": "120584-12349", "role": "main"})
        await log_in(anna, http, "anna")
        await act_for_the_client(anna)

        overview = await questionnaires(anna)
        assert overview["text"].startswith('Questionnaires — SIA "Ozolkalna Koks"')
        assert "Client questionnaire: not submitted yet" in overview["text"]
        assert buttons(overview)[:3] == [
            "Client questionnaire",
            "EaSI questionnaire",
            "Customer satisfaction survey",
        ]

        # «Klienta anketa», never submitted: its first question at once.
        await anna.press(overview, "Client questionnaire")
        summary = await fill_client_questionnaire(anna, "Sawmill and timber trade")
        assert "Sawmill and timber trade" in summary["text"] and "16.10" in summary["text"]
        await anna.press(summary, "📤 Submit to ALTUM")
        done = await anna.reply()
        assert "«Client questionnaire» was submitted to ALTUM" in done["text"]
        # A second tap submits nothing more.
        since = await emu.last_seq(BOT_ID)
        await anna.press(summary, "📤 Submit to ALTUM")
        assert "already been submitted" in await alert_after(emu, since)

        # «EASI anketa»: one answer, the draft saved; resumed later at the second question.
        overview = await questionnaires(anna)
        await anna.press(overview, "EaSI questionnaire")
        assert "What is your gender?" in (await anna.reply())["text"]
        assert "How old are you?" in (await step(anna, "Female", press=True))["text"]
        saved = await step(anna, "💾 Save draft", press=True)
        assert "is saved" in saved["text"] and "«Questionnaires»" in saved["text"]
        # Questionnaires are never signed: a forged «send for signing» only shows the draft.
        await emu.forge_callback(BOT_ID, anna.user_id, saved["message_id"], "fa:send:2:-1:")
        assert "needs no signatures" in (await anna.reply())["text"]
        assert "How old are you?" in (await anna.reply())["text"]
        overview = await questionnaires(anna)
        assert "EaSI questionnaire: draft saved, not submitted" in overview["text"]
        await anna.press(overview, "📝 EaSI questionnaire")
        resumed = await anna.reply()
        assert "question 2 of 5" in resumed["text"] and "How old are you?" in resumed["text"]
        await step(anna, "25–54", press=True)
        await step(anna, "Self-employed", press=True)
        assert "How long" in (await step(anna, "Higher", press=True))["text"]
        summary = await step(anna, "Less than 3 years", press=True)
        assert "Female" in summary["text"] and "Higher" in summary["text"]
        await anna.press(summary, "📤 Submit to ALTUM")
        assert "«EaSI questionnaire» was submitted" in (await anna.reply())["text"]

        # «Klientu apmierinātības aptauja»: optional questions skipped, a number typed.
        overview = await questionnaires(anna)
        await anna.press(overview, "Customer satisfaction survey")
        assert "Overall" in (await anna.reply())["text"]
        await step(anna, "Satisfied", press=True)
        await step(anna, "Easy", press=True)
        assert "consultant" in (await step(anna, "Yes", press=True))["text"]
        assert "0 to 10" in (await step(anna, "⏭ Skip", press=True))["text"]
        await step(anna, "11")  # out of range: refused, asked again
        assert "0 to 10" in (await anna.reply())["text"]
        assert "hear about ALTUM" in (await step(anna, "9"))["text"]
        assert "do better" in (await step(anna, "⏭ Skip", press=True))["text"]
        summary = await step(anna, "⏭ Skip", press=True)
        await anna.press(summary, "📤 Submit to ALTUM")
        assert "was submitted" in (await anna.reply())["text"]

        # The client questionnaire's last submission, with its date, offered for update.
        today = datetime.now(ZoneInfo("Europe/Riga")).strftime("%d.%m.%Y")
        overview = await questionnaires(anna)
        assert f"Client questionnaire: last submitted on {today}" in overview["text"]
        await anna.press(overview, "Client questionnaire")
        last = await anna.reply()
        assert f"Last submitted on {today}:" in last["text"]
        assert "Main activity: Sawmill and timber trade" in last["text"]
        await anna.press(last, "🔄 Update")
        prefilled = await anna.reply()
        assert "check the answers" in prefilled["text"]  # every answer there: the summary
        assert "Sawmill and timber trade" in prefilled["text"]
        await anna.press(prefilled, "✏️ Main activity")
        assert "What does the company do?" in (await anna.reply())["text"]
        updated = await step(anna, "Furniture making")
        assert "Furniture making" in updated["text"] and "info@ozolkalna.lv" in updated["text"]
        await anna.press(updated, "📤 Submit to ALTUM")
        assert "was submitted" in (await anna.reply())["text"]

        # Questionnaires are not applications.
        await anna.say("/start")
        menu = (await anna.replies(2))[-1]
        await anna.press(menu, "📝 Applications")
        await anna.press(await anna.reply(), "📋 List of applications")
        assert "No applications here yet." in (await anna.reply())["text"]

        # ALTUM learns of each from the event feed and reads the answers.
        events = (await api.get("/events", after=0, limit=100)).body["events"]
        submitted = [e for e in events if e["type"] == "questionnaire.submitted"]
        assert [e["form_id"] for e in submitted] == [
            "client_questionnaire",
            "easi_questionnaire",
            "satisfaction_survey",
            "client_questionnaire",
        ]
        assert all(e["client_id"] == cid for e in submitted)
        ids = [e["questionnaire_id"] for e in submitted]
        first = (await api.get(f"/questionnaires/{ids[0]}")).body
        assert first["answers"]["main_activity"] == "Sawmill and timber trade"
        assert first["answers"]["funds_sources"] == ["business"]
        newest = (await api.get(f"/questionnaires/{ids[3]}")).body
        assert newest["answers"]["main_activity"] == "Furniture making"
        assert newest["answers"]["nace"] == "16.10" and newest["answers"]["website"] is None
        assert len(newest["content_hash"]) == 64 and newest["client_id"] == cid
        survey = (await api.get(f"/questionnaires/{ids[2]}")).body
        assert survey["answers"]["recommend"] == 9 and survey["answers"]["consultant"] is None
        assert (await api.get("/questionnaires/999")).status == 404
        forbidden = await api.get(f"/questionnaires/{ids[0]}", token=reader)
        assert forbidden.status == 403

        # In the client's activity log, newest first.
        await anna.say("/start")
        menu = (await anna.replies(2))[-1]
        await anna.press(menu, "📊 Information")
        await anna.press(await anna.reply(), "📜 Client's activity")
        log = (await anna.reply())["text"].splitlines()
        assert log[4].endswith("Anna Bērziņa: submitted a questionnaire")  # the newest

        # A forged index; a person without the client gets nothing of it.
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, anna.user_id, overview["message_id"], "qs:open:7")
        assert "no longer valid" in await alert_after(emu, since)
        await log_in(janis, http, "janis")
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, janis.user_id, overview["message_id"], "qs:fill:0")
        assert "First choose the client" in await alert_after(emu, since)
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, janis.user_id, overview["message_id"], "m:qs")
        assert "First choose the client" in await alert_after(emu, since)
        sent = await emu.calls(BOT_ID, method="sendMessage", since=since)
        assert not any("Ozolkalna" in str(c["params"].get("text")) for c in sent)


async def test_in_latvian_a_survey_cancelled_then_submitted_by_an_additional_user(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """An additional user, who signs nothing for the client, answers in Latvian: the portal's
    labels, a draft cancelled (deleted), the survey submitted; the main menu fits a phone."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    janis = await person("Jānis", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        body = {"personal_code": "030379-15671", "role": "additional"}
        await api.post(f"/clients/{cid}/users", body)
        await log_in(janis, http, "janis")
        menu = await act_for_the_client(janis)
        assert "📋 Anketas" in buttons(menu)
        await janis.press(menu, "📋 Anketas")
        overview = await janis.reply()
        assert overview["text"].startswith('Anketas — SIA "Ozolkalna Koks"')
        assert "Klienta anketa: vēl nav iesniegta" in overview["text"]

        await janis.press(overview, "Klientu apmierinātības aptauja")
        first = await janis.reply()
        assert "1. jautājums no" in first["text"] and "Cik apmierināti" in first["text"]
        await step(janis, "Apmierināti", press=True)
        await janis.press_newest("✖️ Atcelt")
        assert "melnraksts dzēsts" in (await janis.reply())["text"]
        await janis.press(menu, "📋 Anketas")
        assert "melnraksts" not in (await janis.reply())["text"]  # no draft left

        await janis.press(overview, "Klientu apmierinātības aptauja")
        await janis.reply()
        await step(janis, "Ļoti apmierināti", press=True)
        await step(janis, "Sarežģīti", press=True)
        await step(janis, "Nē", press=True)
        await step(janis, "Labi", press=True)
        await step(janis, "10")
        await step(janis, "⬜ No bankas", press=True)
        await step(janis, "✔️ Gatavs", press=True)
        await step(janis, "Ātrāk lēmumu, lūdzu.")
        summary = await step(janis, "✔️ Gatavs", press=True)
        assert "Ātrāk lēmumu, lūdzu." in summary["text"] and "No bankas" in summary["text"]
        await janis.press(summary, "📤 Iesniegt ALTUM")
        done = await janis.reply()
        assert done["text"] == "📤 «Klientu apmierinātības aptauja» iesniegta ALTUM. Paldies!"

        events = (await api.get("/events", after=0, limit=100)).body["events"]
        (submitted,) = [e for e in events if e["type"] == "questionnaire.submitted"]
        survey = (await api.get(f"/questionnaires/{submitted['questionnaire_id']}")).body
        assert survey["answers"]["overall"] == "very_satisfied"
        assert survey["answers"]["heard_from"] == ["bank"]
        assert survey["answers"]["improve"] == "Ātrāk lēmumu, lūdzu."
