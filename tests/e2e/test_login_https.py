"""The login on https, as production serves it: the flow cookie is Secure, SameSite=None and
Partitioned, and setting it works on this Python (http.cookies knows `Partitioned` only from
3.14: asking aiohttp for it raised CookieError, and every https login answered 500).

The bot's public address is https (behind a TLS proxy); the test talks to its own port in
plain http, sending what a browser on that address would send."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from conftest import PersonFactory
from e2e_support import bot_settings, browser, free_port, mini_app_post, polling_bot

from emulator import EmulatorServer

PUBLIC = "https://bot.altum.test"


async def test_an_https_login_sets_a_partitioned_cookie_and_links_the_person(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    port = free_port()
    local = f"http://127.0.0.1:{port}"
    settings = bot_settings(database_url, emulator.base_url, web_port=port, public_url=PUBLIC)
    anna = await person("Anna", language_code="en")
    async with polling_bot(settings), browser() as http:
        launch = await anna.login_app()
        assert launch["url"].startswith(PUBLIC + "/link/")
        page = launch["launch_url"].replace(PUBLIC, local)
        same_site = {"Sec-Fetch-Site": "same-origin"}
        async with mini_app_post(
            http, page, origin=PUBLIC, headers=same_site, allow_redirects=False
        ) as answer:
            assert answer.status == 303, await answer.text()
            authorize = answer.headers["Location"]
            (cookie,) = answer.headers.getall("Set-Cookie")
        attributes = [part.strip() for part in cookie.split(";")]
        name, _, session = attributes[0].partition("=")
        assert name == "altum_login" and session
        assert {"Path=/auth", "HttpOnly", "Secure", "SameSite=None", "Partitioned"} <= set(
            attributes
        ), cookie

        query = dict(parse_qsl(urlsplit(authorize).query))
        async with http.post(
            local + "/demo/authorize", data={**query, "person": "anna"}, allow_redirects=False
        ) as answer:
            callback = answer.headers["Location"]
        assert callback.startswith(PUBLIC + "/auth/callback")
        async with http.get(
            callback.replace(PUBLIC, local), headers={"Cookie": f"altum_login={session}"}
        ) as answer:
            assert answer.status == 200, await answer.text()
            (cleared,) = answer.headers.getall("Set-Cookie")
        assert "Max-Age=0" in cleared and cleared.endswith("; Partitioned"), cleared
        linked = await anna.reply()
        assert "Bērziņa" in linked["text"], linked["text"]
