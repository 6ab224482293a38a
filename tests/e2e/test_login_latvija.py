"""Logging in through Latvija.lv (WS-Federation, SAML 1.1) end to end: the chat's link, the
page, the redirect to the STS, the signed assertion posted back, and replays refused."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from conftest import PersonFactory
from e2e_support import Person, bot_settings, browser, mini_app_post, polling_bot
from saml_support import NEW_FORMAT_CODE, OTHER_OLD_CODE, make_signing_pair, make_wresult
from sqlalchemy import select
from xmlenc_support import tamper_cipher_value, xmlsec1, xmlsec1_encrypt, xmlsec1_wresult

from bot.settings import IdentitySettings, LatvijaSettings, Settings
from emulator import EmulatorServer
from portal.model import Action
from storage.database import Database
from storage.models import ActivityEventRow, PreviousPersonalCode
from storage.models import Person as PersonRow

STS = "https://sts.latvija.test/sts/wsfed"
REALM = "urn:altum-bot:test"
OLD, NEW = OTHER_OLD_CODE, NEW_FORMAT_CODE


def latvija_settings(
    database_url: str, api_url: str, tmp_path: Path, *, private_key_pem: str | None = None
) -> tuple[Settings, str, str]:
    """Settings for the STS's test key pair; with `private_key_pem`, LATVIJA_PRIVATE_KEY too."""
    key_pem, cert_pem = make_signing_pair()
    certificate = tmp_path / "latvija-sts.pem"
    certificate.write_text(cert_pem)
    private_key = None
    if private_key_pem is not None:
        private_key = tmp_path / "relying-party-key.pem"
        private_key.write_text(private_key_pem)
    settings = bot_settings(
        database_url,
        api_url,
        identity=IdentitySettings(provider="latvija"),
        latvija=LatvijaSettings(
            sts_url=STS, realm=REALM, certificate=certificate, private_key=private_key
        ),
        demo_mode=False,
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


# --- encrypted tokens, signed and encrypted by xmlsec1 (libxmlsec1, not our code) -------------

FIXTURE_CURRENT, FIXTURE_EARLIER = "32345678901", "12345678901"  # omniauth-latvija's fixture


async def test_encrypted_xmlsec1_tokens_link_and_broken_ones_are_refused_in_the_persons_language(
    database_url: str,
    emulator: EmulatorServer,
    person: PersonFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    xmlsec1()  # skip, saying why, where the Debian package is missing
    caplog.set_level(logging.INFO)
    ours, stranger = make_signing_pair("ALTUM bot"), make_signing_pair("someone else")
    settings, sts_key, sts_cert = latvija_settings(
        database_url, emulator.base_url, tmp_path, private_key_pem=ours[0]
    )

    def fixture_shape() -> str:
        return xmlsec1_wresult(
            key_pem=sts_key,
            cert_pem=sts_cert,
            realm=REALM,
            codes=(FIXTURE_CURRENT, FIXTURE_EARLIER),
            authentication_method="urn:ivis:100001:am-swedbank",
        )

    janis = await person("Jānis", language_code="lv")
    async with polling_bot(settings), browser() as http:
        refused = {
            "to another key": xmlsec1_encrypt(fixture_shape(), cert_pem=stranger[1]),
            "tampered": tamper_cipher_value(
                xmlsec1_encrypt(fixture_shape(), cert_pem=ours[1], data="aes128-gcm")
            ),
            "rsa 1.5 not allowed": xmlsec1_encrypt(
                fixture_shape(), cert_pem=ours[1], transport="rsa-1_5"
            ),
        }
        for case, wresult in refused.items():
            query = await to_sts(janis, http)
            status, page = await post_back(http, query, wresult)
            assert status == 400, case
            assert "šifrēto atbildi neizdevās atvērt un pārbaudīt" in page, case
            chat = (await janis.reply())["text"]
            assert "Pieslēgšanās neizdevās" in chat and "šifrēto atbildi" in chat, case
        await janis.say("/client")
        assert "Vispirms pieslēdzieties" in (await janis.reply())["text"]  # still nobody
        refusals = [r for r in caplog.records if r.getMessage() == "login refused"]
        assert [r.fields["refusal"] for r in refusals] == ["decryption_failed"] * 3  # type: ignore[attr-defined]
        assert [r.fields["detail"] for r in refusals] == [  # type: ignore[attr-defined]
            "decryption: no configured key unwraps the session key",
            "decryption: GCM tag does not verify",
            "decryption: key transport algorithm not allowed",
        ]
        key_body = "".join(ours[0].splitlines()[1:-1])
        for secret in (FIXTURE_CURRENT, key_body[:40], key_body[-40:]):
            assert secret not in caplog.text

        query = await to_sts(janis, http)
        wresult = xmlsec1_encrypt(fixture_shape(), cert_pem=ours[1], data="aes256-cbc")
        status, page = await post_back(http, query, wresult)
        assert status == 200 and "Ods Knislis" in page
        assert "Ods Knislis" in (await janis.reply())["text"]
        await janis.reply()  # the clients to choose from

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            (row,) = list(await session.scalars(select(PersonRow)))
            assert row.personal_code == FIXTURE_CURRENT
            assert list(await session.scalars(select(PreviousPersonalCode))) == []
            (linked,) = list(
                await session.scalars(
                    select(ActivityEventRow).where(ActivityEventRow.action == Action.LINKED)
                )
            )
            assert linked.details == {
                "provider": "latvija",
                "authentication_method": "urn:ivis:100001:am-swedbank",
                "assurance_level": "4",
            }
    finally:
        await database.dispose()


async def test_a_real_code_change_in_encrypted_xmlsec1_tokens_keeps_the_person_and_history(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    """Logged in with the old-format code; after the change Latvija.lv sends the new-format
    code (with OriginalIssuer) and the old one: the same person, the old code kept as history."""
    xmlsec1()
    ours = make_signing_pair("ALTUM bot")
    settings, sts_key, sts_cert = latvija_settings(
        database_url, emulator.base_url, tmp_path, private_key_pem=ours[0]
    )
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        for codes, current in (((OLD,), 0), ((OLD, NEW), 1)):
            query = await to_sts(anna, http)
            signed = xmlsec1_wresult(
                key_pem=sts_key,
                cert_pem=sts_cert,
                realm=REALM,
                codes=codes,
                current_code_index=current,
                given_name="ANNA",
                surname="BĒRZIŅA",
            )
            wresult = xmlsec1_encrypt(signed, cert_pem=ours[1], data="aes128-gcm")
            assert (await post_back(http, query, wresult))[0] == 200
            assert "linked as Anna Bērziņa" in (await anna.reply())["text"]
            await anna.reply()
            await anna.say("/logout")
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
