"""The reported attack, tried every way: someone asks the bot for a login link in their own
chat and gets another person to open it. The link opens as a Telegram Mini App and is used
only with Telegram's signed proof that its own user opened it; anything else (a browser, a
foreign site, another account's proof, a stale or forged one) links nobody and uses nothing
up, and says in the reader's language how to log in from the chat."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    bot_settings,
    browser,
    demo_login,
    mini_app_post,
    polling_bot,
)
from sqlalchemy import select

from emulator import EmulatorClient, EmulatorServer
from portal.miniapp import secret_key, sign
from storage.database import Database
from storage.models import LoginFlow, LoginLink, TelegramAccountRow

IN_TELEGRAM_ONLY = "This page works only inside Telegram"
IN_TELEGRAM_ONLY_LV = "Šī lapa darbojas tikai Telegram"
OTHER_ACCOUNT_LV = "Šī pieslēgšanās saite ir izveidota citam Telegram kontam"


async def state(database_url: str) -> dict[str, Any]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return {
                "unused_links": len(
                    list(
                        await session.scalars(
                            select(LoginLink).where(LoginLink.consumed_at.is_(None))
                        )
                    )
                ),
                "flows": len(list(await session.scalars(select(LoginFlow)))),
                "linked": list(
                    await session.scalars(
                        select(TelegramAccountRow.telegram_user_id).where(
                            TelegramAccountRow.person_id.is_not(None)
                        )
                    )
                ),
            }
    finally:
        await database.dispose()


async def test_a_login_link_opened_by_anyone_but_its_user_links_nobody(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    mallory = await person("ALTUM verification", language_code="en")  # the attacker's chat
    anna = await person("Anna", language_code="lv")  # whom the link is sent to
    async with polling_bot(settings), browser() as http:
        launch = await mallory.login_app()
        link = launch["url"]  # what a forwarded link or a copied URL gives the reader
        before = await state(database_url)
        assert before == {"unused_links": 1, "flows": 0, "linked": []}

        # In a browser the page names nobody, and its script finds no initData to post.
        async with http.get(link) as page:
            assert page.status == 200 and "ALTUM verification" not in await page.text()
        for language, expected in (
            ("lv", IN_TELEGRAM_ONLY_LV),
            ("en-GB,en;q=0.8", IN_TELEGRAM_ONLY),
        ):
            language_header = {"Accept-Language": language}
            async with mini_app_post(http, link, headers=language_header) as page:
                text = await page.text()
                assert page.status == 403 and expected in text and "/login" in text

        # Another site's page posting to the link, even with its user's genuine initData.
        for origin in ("https://evil.example", "null"):
            async with mini_app_post(http, launch["launch_url"], origin=origin) as page:
                assert page.status == 403 and IN_TELEGRAM_ONLY_LV in await page.text()

        # Another site navigating here (another bot's Mini App sending its web view on).
        navigated = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document"}
        async with http.get(launch["launch_url"], headers=navigated) as page:
            assert page.status == 403 and "tgWebAppData" not in await page.text()

        # Opened in Telegram by someone else: genuine initData, but of another account.
        anna_data = await emu.init_data(BOT_ID, anna.user_id)
        async with mini_app_post(http, link, init_data=anna_data) as page:
            assert page.status == 403 and OTHER_ACCOUNT_LV in await page.text()

        # The link's own user, but initData too old, or altered, or of another bot.
        stale = await mallory.open_web_app(await mallory.message(mallory.seen), age_seconds=600)
        async with mini_app_post(http, stale["launch_url"]) as page:
            assert page.status == 403 and "opened too long ago" in await page.text()
        forged = launch["init_data"].replace(str(mallory.user_id), str(anna.user_id))
        fields = dict(parse_qsl(launch["init_data"]))
        fields["hash"] = sign(fields, secret_key("111:another-bot-token-abcdefghijklmnopqrstu"))
        other_bot = urlencode(fields)
        for data in (forged, launch["init_data"].replace("hash=", "hash=0"), other_bot):
            async with mini_app_post(http, link, init_data=data) as page:
                assert page.status == 403 and IN_TELEGRAM_ONLY_LV in await page.text()

        # Nothing was used up or linked; the link still works for its own user only.
        assert await state(database_url) == before
        async with mini_app_post(http, launch["launch_url"], allow_redirects=False) as page:
            assert page.status == 303
        assert (await state(database_url))["unused_links"] == 0

        # A callback without this browser's flow (the victim's browser) links nobody.
        async with (
            browser() as victim,
            victim.get(settings.public_url + "/auth/callback?state=x&person=anna") as page,
        ):
            assert page.status == 400
    assert (await state(database_url))["linked"] == []


async def test_the_chat_offers_a_mini_app_and_its_user_logs_in(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    """The normal flow as the web chat runs it: Telegram opens the button's URL with
    initData in the fragment; the page posts it; the demo provider; linked."""
    settings = bot_settings(database_url, emulator.base_url)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        await anna.say("/login")
        offer = await anna.reply()
        (button,) = offer["reply_markup"]["inline_keyboard"][0]
        assert set(button) == {"text", "web_app"}  # no plain URL button to forward
        assert button["web_app"]["url"].startswith(settings.public_url + "/link/")
        launch = await anna.open_web_app(offer)
        assert "#tgWebAppData=" in launch["launch_url"]
        status, page = await demo_login(http, launch["launch_url"], "anna")
        assert status == 200 and "Anna Bērziņa" in page
        assert "linked as Anna Bērziņa" in (await anna.reply())["text"]
    assert (await state(database_url))["linked"] == [anna.user_id]
