"""«Administrēšana» through the bot on SQLite and PostgreSQL: a main user adds an additional
user by personal code, who then logs in and sees the client; a non-main user and forged
buttons reach nothing; a main user blocked in the middle of a dialog loses it on the next
message; the last active main user cannot block themselves; every change in the log."""

from __future__ import annotations

from typing import Any

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser, buttons
from registration_walk import log_in
from sqlalchemy import select

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow

ANNA_CODE = "120584-12349"  # the demo provider's Anna Bērziņa
ADMIN = "👥 Administration"


async def alert_after(emu: EmulatorClient, since: int) -> str:
    (answer,) = await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=1)
    return str(answer["params"].get("text", ""))


async def act_for_the_client(someone: Person) -> dict[str, Any]:
    """/client, press the first client: the main menu comes after "you now act for"."""
    await someone.say("/client")
    listing = await someone.reply()
    await someone.press(listing, buttons(listing)[0])
    await someone.reply()
    return await someone.reply()


async def test_a_main_user_adds_blocks_and_cannot_lock_the_client_out(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient, person: PersonFactory
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    janis = await person("Jānis", language_code="en")
    settings = bot_settings(database_url, emulator.base_url)
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        await api.post(f"/clients/{cid}/users", {"personal_code": ANNA_CODE, "role": "main"})
        await log_in(anna, http, "anna")
        menu = await act_for_the_client(anna)
        assert ADMIN in buttons(menu)

        await anna.press(menu, ADMIN)
        listing = await anna.reply()
        assert "Anna Bērziņa (you) — main user, active" in listing["text"]
        assert buttons(listing) == ["Anna Bērziņa — main user", "➕ Add new", "⬅️ Main menu"]
        await anna.press(listing, "➕ Add new")
        assert "personal code" in (await anna.reply())["text"]
        since = await emu.last_seq(BOT_ID)
        typed = await anna.say("030379-15670")
        assert "not a valid personal code" in (await anna.reply())["text"]
        deleted = await emu.calls(BOT_ID, method="deleteMessage", since=since, wait=10, min=1)
        assert deleted[0]["params"]["message_id"] == typed["message_id"]
        await anna.say("030379-15671")
        confirm = await anna.reply()
        assert "030379-*****" in confirm["text"] and "15671" not in confirm["text"]
        await anna.press(confirm, "✅ Create new user")
        done = await anna.reply()
        assert "030379-***** is now an additional user" in done["text"]
        assert "as soon as they log in" in done["text"]
        listing = await anna.reply()
        assert "030379-***** — additional user, active, not logged in yet" in listing["text"]

        # Jānis logs in and sees the client; as an additional user he cannot administer it.
        await log_in(janis, http, "janis")
        assert janis.transcript[-1]["text"]  # the clients to choose from
        assert buttons(janis.transcript[-1])[0] == 'SIA "Ozolkalna Koks" — additional user'
        janis_menu = await act_for_the_client(janis)
        assert ADMIN not in buttons(janis_menu)
        users = (await api.get(f"/clients/{cid}/users")).body["items"]
        anna_user = next(u for u in users if u["personal_code"] == "12058412349")
        janis_user = next(u for u in users if u["personal_code"] == "03037915671")
        for forged in ("m:admin", "ad:list:0:", f"ad:save:{anna_user['id']}:blocked", "ad:add:0:"):
            since = await emu.last_seq(BOT_ID)
            await emu.forge_callback(BOT_ID, janis.user_id, janis_menu["message_id"], forged)
            assert "Only a main user" in await alert_after(emu, since)
            assert "Only a main user" in (await janis.reply())["text"]
        since = await emu.last_seq(BOT_ID)
        await emu.forge_callback(BOT_ID, janis.user_id, janis_menu["message_id"], "ad:list")
        assert "no longer valid" in await alert_after(emu, since)  # malformed: not ours
        assert (await api.get(f"/clients/{cid}/users/{anna_user['id']}")).body["status"] == "active"

        # ALTUM makes him a main user; Anna blocks him while he is adding someone.
        await api.patch(f"/clients/{cid}/users/{janis_user['id']}", {"role": "main"})
        await janis.say("/start")
        await janis.reply()
        janis_menu = await janis.reply()
        await janis.press(janis_menu, ADMIN)
        await janis.press(await janis.reply(), "➕ Add new")
        assert "personal code" in (await janis.reply())["text"]

        await anna.say("/start")
        await anna.reply()
        await anna.press(await anna.reply(), ADMIN)
        listing = await anna.reply()
        await anna.press(listing, "Jānis Kalniņš — main user")
        card = await anna.reply()
        assert "Personal code: 030379-*****" in card["text"] and "only by ALTUM" in card["text"]
        await anna.press(card, "✏️ Edit")
        edit = await anna.reply()
        assert buttons(edit)[:2] == ["🔘 active", "⚪ blocked"]
        await anna.press(edit, "⚪ blocked")
        edit = await anna.reply()
        assert buttons(edit)[:2] == ["⚪ active", "🔘 blocked"]
        await anna.press(edit, "💾 Save")
        assert "Saved: Jānis Kalniņš is blocked." in (await anna.reply())["text"]
        assert "🚫 Jānis Kalniņš" in (await anna.reply())["text"]
        told = await janis.reply()
        assert "Anna Bērziņa, a main user of SIA" in told["text"] and "blocked" in told["text"]
        await janis.say("120584-12349")
        assert "First choose the client" in (await janis.reply())["text"]

        # Anna is now the only active main user: she cannot block herself.
        since = await emu.last_seq(BOT_ID)
        await anna.press(listing, "Anna Bērziņa — main user")
        await anna.press(await anna.reply(), "✏️ Edit")
        await anna.press(await anna.reply(), "⚪ blocked")
        edit = await anna.reply()
        await emu.calls(BOT_ID, method="answerCallbackQuery", since=since, wait=10, min=3)
        since = await emu.last_seq(BOT_ID)
        await anna.press(edit, "💾 Save")
        assert "last active main user" in await alert_after(emu, since)
        assert "Status: active" in (await anna.reply())["text"]
        assert (await api.get(f"/clients/{cid}/users/{anna_user['id']}")).body["status"] == "active"

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = list(
                await session.execute(
                    select(ActivityEventRow.action, ActivityEventRow.actor)
                    .where(ActivityEventRow.client_id == cid)
                    .order_by(ActivityEventRow.id)
                )
            )
    finally:
        await database.dispose()
    in_chat = [(action, actor) for action, actor in rows if (actor or "").startswith("person:")]
    assert [action for action, _actor in in_chat] == ["user.added", "user.changed"]
    assert len({actor for _action, actor in in_chat}) == 1  # Anna, both times
