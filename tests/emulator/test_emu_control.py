"""The control API: users acting, the calls log, chat views, redelivery, the web page."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramServerError
from aiogram.types import (
    BufferedInputFile,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from emu_support import BOT_ID, TOKEN, make_bot

from emulator import EmulatorClient, EmulatorError, EmulatorServer

pytestmark = pytest.mark.asyncio


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Latviešu", callback_data="lang:lv"),
                InlineKeyboardButton(text="English", callback_data="lang:en"),
            ],
            [InlineKeyboardButton(text="Portāls", url="https://mans.altum.lv")],
        ]
    )


async def test_press_by_text_or_data_carries_the_whole_message(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await bot.send_message(user["id"], "Valoda?", reply_markup=language_keyboard())
    by_text = await emu.press(BOT_ID, user["id"], sent.message_id, text="Latviešu")
    by_data = await emu.press(BOT_ID, user["id"], sent.message_id, data="lang:en")
    assert (by_text["data"], by_data["data"]) == ("lang:lv", "lang:en")
    first, second = await bot.get_updates()
    query = first.callback_query
    assert query is not None and query.id == by_text["callback_query_id"]
    assert query.data == "lang:lv" and query.chat_instance
    assert query.from_user.id == user["id"]
    assert isinstance(query.message, type(sent)) and query.message.text == "Valoda?"
    assert query.message.reply_markup is not None
    assert query.message.reply_markup.model_dump() == language_keyboard().model_dump()
    assert second.callback_query is not None
    assert second.callback_query.chat_instance == query.chat_instance


async def test_pressing_what_is_not_there_is_refused(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await bot.send_message(user["id"], "Valoda?", reply_markup=language_keyboard())
    with pytest.raises(EmulatorError, match="no button with text='Русский'") as caught:
        await emu.press(BOT_ID, user["id"], sent.message_id, text="Русский")
    assert caught.value.status == 400
    with pytest.raises(EmulatorError, match="has no callback_data"):
        await emu.press(BOT_ID, user["id"], sent.message_id, text="Portāls")
    await bot.delete_message(user["id"], sent.message_id)
    with pytest.raises(EmulatorError, match="not found"):
        await emu.press(BOT_ID, user["id"], sent.message_id, text="English")
    with pytest.raises(EmulatorError, match="not found") as missing_user:
        await emu.send_text(BOT_ID, 1, "who am I")
    assert missing_user.value.status == 404


async def test_an_empty_file_only_when_asked_for(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    """Telegram's apps send no empty file; a test may still send a 0 B document explicitly."""
    for send in (emu.send_document, emu.send_photo):
        with pytest.raises(EmulatorError, match="the file is empty") as refused:
            await send(BOT_ID, user["id"], b"")
        assert refused.value.status == 400
    with pytest.raises(EmulatorError, match="the file is empty"):  # never an empty photo
        await emu._upload(BOT_ID, user["id"], "photos", b"", "p.jpg", None, None, True)
    sent = await emu.send_document(BOT_ID, user["id"], b"", "tukss.pdf", allow_empty=True)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert (document.file_id, document.file_size, document.file_name) == (
        sent["file_id"],
        0,
        "tukss.pdf",
    )
    downloaded = io.BytesIO()
    await bot.download(document.file_id, downloaded)
    assert downloaded.getvalue() == b""


