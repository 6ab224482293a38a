"""No live secret stays readable in the database: after a login through the Mini App and a
registration confirmed by e-mail, every column of every table is searched for the tokens
handed out (login links, the browser's flow cookie, the provider round trip's state, the
e-mail confirmation link) while they still work, and after."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from conftest import PersonFactory
from e2e_support import browser, mini_app_post, polling_bot
from registration_walk import (
    confirmation_link,
    load_register,
    register_ozolkalna,
    settings_with_mail,
)
from smtp_support import SmtpCapture
from sqlalchemy import select

from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import Base
from web.login import COOKIE


def text_of(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


async def readable_secrets(database_url: str, secrets: dict[str, str]) -> list[str]:
    """`table.column: what` for each secret found in plain text anywhere."""
    found = []
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).mappings():
                    for column, value in row.items():
                        text = text_of(value)
                        found += [
                            f"{table.name}.{column}: {what}"
                            for what, secret in secrets.items()
                            if secret in text
                        ]
    finally:
        await database.dispose()
    return found


async def eventually_none_readable(database_url: str, secrets: dict[str, str]) -> None:
    """Rows are marked sent (and scrubbed) in batches every 50 ms, so give it a moment."""
    for _ in range(100):
        found = await readable_secrets(database_url, secrets)
        if not found:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"live secrets readable at rest: {found}")


async def test_no_token_handed_out_stays_readable_in_any_table(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await load_register(database_url)
    anna = await person("Anna", language_code="en")
    secrets: dict[str, str] = {}
    async with SmtpCapture() as smtp:
        settings = settings_with_mail(database_url, emulator.base_url, smtp)
        async with polling_bot(settings), browser() as http:
            # Logging in: the link, Telegram's initData, the flow's cookie and state.
            launch = await anna.login_app()
            secrets["login link"] = launch["url"].rsplit("/", 1)[1]
            secrets["initData hash"] = dict(parse_qsl(launch["init_data"]))["hash"]
            async with mini_app_post(http, launch["launch_url"], allow_redirects=False) as sent:
                assert sent.status == 303
                authorize = sent.headers["Location"]
                secrets["flow cookie"] = sent.cookies[COOKIE].value
            secrets["flow state"] = parse_qs(urlsplit(authorize).query)["state"][0]
            await readable_secrets(database_url, {})  # the scan itself works mid-flow
            form = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
            async with http.post(authorize.split("?")[0], data={**form, "person": "anna"}) as page:
                assert page.status == 200 and "Anna Bērziņa" in await page.text()
            await anna.replies(2)

            # Registering: the confirmation link is live until opened; its e-mail is sent.
            await register_ozolkalna(anna, emu)
            (mail,) = await smtp.wait_for(1)
            link = confirmation_link(mail)
            secrets["confirmation link"] = link.rsplit("/", 1)[1]
            await eventually_none_readable(database_url, secrets)
            async with http.post(link) as page:
                assert page.status == 200
            await anna.replies(2)

            # A fresh login link, left unused: live when the run ends.
            await anna.say("/logout")
            await anna.replies(2)
            unused = await anna.login_app()
            secrets["unused login link"] = unused["url"].rsplit("/", 1)[1]
            await eventually_none_readable(database_url, secrets)
    assert all(len(secret) >= 20 for secret in secrets.values())  # real tokens, not stubs
    assert await readable_secrets(database_url, secrets) == []
