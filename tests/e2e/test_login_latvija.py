"""Logging in through Latvija.lv (WS-Federation, SAML 1.1) end to end: the chat's link, the
page, the redirect to the STS, the signed assertion posted back, and replays refused."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, mini_app_post, polling_bot
from saml_support import NEW_FORMAT_CODE, OTHER_OLD_CODE, make_signing_pair, make_wresult
from sqlalchemy import select

from bot.settings import IdentitySettings, LatvijaSettings, Settings
from emulator import EmulatorServer
from storage.database import Database
from storage.models import Person as PersonRow
from storage.models import PreviousPersonalCode

STS = "https://sts.latvija.test/sts/wsfed"
REALM = "urn:altum-bot:test"
OLD, NEW = OTHER_OLD_CODE, NEW_FORMAT_CODE


def latvija_settings(database_url: str, api_url: str, tmp_path: Path) -> tuple[Settings, str, str]:
    key_pem, cert_pem = make_signing_pair()
    certificate = tmp_path / "latvija-sts.pem"
    certificate.write_text(cert_pem)
    settings = bot_settings(
        database_url,
        api_url,
        identity=IdentitySettings(provider="latvija"),
        latvija=LatvijaSettings(sts_url=STS, realm=REALM, certificate=certificate),
    )
    return settings, key_pem, cert_pem


async def to_sts(someone: Person, http: aiohttp.ClientSession) -> dict[str, str]:
    """/login, open the Mini App: where the bot sends the browser (not followed)."""
    launch = await someone.login_app()
    async with mini_app_post(http, launch["launch_url"], allow_redirects=False) as response:
        assert response.status == 303
        location = response.headers["Location"]
    assert location.startswith(STS + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["wa"] == "wsignin1.0" and query["wtrealm"] == REALM
    return query


async def post_back(
    http: aiohttp.ClientSession, query: dict[str, str], wresult: str
) -> tuple[int, str]:
    form = {"wa": "wsignin1.0", "wresult": wresult, "wctx": query["wctx"]}
    async with http.post(query["wreply"], data=form) as response:
        return response.status, await response.text()


async def test_latvija_login_links_the_person_and_a_replay_is_refused(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    settings, key_pem, cert_pem = latvija_settings(database_url, emulator.base_url, tmp_path)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        query = await to_sts(anna, http)
        wresult = make_wresult(
            key_pem=key_pem,
            cert_pem=cert_pem,
            realm=REALM,
            codes=("12058412349", OTHER_OLD_CODE),
        )
        status, page = await post_back(http, query, wresult)
        assert status == 200 and "Anna Bērziņa" in page  # upper-case surname made readable
        assert "linked as Anna Bērziņa" in (await anna.reply())["text"]
        await anna.reply()  # the clients to choose from

        # Someone who captured the assertion posts it through a link and flow of their own.
        mallory = await person("Mallory", language_code="en")
        async with browser() as other:
            query = await to_sts(mallory, other)
            status, page = await post_back(other, query, wresult)
        assert status == 400
        assert "Logging in failed" in (await mallory.reply())["text"]
        await mallory.say("/client")
        assert "First log in" in (await mallory.reply())["text"]


async def test_latvija_refuses_tampered_foreign_and_mismatched_answers(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    settings, key_pem, cert_pem = latvija_settings(database_url, emulator.base_url, tmp_path)
    other_key, other_cert = make_signing_pair("someone else")
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        cases = [
            make_wresult(key_pem=other_key, cert_pem=other_cert, realm=REALM),  # wrong signer
            make_wresult(key_pem=key_pem, cert_pem=cert_pem, realm="urn:someone-else"),
            make_wresult(
                key_pem=key_pem,
                cert_pem=cert_pem,
                realm=REALM,
                subject="PK:120584-12349-UR:40103999940",
            ),
        ]
        for wresult in cases:
            query = await to_sts(anna, http)
            status, _ = await post_back(http, query, wresult)
            assert status == 400
            assert "Logging in failed" in (await anna.reply())["text"]
        # The right token with another browser session's wctx: refused.
        query = await to_sts(anna, http)
        good = make_wresult(key_pem=key_pem, cert_pem=cert_pem, realm=REALM)
        status, _ = await post_back(http, {**query, "wctx": "forged"}, good)
        assert status == 400
        await anna.reply()
        await anna.say("/client")
        assert "First log in" in (await anna.reply())["text"]


async def test_a_personal_code_change_keeps_the_same_person(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    """After a code change Latvija.lv sends the new code (with OriginalIssuer) and the old
    one: the bot finds the person by the old code and keeps it as history."""
    settings, key_pem, cert_pem = latvija_settings(database_url, emulator.base_url, tmp_path)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        query = await to_sts(anna, http)
        before = make_wresult(key_pem=key_pem, cert_pem=cert_pem, realm=REALM, codes=(OLD,))
        assert (await post_back(http, query, before))[0] == 200
        await anna.replies(2)
        await anna.say("/logout")
        await anna.replies(2)
        query = await to_sts(anna, http)
        after = make_wresult(
            key_pem=key_pem, cert_pem=cert_pem, realm=REALM, codes=(OLD, NEW), current_code_index=1
        )
        assert (await post_back(http, query, after))[0] == 200
        await anna.replies(2)
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            (row,) = list(await session.scalars(select(PersonRow)))
            assert row.personal_code == NEW
            history = list(await session.scalars(select(PreviousPersonalCode)))
            assert [(h.personal_code, h.person_id) for h in history] == [(OLD, row.id)]
    finally:
        await database.dispose()
