"""`altum-bot demo` as a newcomer meets it: the web chat's bot answers, a demo person logs
in through the demo provider, registers a company from the sample Company Register, and
confirms it from the demo mailbox page."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any

import aiohttp
from e2e_support import Person, browser, free_port
from registration_walk import log_in, register_ozolkalna

from bot.demo import BOT_ID, run_demo
from emulator import EmulatorClient


async def test_demo_links_a_person_and_registers_a_sample_company(tmp_path: Path) -> None:
    emulator_port, web_port = free_port(), free_port()
    stop = asyncio.Event()
    demo = asyncio.create_task(
        run_demo(
            port=emulator_port,
            web_port=web_port,
            database_url=f"sqlite:///{tmp_path / 'demo.db'}",
            stop=stop,
        )
    )
    try:
        async with EmulatorClient(f"http://127.0.0.1:{emulator_port}") as emu, browser() as http:
            users: list[dict[str, Any]] = []
            for _ in range(300):  # the demo starts the emulator, its users, then polling
                assert not demo.done(), demo.result()
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    users = await emu.users(BOT_ID)
                    if users and await emu.calls(BOT_ID, method="getUpdates"):
                        break
                await asyncio.sleep(0.05)
            emily = next(user for user in users if user["first_name"] == "Emily")
            newcomer = Person(emu=emu, user_id=emily["id"], bot_id=BOT_ID)
            await log_in(newcomer, http, "anna")
            await register_ozolkalna(newcomer, emu)
            async with http.get(f"http://127.0.0.1:{web_port}/demo/mail") as page:
                mailbox = await page.text()
            link = re.search(r'href="(http://[^"]+/confirm/[^"]+)"', mailbox)
            assert link is not None, mailbox
            async with http.post(link.group(1)) as page:
                assert page.status == 200
            assert "is registered" in (await newcomer.reply())["text"]
    finally:
        stop.set()
        await asyncio.wait_for(demo, timeout=30)
