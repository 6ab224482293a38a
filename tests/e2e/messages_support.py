"""A client with Anna as its main user, acting for it in chat: the start of every «Saziņa» test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import aiohttp
from api_support import Api
from e2e_support import Person, buttons
from registration_walk import log_in

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import

# The upload tests' sample makers (tests/files), for real files made in the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
import file_samples

__all__ = ["file_samples"]

ANNA_CODE = "120584-12349"  # the demo provider's Anna Bērziņa
ILZE_CODE = "250690-18905"  # the demo provider's Ilze Liepa
DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}


async def open_client(database_url: str, api: Api, number: str = "40103999940") -> int:
    if number == "40103999940":  # the first client of a test
        await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    opened = await api.post("/clients", {"registration_number": number})
    assert opened.status == 201, opened.body
    return int(opened.body["id"])


async def acts_for(
    someone: Person,
    api: Api,
    http: aiohttp.ClientSession,
    client_id: int,
    *,
    demo: str = "anna",
    code: str = ANNA_CODE,
) -> None:
    """Give the demo person access to the client, log in and choose it."""
    granted = await api.post(f"/clients/{client_id}/users", {"personal_code": code, "role": "main"})
    assert granted.status == 201, granted.body
    await log_in(someone, http, demo)
    await someone.say("/client")
    listing = await someone.reply()
    await someone.press(listing, buttons(listing)[0])
    await someone.replies(2)  # "you now act for", the main menu


def button_data(message: dict[str, Any], text: str) -> str:
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button["text"] == text:
                return str(button["callback_data"])
    raise LookupError(text)


def bold_texts(message: dict[str, Any]) -> list[str]:
    """The bold parts of a message's text (entity offsets count UTF-16 code units)."""
    encoded = message["text"].encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "bold"
    ]
