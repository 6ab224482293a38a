"""Linking a Telegram account to a person: the chat's one-time link, the web page, the
provider (here the demo one), the confirmation in the chat, /logout and relinking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    bot_settings,
    browser,
    buttons,
    demo_login,
    mini_app_post,
    polling_bot,
)
from sqlalchemy import select, update

from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow, Client, LoginLink, Membership, TelegramAccountRow
from storage.models import Person as PersonRow


async def test_login_links_the_account_and_logout_unlinks(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        await anna.say("/login")
        offer = await anna.reply()
        assert "works once, for 10 minutes" in offer["text"]
        launch = await anna.open_web_app(offer, "🔐 Log in")  # a Mini App button, no URL one
        link = launch["url"]
        assert link.startswith(settings.public_url + "/link/")
        token = link.rsplit("/", 1)[1]
        assert len(token) >= 22  # ≥128 bits in URL-safe base64

        async with http.get(launch["launch_url"]) as page:
            text = await page.text()
            # It names nobody (a name the link's owner chose proves nothing to its reader)
            # and posts Telegram's initData back by a script of its own, nothing loaded.
            assert page.status == 200 and "Anna" not in text
            csp = page.headers["Content-Security-Policy"]
            nonce = csp.split("script-src 'nonce-", 1)[1].split("'", 1)[0]
            assert f'<script nonce="{nonce}">' in text and "tgWebAppData" in text
            assert text.count("<script") == 1 and "src=" not in text
            assert "frame-ancestors https://web.telegram.org" in csp  # Telegram's web client
            assert "X-Frame-Options" not in page.headers
            assert page.headers["Referrer-Policy"] == "same-origin"  # no token to other sites
        status, text = await demo_login(http, launch["launch_url"], "anna")
        assert status == 200 and "Anna Bērziņa" in text

        linked = await anna.reply()
        assert "linked as Anna Bērziņa" in linked["text"]
        assert buttons(linked) == ["🚪 Log out"]  # the way to undo
        choose = await anna.reply()  # then, as the portal does, which client to act for
        assert "do not act for any ALTUM client" in choose["text"]

        # The link is used up: opening it again explains, and changes nothing.
        async with http.get(link) as page:
            assert page.status == 410

        await anna.say("/client")
        none = await anna.reply()
        assert "do not act for any ALTUM client" in none["text"]
        assert "➕ Register a new client" in buttons(none)

        # A forged "choose client" press for a client she has nothing to do with.
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, anna.user_id, none["message_id"], "cl:1")
        (alert,) = await emu.calls(
            BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1
        )
        assert "no longer have access" in alert["params"]["text"]
        assert "do not act for any ALTUM client" in (await anna.reply())["text"]

        await anna.say("/logout")
        bye = await anna.reply()
        assert "Logged out" in bye["text"] and "Anna Bērziņa" in bye["text"]
        menu = await anna.reply()
        assert buttons(menu)[0] == "🔐 Log in"

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            account = await session.get(TelegramAccountRow, anna.user_id)
            assert account is not None and account.person_id is None
            actions = list(await session.scalars(select(ActivityEventRow.action)))
            assert "person.linked" in actions and "person.unlinked" in actions
            hashes = list(await session.scalars(select(LoginLink.token_hash)))
            assert token not in hashes and len(hashes[0]) == 64  # only the hash is kept
    finally:
        await database.dispose()


async def test_linking_elsewhere_ends_the_old_link_and_tells_the_old_chat(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    phone = await person("Anna", language_code="en")
    tablet = await person("Anna T", language_code="en")
    async with polling_bot(settings), browser() as http:
        for device in (phone, tablet):
            status, _ = await demo_login(http, (await device.login_app())["launch_url"], "anna")
            assert status == 200
            assert "Anna Bērziņa" in (await device.reply())["text"]
            await device.reply()  # the clients to choose from
        told = await phone.reply()
        assert "no longer linked to you" in told["text"]
        await phone.say("/client")
        assert "First log in" in (await phone.reply())["text"]
        await tablet.say("/login")
        assert "You are logged in as Anna Bērziņa (120584-*****)" in (await tablet.reply())["text"]


async def test_expired_reused_and_foreign_links_are_refused(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        first = (await anna.login_app())["launch_url"]
        second = (await anna.login_app())["launch_url"]
        async with mini_app_post(http, first) as page:  # replaced by the newer link
            assert page.status == 410  # explained in her language, known from Telegram
            assert "Ask for a new one with /login" in await page.text()

        database = Database(database_url)
        try:
            async with database.transaction() as session:
                await session.execute(
                    update(LoginLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                )
        finally:
            await database.dispose()
        async with mini_app_post(http, second) as page:  # too old
            assert page.status == 410

        # A callback without this browser's flow (someone else's, or forged) links nobody.
        async with (
            browser() as stranger,
            stranger.get(settings.public_url + "/auth/callback?state=x&person=anna") as page,
        ):
            assert page.status == 400
        await anna.say("/client")
        assert "First log in" in (await anna.reply())["text"]


async def test_company_and_authorised_identities_are_refused(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        for identity in ("signatory", "authorised"):
            status, text = await demo_login(http, (await anna.login_app())["launch_url"], identity)
            assert status == 400 and "Only natural persons can log in" in text
            failed = await anna.reply()
            assert "Logging in failed" in failed["text"]
        await anna.say("/client")
        assert "First log in" in (await anna.reply())["text"]


async def test_logging_in_speaks_latvian_in_chat_and_on_the_page(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    janis = await person("Jānis", language_code="lv")
    async with polling_bot(settings), browser() as http:
        await janis.say("/login")
        offer = await janis.reply()
        assert offer["text"].startswith("Pieslēgšanās")
        link = (await janis.open_web_app(offer, "🔐 Pieslēgties"))["launch_url"]
        async with http.get(link) as page:
            assert '<html lang="lv">' in await page.text()
        status, text = await demo_login(http, link, "janis")
        assert status == 200 and "Jānis Kalniņš" in text
        linked = await janis.reply()
        assert "Šis Telegram konts tagad ir piesaistīts kā Jānis Kalniņš" in linked["text"]
        assert buttons(linked) == ["🚪 Atslēgties"]
        choose = await janis.reply()
        assert "➕ Reģistrēt jaunu klientu" in buttons(choose)


async def test_two_browsers_racing_for_one_link_get_one_flow(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings):
        link = (await anna.login_app())["launch_url"]

        async def take(http: aiohttp.ClientSession) -> int:
            async with mini_app_post(http, link, allow_redirects=False) as response:
                return response.status

        async with browser() as one, browser() as two, browser() as three:
            statuses = await asyncio.gather(take(one), take(two), take(three))
        assert sorted(statuses) == [303, 410, 410]


async def test_one_person_many_clients_with_their_roles(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """An accountant acting for two companies, and a client with two persons."""
    settings = bot_settings(database_url, emulator.base_url)
    ilze = await person("Ilze", language_code="en")
    async with polling_bot(settings), browser() as http:
        await demo_login(http, (await ilze.login_app())["launch_url"], "ilze")
        await ilze.replies(2)
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                ilze_id = await session.scalar(
                    select(PersonRow.id).where(PersonRow.personal_code == "25069018905")
                )
                other = PersonRow(personal_code="12058412349", given_name="A", family_name="B")
                session.add(other)
                await session.flush()
                for name, role, signatory, people in (
                    ('SIA "Vējrāvas Enerģija"', "main", True, (ilze_id, other.id)),
                    ("AS Grāmatvedība", "additional", False, (ilze_id,)),
                ):
                    client = Client(kind="legal_entity", name=name, status="active")
                    session.add(client)
                    await session.flush()
                    for person_id in people:
                        session.add(
                            Membership(
                                person_id=person_id,
                                client_id=client.id,
                                role=role,
                                status="active",
                                is_signatory=signatory,
                            )
                        )
        finally:
            await database.dispose()
        await ilze.say("/client")
        listing = await ilze.reply()
        assert buttons(listing)[:2] == [
            "AS Grāmatvedība — additional user",
            'SIA "Vējrāvas Enerģija" — main user, signatory',
        ]
        for choice, header in (
            (0, "🏢 AS Grāmatvedība — additional user"),
            (1, '🏢 SIA "Vējrāvas Enerģija" — main user, signatory'),
        ):
            await ilze.press(listing, buttons(listing)[choice])
            await ilze.reply()  # "You now act for …"
            assert header in (await ilze.reply())["text"]  # the menu, with the client on top
