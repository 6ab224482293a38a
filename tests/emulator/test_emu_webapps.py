"""Mini App (`web_app`) buttons: validated as Telegram does (https; the emulator also allows
plain http to loopback, like Telegram's test environment), and pressed with initData signed
exactly as Telegram signs it, checked here with aiogram's own validator."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.web_app import check_webapp_signature, safe_parse_webapp_init_data
from emu_support import BOT_ID, TOKEN

from emulator import EmulatorClient, EmulatorError, EmulatorServer

pytestmark = pytest.mark.asyncio


def app_button(url: str, text: str = "Open") -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=text, web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def test_web_app_urls_are_checked_like_telegram(bot: Bot, user: dict[str, Any]) -> None:
    for url in ("https://bot.example.lv/app", "http://127.0.0.1:8080/link/x", "http://localhost/"):
        sent = await bot.send_message(user["id"], "Open", reply_markup=app_button(url))
        assert sent.reply_markup is not None
        web_app = sent.reply_markup.inline_keyboard[0][0].web_app
        assert web_app is not None and web_app.url == url
    refused = {
        "http://bot.example.lv/app": "Only HTTPS links are allowed",
        "http://192.168.1.5:8080/": "Only HTTPS links are allowed",  # not this machine
        "ftp://bot.example.lv/": "Wrong HTTP URL",
        "https:///nohost": "Wrong HTTP URL",
    }
    for url, reason in refused.items():
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_message(user["id"], "Open", reply_markup=app_button(url))
        assert caught.value.message == (
            f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: {reason}"
        )


async def test_a_web_app_button_needs_an_object_with_a_url(
    server: EmulatorServer, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.get_me()
    async with aiohttp.ClientSession() as http:
        for web_app, field in (("https://x.lv", '"web_app"'), ({"link": "https://x.lv"}, '"url"')):
            markup = {"inline_keyboard": [[{"text": "Open", "web_app": web_app}]]}
            async with http.post(
                f"{server.base_url}/bot{TOKEN}/sendMessage",
                json={"chat_id": user["id"], "text": "Open", "reply_markup": markup},
            ) as response:
                answer = await response.json()
            assert response.status == 400
            assert answer["description"].startswith(
                f"Bad Request: can't parse inline keyboard button: Field {field} must be"
            )


async def test_pressing_it_gives_init_data_signed_as_telegram_signs(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await bot.send_message(
        user["id"], "Open", reply_markup=app_button("http://127.0.0.1:8080/link/abc", "Log in")
    )
    launch = await emu.open_web_app(BOT_ID, user["id"], sent.message_id, text="Log in")
    assert launch["url"] == "http://127.0.0.1:8080/link/abc"
    parsed = safe_parse_webapp_init_data(TOKEN, launch["init_data"])  # raises if unsigned
    assert parsed.user is not None and parsed.user.id == user["id"]
    assert (parsed.user.first_name, parsed.user.last_name) == ("Anna", "Bērziņa")
    assert abs(parsed.auth_date.timestamp() - time.time()) < 5
    assert parsed.query_id
    assert "signature" in dict(parse_qsl(launch["init_data"]))  # as Telegram sends it, hashed too

    # The client opens the URL with initData in the fragment, where pages read it.
    address, fragment = launch["launch_url"].split("#", 1)
    assert address == launch["url"] and urlsplit(address).fragment == ""
    params = dict(parse_qsl(fragment))
    assert params["tgWebAppData"] == launch["init_data"] and params["tgWebAppVersion"]

    # Signed for this bot only: another bot's token does not verify it.
    assert not check_webapp_signature(f"{BOT_ID + 1}:{TOKEN.split(':')[1]}", launch["init_data"])
    older = await emu.open_web_app(BOT_ID, user["id"], sent.message_id, age_seconds=3600)
    assert (
        abs(
            safe_parse_webapp_init_data(TOKEN, older["init_data"]).auth_date.timestamp()
            - (time.time() - 3600)
        )
        < 5
    )


async def test_init_data_for_a_user_and_what_cannot_be_pressed(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    other = await emu.create_user(BOT_ID + 1, "Eve")
    with pytest.raises(EmulatorError) as caught:  # that bot never called: its token unknown
        await emu.init_data(BOT_ID + 1, other["id"])
    assert caught.value.status == 409
    await bot.get_me()
    data = await emu.init_data(BOT_ID, user["id"])
    assert check_webapp_signature(TOKEN, data)
    assert not check_webapp_signature(TOKEN, data.replace("Anna", "Anne"))

    plain = await bot.send_message(user["id"], "No app here")
    with pytest.raises(EmulatorError) as caught:
        await emu.open_web_app(BOT_ID, user["id"], plain.message_id)
    assert caught.value.status == 400 and "no web_app button" in caught.value.message
    app = await bot.send_message(user["id"], "App", reply_markup=app_button("https://x.lv/"))
    with pytest.raises(EmulatorError):  # a Mini App button is no callback button
        await emu.press(BOT_ID, user["id"], app.message_id, text="Open")


async def test_the_web_chat_opens_mini_apps_in_a_frame(server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.base_url + "/") as page:
        html = await page.text()
    assert '<iframe id="webapp-frame"' in html and "open_web_app" in html
    assert "launch.launch_url" in html