async def test_forged_callback_on_a_deleted_message(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await bot.send_message(user["id"], "Valoda?", reply_markup=language_keyboard())
    await bot.delete_message(user["id"], sent.message_id)
    forged = await emu.forge_callback(BOT_ID, user["id"], sent.message_id, "admin:drop_tables")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "admin:drop_tables"
    assert query.id == forged["callback_query_id"]
    assert isinstance(query.message, InaccessibleMessage)
    assert query.message.message_id == sent.message_id


async def test_redelivered_update_reaches_a_restarted_poller(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await emu.send_text(BOT_ID, user["id"], "pay 10 EUR")
    (update,) = await bot.get_updates()
    assert await bot.get_updates(offset=update.update_id + 1) == []  # confirmed
    await emu.redeliver(BOT_ID, sent["update_id"])
    # A bot restarting without an offset sees the very same update again.
    (again,) = await bot.get_updates()
    assert again.update_id == update.update_id
    assert again.message is not None and again.message.text == "pay 10 EUR"
    with pytest.raises(EmulatorError) as caught:
        await emu.redeliver(BOT_ID, 1)
    assert caught.value.status == 404


async def test_injected_updates_go_out_exactly_as_given(
    server: EmulatorServer, emu: EmulatorClient, user: dict[str, Any]
) -> None:
    """For updates a library may not parse: fields kept as they are, ids the world's own."""
    odd = {
        "message": {"message_id": 7, "chat": {"id": user["id"], "type": "private"}},
        "poll": {"id": "p1"},
        "update_id": 1,  # not the sender's to choose
    }
    first = await emu.inject_update(BOT_ID, odd)
    second = await emu.inject_update(BOT_ID, {"business_message": [1, "two", None]})
    assert first["queued"] and second["update_id"] == first["update_id"] + 1
    filtered = await emu.inject_update(BOT_ID, {"chat_member": {}})  # not allowed by default
    assert not filtered["queued"]
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}/bot{TOKEN}/getUpdates"
        async with http.post(url, json={}) as response:
            answer = await response.json()
    assert answer["result"] == [
        {"update_id": first["update_id"], "message": odd["message"], "poll": {"id": "p1"}},
        {"update_id": second["update_id"], "business_message": [1, "two", None]},
    ]
    confirm = {"offset": second["update_id"] + 1}
    async with aiohttp.ClientSession() as http, http.post(url, json=confirm) as response:
        assert (await response.json())["result"] == []  # both confirmed
    await emu.redeliver(BOT_ID, first["update_id"])
    assert await emu.pending_updates(BOT_ID) == answer["result"][:1]  # a copy: the same JSON
    for refused in ({}, {"update_id": 5}):
        with pytest.raises(EmulatorError) as caught:
            await emu.inject_update(BOT_ID, refused)
        assert caught.value.status == 400


async def test_calls_log_filters_and_waits(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    other = await emu.create_user(BOT_ID, "Jānis", started=True)
    await bot.send_message(user["id"], "one")
    mark = await emu.last_seq(BOT_ID)

    async def later() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(other["id"], "two")
        await bot.send_message(user["id"], "three")

    task = asyncio.create_task(later())
    calls = await emu.calls(BOT_ID, method="sendMessage", chat_id=user["id"], since=mark, wait=5)
    await task
    assert [c["params"]["text"] for c in calls] == ["three"]
    call = calls[0]
    assert call["seq"] > mark and call["ok"] and call["status"] == 200
    assert call["params"]["chat_id"] == user["id"]  # decoded from the form field
    assert call["result"]["text"] == "three"
    everything = await emu.calls(BOT_ID, since=0)
    assert [c["method"] for c in everything] == ["sendMessage"] * 3
    assert await emu.calls(BOT_ID, method="deleteMessage", wait=0.2) == []


async def test_calls_log_decodes_json_fields(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.send_message(user["id"], "Valoda?", reply_markup=language_keyboard())
    (call,) = await emu.calls(BOT_ID, method="sendMessage")
    markup = call["params"]["reply_markup"]
    assert markup["inline_keyboard"][0][0] == {"text": "Latviešu", "callback_data": "lang:lv"}


async def test_the_token_is_never_recorded_or_logged(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logged = EmulatorServer(config=server.config, access_log=True)
    url = await logged.start()
    bot = make_bot(url)
    try:
        async with EmulatorClient(url) as client:
            someone = await client.create_user(BOT_ID, "Anna", started=True)
            await bot.send_message(someone["id"], "hi")
            await bot.get_updates()
            sent = await bot.send_document(someone["id"], BufferedInputFile(b"x", "x.txt"))
            assert sent.document is not None
            await bot.download(sent.document.file_id, io.BytesIO())
            await client.add_fault(BOT_ID, "getMe", status=500)
            with pytest.raises(TelegramServerError):
                await bot.get_me()
            dump = json.dumps(await client.calls(BOT_ID))
    finally:
        await bot.session.close()
        await logged.stop()
    secret = TOKEN.split(":", 1)[1]
    assert "getUpdates" in dump and secret not in dump
    assert "/bot<redacted>/sendMessage" in caplog.text
    assert "/file/bot<redacted>/documents/" in caplog.text
    assert secret not in caplog.text


async def test_messages_show_both_directions_with_flags(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    asked = await emu.send_text(BOT_ID, user["id"], "/start")
    hello = await bot.send_message(user["id"], "Sveiki!", reply_markup=language_keyboard())
    await bot.edit_message_text(
        text="Sveiki, Anna!", chat_id=user["id"], message_id=hello.message_id
    )
    gone = await bot.send_message(user["id"], "temporary")
    await bot.delete_message(user["id"], gone.message_id)
    shown = await emu.messages(BOT_ID, user["id"])
    assert [m["message_id"] for m in shown] == [asked["message_id"], hello.message_id, 3]
    assert [m["from_bot"] for m in shown] == [False, True, True]
    assert shown[1]["text"] == "Sveiki, Anna!" and shown[1]["edited"]
    assert shown[2]["deleted"]
    visible = await emu.messages(BOT_ID, user["id"], include_deleted=False)
    assert len(visible) == 2


async def test_next_bot_message_waits_and_times_out(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await emu.send_text(BOT_ID, user["id"], "/start")

    async def reply() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(user["id"], "Sveiki!")

    task = asyncio.create_task(reply())
    message = await emu.next_bot_message(BOT_ID, user["id"], after=sent["message_id"], timeout=5)
    await task
    assert message["text"] == "Sveiki!" and message["from_bot"]
    with pytest.raises(TimeoutError):
        await emu.next_bot_message(BOT_ID, user["id"], after=message["message_id"], timeout=0.3)


async def test_json_and_urlencoded_bodies_work(
    server: EmulatorServer, user: dict[str, Any]
) -> None:
    url = f"{server.base_url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"chat_id": user["id"], "text": "json"}) as response:
            assert (await response.json())["result"]["text"] == "json"
        form = {"chat_id": str(user["id"]), "text": "form"}
        async with http.post(url, data=form) as response:
            assert (await response.json())["result"]["text"] == "form"
        async with http.get(url, params={"chat_id": user["id"], "text": "query"}) as response:
            assert (await response.json())["result"]["text"] == "query"


async def test_user_ids_can_be_chosen_and_listed(emu: EmulatorClient) -> None:
    chosen = await emu.create_user(BOT_ID, "Pēteris", user_id=777, language_code="en")
    assert chosen["id"] == 777 and chosen["language_code"] == "en" and not chosen["started"]
    with pytest.raises(EmulatorError) as caught:
        await emu.create_user(BOT_ID, "Again", user_id=777)
    assert caught.value.status == 409
    assert [u["id"] for u in await emu.users(BOT_ID)] == [777]


async def test_web_chat_page_is_self_contained(server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.base_url + "/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        page = await response.text()
    assert "<script>" in page and "/control" in page
    assert "http://" not in page.replace("https?:\\/\\/", "")  # no external resources
    assert 'src="http' not in page and "cdn" not in page.lower()
