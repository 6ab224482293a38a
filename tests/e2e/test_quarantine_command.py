"""`altum-bot quarantine`: an operator looks at the updates set aside and, once a release
fixes the cause, replays them through the normal path."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from conftest import PersonFactory
from e2e_support import (
    BOT_ID,
    ROOT,
    BotProcess,
    bot_settings,
    polling_bot,
    wait_until_confirmed,
    wait_until_polling,
)
from poison_support import (
    APOLOGY_LV,
    bot_texts,
    poll_without_its_fields,
    quarantine_rows,
)
from sqlalchemy import select

from bot.settings import Settings
from dialogs import help as help_dialog
from emulator import EmulatorClient, EmulatorServer
from storage.database import Database
from storage.models import ActivityEventRow


async def altum_bot(settings: Settings, *args: str) -> tuple[int, str, str]:
    """The real command, beside the emulator running in this event loop."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("altum-bot")),
        *args,
        env=BotProcess(settings).env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_an_operator_lists_shows_retries_and_drops_what_was_set_aside(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_portal_map(*_sections: object) -> str:
        raise RuntimeError("the portal map is broken in this release")

    anna = await person("Anna")
    settings = bot_settings(database_url, emulator.base_url, update_attempts=2)
    with monkeypatch.context() as patch:  # this release has a bug in /help
        patch.setattr(help_dialog, "portal_map", broken_portal_map)
        async with polling_bot(settings):
            await wait_until_polling(emu)
            asked = await anna.say("/help")
            assert (await anna.reply(timeout=15))["text"].startswith(APOLOGY_LV)
            poison = await emu.inject_update(BOT_ID, poll_without_its_fields(anna.user_id))
            await wait_until_confirmed(emu)
    help_row, poll_row = await quarantine_rows(database_url)
    assert help_row.update_id == asked["update_id"]

    code, out, _ = await altum_bot(settings, "quarantine", "list")
    assert code == 0
    assert f"{help_row.id:>6}  {asked['update_id']:>12}  message" in out and "RuntimeError" in out
    assert str(poison["update_id"]) in out and "ValidationError" in out

    code, out, _ = await altum_bot(settings, "quarantine", "show", str(help_row.id))
    assert code == 0
    assert "error:      RuntimeError: the portal map is broken in this release" in out
    stored = json.loads(out.split(":\n", 1)[1])
    assert stored["update_id"] == asked["update_id"] and stored["message"]["text"] == "/help"

    # The next release (this command runs the real code) replays it: Anna gets her map.
    code, out, err = await altum_bot(settings, "quarantine", "retry", str(help_row.id))
    assert code == 0, err
    assert f"update {asked['update_id']} handled; removed from quarantine" in out
    assert (await bot_texts(emu, BOT_ID, anna.user_id))[-1].startswith("Portāla karte")

    # Our library still cannot read the poll: it stays, and Anna is not told again.
    code, _, err = await altum_bot(settings, "quarantine", "retry", str(poll_row.id))
    assert code == 1 and "failed again" in err and "ValidationError" in err
    (still,) = await quarantine_rows(database_url)
    assert still.id == poll_row.id and still.attempts == 2

    code, out, _ = await altum_bot(settings, "quarantine", "drop", str(poll_row.id))
    assert code == 0 and "dropped" in out
    code, out, _ = await altum_bot(settings, "quarantine", "list")
    assert (code, out.strip()) == (0, "no updates in quarantine")
    code, _, err = await altum_bot(settings, "quarantine", "show", str(help_row.id))
    assert code == 1 and f"no update {help_row.id} in quarantine" in err

    texts = await bot_texts(emu, BOT_ID, anna.user_id)
    assert sum(text.startswith(APOLOGY_LV) for text in texts) == 2  # once for each update
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            actions = list(
                await session.scalars(select(ActivityEventRow.action).order_by(ActivityEventRow.id))
            )
    finally:
        await database.dispose()
    assert [a for a in actions if a.startswith("update.")] == [
        "update.quarantined",
        "update.quarantined",
        "update.retried",
        "update.retried",
        "update.dropped",
    ]
