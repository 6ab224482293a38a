"""The outbox keeps a message's secrets (a login or confirmation link's token) readable only
while it still has to send them: once a row is sent or given up its payload is the scrubbed
one, and a row whose link died unsent is not sent at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from sqlalchemy import select

from bot.delivery.outbox import OutboxSender
from dialogs.outgoing import Queued
from storage.database import Database
from storage.models import OutboxMessage
from storage.repositories import Outbox

TOKEN = "hJ3k9-secret-token-of-a-login-link_Qw"
BOT_TOKEN = "987654321:altum-test-token-0123456789abcdefghijklmn"


def login_message() -> SendMessage:
    button = InlineKeyboardButton(
        text="Log in", web_app=WebAppInfo(url=f"https://bot.example.lv/link/{TOKEN}")
    )
    return SendMessage(
        chat_id=7, text="Log in", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
    )


async def stored(database: Database) -> list[OutboxMessage]:
    async with database.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_secrets_are_scrubbed_once_a_row_is_sent_or_failed(database: Database) -> None:
    sender = OutboxSender(database, Bot(BOT_TOKEN), lease=timedelta(seconds=60))
    async with database.transaction() as session:
        outbox = Outbox(session)
        rows = await sender.queue(
            outbox,
            [
                Queued(7, login_message(), secrets=(TOKEN,)),
                Queued(7, SendMessage(chat_id=7, text="Labdien")),
            ],
        )
        rows += await sender.queue_email(
            outbox,
            to="anna@example.lv",
            subject="Apstipriniet",
            text=f"Open https://bot.example.lv/confirm/{TOKEN} to confirm.",
            secrets=(TOKEN,),
        )
    login, plain, mail = rows
    assert TOKEN in json.dumps(login.payload) and TOKEN in mail.payload["text"]  # to be sent
    assert all(TOKEN in json.dumps(row.payload) for row in (await stored(database))[::2])

    async with database.transaction() as session:
        await Outbox(session).mark_sent([login.id, plain.id])
        await Outbox(session).mark_failed(mail.id, "550 no such mailbox")

    after = await stored(database)
    assert all(TOKEN not in json.dumps([row.payload, row.scrubbed_payload]) for row in after)
    assert all(row.scrubbed_payload is None for row in after)
    button = after[0].payload["params"]["reply_markup"]["inline_keyboard"][0][0]
    assert button["web_app"]["url"] == "https://bot.example.lv/link/[redacted]"
    assert after[1].payload == plain.payload  # nothing to hide: kept as it was
    assert after[2].payload["text"] == "Open https://bot.example.lv/confirm/[redacted] to confirm."
    assert after[2].payload["to"] == "anna@example.lv" and after[2].last_error


async def test_a_row_whose_link_died_unsent_is_not_sent(database: Database) -> None:
    sender = OutboxSender(database, Bot(BOT_TOKEN), lease=timedelta(seconds=-1))  # abandoned
    now = datetime.now(UTC)
    async with database.transaction() as session:
        outbox = Outbox(session)
        _dead, alive, timeless = await sender.queue(
            outbox,
            [
                Queued(7, login_message(), secrets=(TOKEN,), expires_at=now - timedelta(seconds=1)),
                Queued(8, login_message(), secrets=(TOKEN,), expires_at=now + timedelta(minutes=9)),
                Queued(9, SendMessage(chat_id=9, text="Labdien")),
            ],
        )
    async with database.transaction() as session:
        due = await Outbox(session).claim_due(limit=10, lease=timedelta(seconds=60))
    assert [row.id for row in due] == [alive.id, timeless.id]
