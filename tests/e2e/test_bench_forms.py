"""The chat bench's form mix (bench/form_mix.py) still walks: one seeded person goes through
the whole mix twice with the bench's own step function, and the bot answers each step with
exactly the replies the bench waits for (one more or one fewer would skew its latencies or
hang it)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from e2e_support import BOT_ID, bot_settings, polling_bot, wait_until_confirmed, wait_until_polling

from emulator import EmulatorClient, EmulatorServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import form_mix
from bot_bench import UserState, one_step


async def test_a_seeded_person_walks_the_bench_form_mix_with_the_expected_replies(
    database_url: str, emulator: EmulatorServer, emu: EmulatorClient
) -> None:
    user_id = form_mix.FIRST_USER_ID
    await form_mix.seed(database_url, [user_id])
    mix = form_mix.form_mix()
    async with polling_bot(bot_settings(database_url, emulator.base_url)):
        await wait_until_polling(emu)
        await emu.create_user(BOT_ID, "User0", language_code="lv", user_id=user_id)
        walker = UserState(user_id)
        for _ in range(2 * len(mix)):
            await one_step(emu, BOT_ID, walker, mix)
        await wait_until_confirmed(emu)
        await asyncio.sleep(0.3)  # a reply too many would arrive about now
    said = [
        m["text"]
        for m in await emu.messages(BOT_ID, user_id)
        if m["from"]["is_bot"] and "text" in m
    ]
    assert len(said) == 2 * sum(replies for _, _, replies in mix)
    assert said[-1].startswith("Es strādāju ar pogām un komandām")  # the free text, last
    saved = [t for t in said if t.startswith("💾 Melnraksts Nr. ") and " saglabāts." in t]
    assert len(saved) == 2  # its number is the application's: PostgreSQL's differ each time
    assert sum("Pieteikums atcelts, tā melnraksts dzēsts" in text for text in said) == 4
    # The saved draft reopens at the question where it stopped.
    assert sum("Naudas līdzekļu izsniegšana · 5. jautājums no 5" in t for t in said) == 4
    assert sum("Mikroaizdevums · 5. jautājums no 21" in t for t in said) == 2


def test_the_echo_bot_mirrors_the_form_mix_step_for_step() -> None:
    mix = form_mix.form_mix()
    echo = form_mix.echo_mix(mix)
    assert [kind for kind, _, _ in echo] == [kind for kind, _, _ in mix]
    assert mix[0] == ("text", "/start", 2) and echo[0] == ("text", "/start", 1)
