"""Defaults that fail closed: no demo identity provider unless DEMO_MODE is on, and pages
whose forms may lead only to the bot itself and the configured provider."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from conftest import PersonFactory
from e2e_support import BotProcess, bot_settings, browser, demo_login, polling_bot
from saml_support import make_signing_pair

from bot.settings import IdentitySettings, LatvijaSettings, OidcSettings, Settings
from emulator import EmulatorServer


async def test_the_bot_refuses_to_start_with_the_demo_provider_outside_demo_mode(
    database_url: str, emulator: EmulatorServer
) -> None:
    """Nothing configured (APP_ENV unset, IDENTITY_PROVIDER left at its default) is not a
    demo: `altum-bot run` stops, saying what to set, instead of letting anyone log in as
    anyone."""
    process = BotProcess(bot_settings(database_url, emulator.base_url, demo_mode=False))
    try:
        process.start()
        assert process.process is not None
        try:
            exit_code = await asyncio.to_thread(process.process.wait, 30)
        except subprocess.TimeoutExpired:
            pytest.fail("the bot started with the demo identity provider outside demo mode")
        output = process.output()
        assert exit_code == 2, output
        assert "DEMO_MODE" in output and "IDENTITY_PROVIDER=oidc or latvija" in output
    finally:
        process.stop_quietly()


def form_action(policy: str) -> list[str]:
    (directive,) = [d.split() for d in policy.split(";") if d.split()[:1] == ["form-action"]]
    return directive[1:]


async def link_page_policy(settings: Settings, person: PersonFactory) -> list[str]:
    """/login in the chat, open the Mini App: the page's CSP form-action sources."""
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        launch = await anna.login_app()
        async with http.get(launch["launch_url"]) as page:
            assert page.status == 200
            return form_action(page.headers["Content-Security-Policy"])


async def test_demo_pages_let_forms_go_only_to_the_bot(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(database_url, emulator.base_url)
    assert await link_page_policy(settings, person) == ["'self'"]
    # ... which is all the demo login needs: its provider page is the bot's own.
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        status, text = await demo_login(http, (await anna.login_app())["launch_url"], "anna")
        assert status == 200 and "Anna Bērziņa" in text


async def test_oidc_pages_let_forms_go_only_to_the_bot_and_the_issuer(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    settings = bot_settings(
        database_url,
        emulator.base_url,
        demo_mode=False,
        identity=IdentitySettings(provider="oidc"),
        oidc=OidcSettings(
            issuer="https://eidas-demo.eparaksts.lv/trustedx-authserver/oauth/lvrtc-eipsign-as",
            client_id="altum-bot",
            client_secret="altum-bot-secret",
        ),
    )
    assert await link_page_policy(settings, person) == ["'self'", "https://eidas-demo.eparaksts.lv"]


async def test_latvija_pages_let_forms_go_only_to_the_bot_and_the_sts(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    certificate = tmp_path / "sts.pem"
    certificate.write_text(make_signing_pair()[1])
    settings = bot_settings(
        database_url,
        emulator.base_url,
        demo_mode=False,
        identity=IdentitySettings(provider="latvija"),
        latvija=LatvijaSettings(
            sts_url="https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx",
            realm="urn:altum-bot:test",
            certificate=certificate,
        ),
    )
    assert await link_page_policy(settings, person) == ["'self'", "https://epaktv.vraa.gov.lv"]
