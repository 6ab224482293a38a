"""What Telegram refuses, refused with Telegram's words, as aiogram's exceptions."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from emu_support import BOT_ID, make_bot

from emulator import EmulatorClient, EmulatorServer

pytestmark = pytest.mark.asyncio


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


async def bad_request(call: Any) -> str:
    with pytest.raises(TelegramBadRequest) as caught:
        await call
    return caught.value.message


async def test_empty_and_blank_text(bot: Bot, user: dict[str, Any]) -> None:
    assert await bad_request(bot.send_message(user["id"], "")) == (
        "Bad Request: message text is empty"
    )
    assert await bad_request(bot.send_message(user["id"], " \n ")) == (
        "Bad Request: message text is empty"
    )
    assert await bad_request(bot.send_message(user["id"], "<b> </b>", parse_mode="HTML")) == (
        "Bad Request: message text is empty"
    )


async def test_length_is_counted_after_removing_markup(bot: Bot, user: dict[str, Any]) -> None:
    long_plain = "ā" * 4097
    assert await bad_request(bot.send_message(user["id"], long_plain)) == (
        "Bad Request: message is too long"
    )
    # 4096 visible characters are fine even though the HTML source is longer.
    html = "<b>" + "ā" * 4090 + "</b>&lt;&gt;&amp;" + "x" * 3
    message = await bot.send_message(user["id"], html, parse_mode="HTML")
    assert message.text is not None and len(message.text) == 4096


async def test_caption_limit(bot: Bot, user: dict[str, Any]) -> None:
    from aiogram.types import BufferedInputFile

    document = BufferedInputFile(b"%PDF-1.4", filename="a.pdf")
    text = await bad_request(bot.send_document(user["id"], document, caption="c" * 1025))
    assert text == "Bad Request: message caption is too long"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ],
)
async def test_html_errors(bot: Bot, user: dict[str, Any], html: str, error: str) -> None:
    text = await bad_request(bot.send_message(user["id"], html, parse_mode="HTML"))
    assert text == f"Bad Request: can't parse entities: {error}"


async def test_html_is_parsed_into_entities(bot: Bot, user: dict[str, Any]) -> None:
    html = (
        '😀 <b>bold <i>both</i></b> <a href="https://altum.lv">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> &lt;&amp;&#33; &nbsp;'
    )
    message = await bot.send_message(user["id"], html, parse_mode="HTML")
    assert message.text == "😀 bold both link x = 1 <&! &nbsp;"
    entities = [(e.type, e.offset, e.length) for e in message.entities or []]
    # Offsets are UTF-16 code units: the emoji counts as two.
    assert entities == [
        ("bold", 3, 9),
        ("italic", 8, 4),
        ("text_link", 13, 4),
        ("pre", 18, 5),
    ]
    assert message.entities is not None and message.entities[3].language == "python"


async def test_markdown_v2_reserved_characters(bot: Bot, user: dict[str, Any]) -> None:
    text = await bad_request(bot.send_message(user["id"], "Total: 5.00", parse_mode="MarkdownV2"))
    assert text == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    ok = await bot.send_message(user["id"], "*Total:* 5\\.00", parse_mode="MarkdownV2")
    assert ok.text == "Total: 5.00"


async def test_unsupported_parse_mode(bot: Bot, user: dict[str, Any]) -> None:
    text = await bad_request(bot.send_message(user["id"], "x", parse_mode="Markdown3"))
    assert text == "Bad Request: unsupported parse_mode"


async def test_callback_data_is_limited_in_bytes(bot: Bot, user: dict[str, Any]) -> None:
    fits = keyboard(InlineKeyboardButton(text="ok", callback_data="ā" * 32))  # 64 bytes
    await bot.send_message(user["id"], "fits", reply_markup=fits)
    too_long = keyboard(InlineKeyboardButton(text="no", callback_data="ā" * 33))  # 66 bytes
    text = await bad_request(bot.send_message(user["id"], "x", reply_markup=too_long))
    assert text == "Bad Request: BUTTON_DATA_INVALID"


async def test_inline_button_needs_exactly_one_action(bot: Bot, user: dict[str, Any]) -> None:
    none = keyboard(InlineKeyboardButton(text="plain"))
    text = await bad_request(bot.send_message(user["id"], "x", reply_markup=none))
    assert text == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    both = keyboard(InlineKeyboardButton(text="two", callback_data="a", url="https://altum.lv"))
    text = await bad_request(bot.send_message(user["id"], "x", reply_markup=both))
    assert "exactly one of the optional fields" in text
    empty = keyboard(InlineKeyboardButton(text="", callback_data="a"))
    assert await bad_request(bot.send_message(user["id"], "x", reply_markup=empty)) == (
        "Bad Request: BUTTON_TEXT_INVALID"
    )


async def test_chat_not_found(bot: Bot) -> None:
    assert await bad_request(bot.send_message(424242, "hi")) == "Bad Request: chat not found"
    assert await bad_request(bot.send_message("@someone", "hi")) == "Bad Request: chat not found"


async def test_blocked_user_and_never_started_user(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    await emu.block(BOT_ID, user["id"])
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user["id"], "still there?")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_chat_action(user["id"], "typing")
    stranger = await emu.create_user(BOT_ID, "Stranger")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(stranger["id"], "hello?")


async def test_edit_errors(bot: Bot, user: dict[str, Any]) -> None:
    markup = keyboard(InlineKeyboardButton(text="A", callback_data="a"))
    sent = await bot.send_message(user["id"], "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)
    missing = bot.edit_message_text(text="x", chat_id=user["id"], message_id=999)
    assert await bad_request(missing) == "Bad Request: message to edit not found"
    same = bot.edit_message_text(
        text="<b>Hi</b>",
        parse_mode="HTML",
        chat_id=user["id"],
        message_id=sent.message_id,
        reply_markup=markup,
    )
    assert (await bad_request(same)).startswith("Bad Request: message is not modified: specified")
    same_markup = bot.edit_message_reply_markup(
        chat_id=user["id"], message_id=sent.message_id, reply_markup=markup
    )
    assert "message is not modified" in await bad_request(same_markup)


async def test_edit_without_markup_removes_the_keyboard(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    markup = keyboard(InlineKeyboardButton(text="A", callback_data="a"))
    sent = await bot.send_message(user["id"], "Pick", reply_markup=markup)
    edited = await bot.edit_message_text(
        text="Picked", chat_id=user["id"], message_id=sent.message_id
    )
    assert not isinstance(edited, bool) and edited.reply_markup is None
    (shown,) = await emu.messages(BOT_ID, user["id"], after=sent.message_id - 1)
    assert shown["text"] == "Picked" and shown["edited"] and shown["reply_markup"] is None


async def test_delete_twice(bot: Bot, user: dict[str, Any]) -> None:
    sent = await bot.send_message(user["id"], "bye")
    assert await bot.delete_message(user["id"], sent.message_id)
    again = bot.delete_message(user["id"], sent.message_id)
    assert await bad_request(again) == "Bad Request: message to delete not found"
    edit = bot.edit_message_text(text="x", chat_id=user["id"], message_id=sent.message_id)
    assert await bad_request(edit) == "Bad Request: message to edit not found"


async def test_callback_query_answers(emu: EmulatorClient, bot: Bot, user: dict[str, Any]) -> None:
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert await bad_request(bot.answer_callback_query("12345")) == invalid
    sent = await bot.send_message(
        user["id"], "Pick", reply_markup=keyboard(InlineKeyboardButton(text="A", callback_data="a"))
    )
    fresh = await emu.press(BOT_ID, user["id"], sent.message_id, text="A")
    assert await bot.answer_callback_query(fresh["callback_query_id"], text="Done")
    assert await bad_request(bot.answer_callback_query(fresh["callback_query_id"])) == invalid
    stale = await emu.forge_callback(BOT_ID, user["id"], sent.message_id, "a", age_seconds=16 * 60)
    assert await bad_request(bot.answer_callback_query(stale["callback_query_id"])) == invalid


async def test_reply_keyboard_and_removal(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Latviešu")]], resize_keyboard=True)
    sent = await bot.send_message(user["id"], "Language?", reply_markup=kb)
    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    view = await emu.chat_view(BOT_ID, user["id"])
    assert view["reply_keyboard"]["keyboard"] == [[{"text": "Latviešu"}]]


async def test_commands_per_scope_and_language(bot: Bot, user: dict[str, Any]) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Sākt")], language_code="lv")
    scope = BotCommandScopeChat(chat_id=user["id"])
    await bot.set_my_commands([BotCommand(command="help", description="Help")], scope=scope)
    assert [c.command for c in await bot.get_my_commands(language_code="lv")] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["help"]
    assert await bot.get_my_commands() == []
    await bot.delete_my_commands(scope=scope)
    assert await bot.get_my_commands(scope=scope) == []
    bad = bot.set_my_commands([BotCommand(command="Start-Now", description="x")])
    assert await bad_request(bad) == "Bad Request: BOT_COMMAND_INVALID"


async def test_unknown_method_and_bad_tokens(server: EmulatorServer, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/bot{bot.token}/sendTelepathy") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
        async with http.get(f"{server.base_url}/botnot-a-token/getMe") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    await bot.get_me()
    impostor = make_bot(server.base_url, f"{BOT_ID}:AAF-a-different-secret-part-0123456789x")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await impostor.get_me()
    finally:
        await impostor.session.close()


async def test_unknown_method_through_aiogram(bot: Bot) -> None:
    from aiogram.methods import SendDice

    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot(SendDice(chat_id=1))


async def test_chat_action_must_be_known(bot: Bot, user: dict[str, Any]) -> None:
    wrong = bot.send_chat_action(user["id"], "dancing")
    assert await bad_request(wrong) == "Bad Request: wrong parameter action in request"
    assert await bot.send_chat_action(user["id"], "typing")


async def test_webhook_secret_token_rules(bot: Bot) -> None:
    wrong = bot.set_webhook("http://127.0.0.1:9/hook", secret_token="has spaces")
    assert await bad_request(wrong) == "Bad Request: secret token contains unallowed characters"
    long = bot.set_webhook("http://127.0.0.1:9/hook", secret_token="a" * 257)
    assert await bad_request(long) == "Bad Request: secret token is too long"


async def test_replies_need_an_existing_message(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    asked = await emu.send_text(BOT_ID, user["id"], "Kāds ir mans atlikums?")
    answer = await bot.send_message(
        user["id"], "120 EUR", reply_parameters=ReplyParameters(message_id=asked["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Kāds ir mans atlikums?"
    missing = bot.send_message(user["id"], "x", reply_parameters=ReplyParameters(message_id=999))
    assert await bad_request(missing) == "Bad Request: message to be replied not found"
    lenient = ReplyParameters(message_id=999, allow_sending_without_reply=True)
    assert (await bot.send_message(user["id"], "ok", reply_parameters=lenient)).text == "ok"
