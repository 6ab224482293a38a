"""`altum-bot demo` as a newcomer meets it: the web chat's bot answers, a demo person logs
in through the demo provider, registers a company from the sample Company Register, and
confirms it from the demo mailbox page."""

from __future__ import annotations

import re
from pathlib import Path

from e2e_support import Person, browser, running_demo
from registration_walk import log_in, register_ozolkalna

from bot.ops.demo import BOT_ID


async def test_demo_links_a_person_and_registers_a_sample_company(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.db") as (emu, web), browser() as http:
        users = await emu.users(BOT_ID)
        emily = next(user for user in users if user["first_name"] == "Emily")
        newcomer = Person(emu=emu, user_id=emily["id"], bot_id=BOT_ID)
        await log_in(newcomer, http, "anna")
        await register_ozolkalna(newcomer, emu)
        async with http.get(f"{web}/demo/mail") as page:
            mailbox = await page.text()
        link = re.search(r'href="(http://[^"]+/confirm/[^"]+)"', mailbox)
        assert link is not None, mailbox
        async with http.post(link.group(1)) as page:
            assert page.status == 200
        assert "is registered" in (await newcomer.reply())["text"]
