"""Logging in through OpenID Connect (eParaksts preset) end to end: the chat's link, the
bot's page, a real provider (node-oidc-provider) with PKCE, and back to the chat."""

from __future__ import annotations

import aiohttp
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, free_port, mini_app_post, polling_bot
from oidc_support import OidcTestProvider, browser_login

from bot.settings import IdentitySettings, OidcSettings, Settings
from emulator import EmulatorServer

ACCOUNTS = {
    "anna": {
        "serial_number": "PNOLV-120584-12349",
        "given_name": "Anna",
        "family_name": "Bērziņa",
        "domain": "citizen",
    },
    "estonian": {"serial_number": "PNOEE-38001085718", "given_name": "Mari", "family_name": "Tamm"},
}


def oidc_settings(database_url: str, api_url: str, port: int, issuer: str) -> Settings:
    return bot_settings(
        database_url,
        api_url,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        identity=IdentitySettings(provider="oidc"),
        oidc=OidcSettings(
            issuer=issuer,
            client_id="altum-bot",
            client_secret="altum-bot-secret",
            preset="eparaksts",
            timeout_seconds=5,
        ),
        demo_mode=False,
    )


async def to_provider(someone: Person, http: aiohttp.ClientSession) -> str:
    launch = await someone.login_app()
    async with mini_app_post(http, launch["launch_url"], allow_redirects=False) as response:
        assert response.status == 303, await response.text()
        return response.headers["Location"]


async def test_eparaksts_login_links_the_person(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/auth/callback"
    async with OidcTestProvider(redirect_uris=[callback], accounts=ACCOUNTS) as idp:
        settings = oidc_settings(database_url, emulator.base_url, port, idp.issuer)
        anna = await person("Anna", language_code="en")
        mari = await person("Mari", language_code="en")
        async with polling_bot(settings), browser() as http:
            authorize = await to_provider(anna, http)
            assert authorize.startswith(idp.issuer) and "code_challenge_method=S256" in authorize
            back = await browser_login(http, authorize, "anna")
            async with http.get(back) as page:
                assert page.status == 200 and "Anna Bērziņa" in await page.text()
            assert "linked as Anna Bērziņa" in (await anna.reply())["text"]
            await anna.reply()  # the clients to choose from

            # The same callback again (a replayed code, this browser's flow already used).
            async with http.get(back) as page:
                assert page.status == 400

            # A foreign (Estonian) eID is not a Latvian personal code.
            async with browser() as other:
                back = await browser_login(other, await to_provider(mari, other), "estonian")
                async with other.get(back) as page:
                    assert page.status == 400
            assert "valid Latvian personal code" in (await mari.reply())["text"]

            # The person cancels at the provider.
            async with browser() as other:
                authorize = await to_provider(mari, other)
                back = await browser_login(other, authorize, "anna", consent=False)
                async with other.get(back) as page:
                    assert page.status == 400 and "cancelled" in await page.text()
            assert "You cancelled logging in" in (await mari.reply())["text"]


async def test_provider_down_leaves_the_link_usable(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    port, dead = free_port(), free_port()
    settings = oidc_settings(database_url, emulator.base_url, port, f"http://127.0.0.1:{dead}")
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        launch = await anna.login_app()
        post = mini_app_post(http, launch["launch_url"], allow_redirects=False)
        async with post as response:
            assert response.status == 503
            assert "not answering" in await response.text()
        async with http.get(launch["launch_url"]) as response:  # not used up: try again later
            assert response.status == 200


async def test_generic_broker_a_company_signatory_is_refused_and_a_person_linked(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    """A broker in front of Latvija.lv: who logged in is the NameIdentifier it passes on
    (OIDC_SUBJECT_CLAIM), not a `PK:` made from the personal-code claim."""
    accounts = {
        "board": {  # logged in at Latvija.lv for her company
            "given_name": "Anna",
            "family_name": "Bērziņa",
            "personal_code": "120584-12349",
            "name_identifier": "PK:120584-12349-UR:40103999940",
        },
        "anna": {
            "given_name": "Anna",
            "family_name": "Bērziņa",
            "personal_code": "120584-12349",
            "name_identifier": "PK:120584-12349",
        },
    }
    port = free_port()
    callback = f"http://127.0.0.1:{port}/auth/callback"
    async with OidcTestProvider(redirect_uris=[callback], accounts=accounts) as idp:
        settings = bot_settings(
            database_url,
            emulator.base_url,
            web_port=port,
            public_url=f"http://127.0.0.1:{port}",
            demo_mode=False,
            identity=IdentitySettings(provider="oidc"),
            oidc=OidcSettings(
                issuer=idp.issuer,
                client_id="altum-bot",
                client_secret="altum-bot-secret",
                preset="generic",
                subject_claim="name_identifier",
                timeout_seconds=5,
            ),
        )
        anna = await person("Anna", language_code="en")
        async with polling_bot(settings):
            async with browser() as http:
                back = await browser_login(http, await to_provider(anna, http), "board")
                async with http.get(back) as page:
                    assert page.status == 400
            assert "Only natural persons can log in" in (await anna.reply())["text"]
            async with browser() as http:
                back = await browser_login(http, await to_provider(anna, http), "anna")
                async with http.get(back) as page:
                    assert page.status == 200 and "Anna Bērziņa" in await page.text()
            assert "linked as Anna Bērziņa" in (await anna.reply())["text"]
