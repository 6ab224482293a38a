"""Registration awaits ALTUM (REGISTRATION_REVIEW=required): the registrant may look and
prepare, nothing is signed in the client's name until ALTUM approves over the API; a rejection
is explained in chat and deletes the client and all its data; an impostor who registered first
locks no real signatory out."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser
from registration_walk import confirmation_link, log_in, register_company
from smtp_support import SmtpCapture
from sqlalchemy import func, select

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import RegistrationSettings, SmtpSettings
from emulator import EmulatorServer
from portal.model import AwaitingReview, NoAccess
from portal.review import ensure_may_sign
from storage.backoffice_models import Deal
from storage.database import Database
from storage.models import Client, Membership, Registration
from storage.repositories import SqlUnitOfWork

OZOLKALNS = "40103999940"


def settings_for(database_url: str, api_url: str, smtp: SmtpCapture, **extra: Any) -> Any:
    return bot_settings(
        database_url,
        api_url,
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, SMTP_FROM="ALTUM <bot@altum.test>"),
        **extra,
    )


async def confirm_mail(http: Any, smtp: SmtpCapture, count: int) -> None:
    mails = await smtp.wait_for(count)
    async with http.post(confirmation_link(mails[count - 1])) as page:
        assert page.status == 200, await page.text()


async def may_sign(database_url: str, someone: Person, client_id: int) -> str:
    """What the check every future signing and submission makes says for this person."""
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            await ensure_may_sign(
                uow=SqlUnitOfWork(session), telegram_user_id=someone.user_id, client_id=client_id
            )
    except AwaitingReview:
        return "awaiting review"
    except NoAccess:
        return "no access"
    finally:
        await database.dispose()
    return "may sign"


async def count(database_url: str, model: Any) -> int:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await database.dispose()


@pytest.fixture
async def register(database_url: str) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")


@pytest.mark.usefixtures("register")
async def test_a_registration_waits_for_altum_then_is_approved(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_for(database_url, emulator.base_url, smtp)
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            await log_in(anna, http, "anna")
            await register_company(anna, OZOLKALNS, "anna@ozolkalns.lv")
            submitted = (await api.get("/events")).body["events"]
            assert [e["type"] for e in submitted] == ["client.registered"]
            registration_id = submitted[0]["registration_id"]
            waiting = await api.get(f"/registrations/{registration_id}")
            assert waiting.body["status"] == "awaiting_confirmation"
            early = await api.post(f"/registrations/{registration_id}/approve")
            assert early.status == 409 and early.body["code"] == "not_confirmed"

            await confirm_mail(http, smtp, 1)
            registered = await anna.reply()
            assert "is registered. You are its main user." in registered["text"]
            assert "nothing can be signed or sent to ALTUM" in registered["text"]
            menu = await anna.reply()
            assert "Awaiting ALTUM's check" in menu["text"]

            page = await api.get("/events", after=submitted[0]["cursor"])
            (confirmed,) = page.body["events"]
            assert confirmed["type"] == "client.confirmed"
            assert confirmed["registration_id"] == registration_id
            client_id = confirmed["client_id"]
            record = (await api.get(f"/registrations/{registration_id}")).body
            assert record["status"] == "awaiting_review" and record["match"] == "likely"
            assert record["registrant"]["personal_code"] == "12058412349"
            assert record["client_id"] == client_id
            assert (await api.get(f"/clients/{client_id}")).body["awaiting_review"] is True
            listed = await api.get("/registrations", status="awaiting_review")
            assert [r["id"] for r in listed.body["items"]] == [registration_id]

            # She may look and prepare, but the signing check refuses until ALTUM approves.
            assert await may_sign(database_url, anna, client_id) == "awaiting review"
            approved = await api.post(f"/registrations/{registration_id}/approve")
            assert approved.status == 200 and approved.body["status"] == "approved"
            assert "You can now sign and submit" in (await anna.reply())["text"]
            assert await may_sign(database_url, anna, client_id) == "may sign"
            assert (await api.post(f"/registrations/{registration_id}/approve")).status == 200
            rejected = await api.post(
                f"/registrations/{registration_id}/reject", {"reason": "other"}
            )
            assert rejected.status == 409
            await anna.say("/start")
            await anna.reply()
            assert "Awaiting ALTUM's check" not in (await anna.reply())["text"]


@pytest.mark.usefixtures("register")
async def test_a_rejected_registration_is_explained_and_deletes_the_client_and_its_data(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_for(database_url, emulator.base_url, smtp)
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            await log_in(anna, http, "anna")
            await register_company(anna, OZOLKALNS, "anna@ozolkalns.lv")
            await confirm_mail(http, smtp, 1)
            await anna.replies(2)
            await anna.say("/language")  # she reads Latvian from now on
            await anna.reply()
            await anna.press_newest("🇱🇻 Latviešu")
            await anna.reply()
            client_id = (await api.get("/clients", registration_number=OZOLKALNS)).body["items"][0][
                "id"
            ]
            await api.put(
                f"/clients/{client_id}/deals/D-1",
                {
                    "product": "Loan",
                    "amount": "1000",
                    "balance": "1000",
                    "start_date": "2025-01-01",
                    "status": "active",
                },
            )
            await anna.reply()  # the new deal
            registration_id = (await api.get("/registrations")).body["items"][0]["id"]
            rejected = await api.post(
                f"/registrations/{registration_id}/reject",
                {"reason": "not_signatory", "comment": "Valdes sēdes protokols neapstiprina."},
            )
            assert rejected.status == 204
            told = await anna.reply()
            assert 'ALTUM noraidīja klienta SIA "Ozolkalna Koks" reģistrāciju' in told["text"]
            assert "neesat šī uzņēmuma paraksttiesīgā persona" in told["text"]
            assert "ALTUM piezīme: Valdes sēdes protokols neapstiprina." in told["text"]
            await anna.say("/client")
            assert "nedarbojaties neviena ALTUM klienta" in (await anna.reply())["text"]
            assert (await api.get(f"/clients/{client_id}")).status == 404
            assert (await api.get(f"/registrations/{registration_id}")).status == 404
            again = await api.post(f"/registrations/{registration_id}/reject", {"reason": "other"})
            assert again.status == 404
    for model in (Client, Membership, Registration, Deal):
        assert await count(database_url, model) == 0, model.__name__


@pytest.mark.usefixtures("register")
async def test_an_impostor_who_registered_first_locks_no_real_signatory_out(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """Jānis registers SIA "Ozolkalna Koks" first (a likely match is all the bot can check);
    Anna, a signatory too, may still register it; ALTUM rejects Jānis and approves Anna. The
    client stays, with Anna's details, and Jānis is gone from it."""
    token = await make_token(database_url)
    janis = await person("Jānis", language_code="en")
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_for(database_url, emulator.base_url, smtp)
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            await log_in(janis, http, "janis")
            await register_company(janis, OZOLKALNS, "janis@example.lv")
            await confirm_mail(http, smtp, 1)
            await janis.replies(2)
            await log_in(anna, http, "anna")
            await register_company(anna, OZOLKALNS, "anna@ozolkalns.lv")  # not refused
            await confirm_mail(http, smtp, 2)
            assert "nothing can be signed" in (await anna.reply())["text"]
            await anna.reply()
            (client,) = (await api.get("/clients", registration_number=OZOLKALNS)).body["items"]
            assert client["email"] == "janis@example.lv"
            users = (await api.get(f"/clients/{client['id']}/users")).body["items"]
            assert {u["given_name"] for u in users} == {"Jānis", "Anna"}
            first, second = (await api.get("/registrations")).body["items"]
            assert first["registrant"]["given_name"] == "Jānis"

            assert (
                await api.post(
                    f"/registrations/{first['id']}/reject", {"reason": "identity_not_confirmed"}
                )
            ).status == 204
            assert "could not confirm that you are the signatory" in (await janis.reply())["text"]
            kept = (await api.get(f"/clients/{client['id']}")).body
            assert kept["email"] == "anna@ozolkalns.lv" and kept["awaiting_review"] is True
            users = (await api.get(f"/clients/{client['id']}/users")).body["items"]
            assert [u["given_name"] for u in users] == ["Anna"]
            assert await may_sign(database_url, janis, client["id"]) == "no access"
            assert (await api.post(f"/registrations/{second['id']}/approve")).status == 200
            assert await may_sign(database_url, anna, client["id"]) == "may sign"

            # Once approved, the company is taken: a third registrant is refused as before.
            peteris = await person("Pēteris", language_code="en")
            await log_in(peteris, http, "peteris")
            await peteris.say("/register")
            await peteris.reply()
            await peteris.press_newest("🏢 A legal entity (company)")
            await peteris.reply()
            await peteris.say(OZOLKALNS)
            await peteris.reply()
            await peteris.press_newest("Importēt no UR")
            assert "already registered" in (await peteris.reply())["text"]


@pytest.mark.usefixtures("register")
async def test_with_review_off_a_registration_may_sign_at_once(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = settings_for(
            database_url,
            emulator.base_url,
            smtp,
            registration=RegistrationSettings(review="off"),
        )
        async with serving(settings), browser() as http:
            await log_in(anna, http, "anna")
            await register_company(anna, OZOLKALNS, "anna@ozolkalns.lv")
            await confirm_mail(http, smtp, 1)
            registered = await anna.reply()
            assert "nothing can be signed" not in registered["text"]
            assert "Awaiting ALTUM's check" not in (await anna.reply())["text"]
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            client_id = await session.scalar(select(Client.id))
            status = await session.scalar(select(Registration.status))
    finally:
        await database.dispose()
    assert status == "confirmed" and client_id is not None
    assert await may_sign(database_url, anna, client_id) == "may sign"
