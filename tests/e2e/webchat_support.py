"""The emulator's web chat in a real browser tab, used as a person uses it: a click on START,
typing and Enter, a click on a button, a file from the file picker. What the bot sent is read
from the emulator (the truth) and then awaited on the page (what the person sees)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from browser_support import Page
from e2e_support import Person

from emulator import EmulatorClient


class WebChat:
    def __init__(self, page: Page, person: Person) -> None:
        self.page = page
        self.person = person

    @classmethod
    async def open(cls, page: Page, emu: EmulatorClient, bot_id: int, user_id: int) -> WebChat:
        """The web chat with the user picked in its «Simulated user» list."""
        await page.navigate(emu.base_url + "/")
        option = f'#user option[value="{user_id}"]'
        await page.wait_for(f"!!document.querySelector('{option}')")
        await page.evaluate(
            "(() => { const s = document.getElementById('user');"
            f" s.value = '{user_id}'; s.dispatchEvent(new Event('change')); return true; }})()"
        )
        await page.wait_for(f"state.user === '{user_id}' && state.version >= 0")
        return cls(page, Person(emu=emu, user_id=user_id, bot_id=bot_id))

    async def click(self, selector: str) -> None:
        await self.page.wait_for(f"!!document.querySelector({json.dumps(selector)})")
        await self.page.evaluate(f"document.querySelector({json.dumps(selector)}).click(); true")

    async def say(self, text: str) -> None:
        """Type into the message field and press Enter."""
        await self.page.evaluate("document.getElementById('text').focus(); true")
        await self.page.type_text(text)
        await self.page.key("Enter")
        await self.page.wait_for("document.getElementById('text').value === ''")

    async def reply(self) -> dict[str, Any]:
        """The bot's next message, once the page shows it."""
        message = await self.person.reply()
        text = json.dumps(message.get("text") or message.get("caption") or "")
        body = json.dumps(f'.msg[data-message-id="{message["message_id"]}"] .body')
        await self.page.wait_for(
            f"[...document.querySelectorAll({body})].some((b) => b.textContent === {text})"
        )
        return message

    async def replies(self, count: int) -> list[dict[str, Any]]:
        return [await self.reply() for _ in range(count)]

    async def press(self, label: str) -> None:
        """Click the button `label` under the bot's newest message that has buttons."""
        find = (
            "(() => { const kb = [...document.querySelectorAll('.msg:not(.mine) .ikb')].pop();"
            " return kb && [...kb.querySelectorAll('button')]"
            f".find((b) => b.textContent === {json.dumps(label)} && !b.disabled); }})()"
        )
        await self.page.wait_for(f"!!{find}")
        await self.page.evaluate(f"{find}.click(); true")

    async def attach(self, path: Path) -> None:
        """A file chosen with the paper clip: the page uploads it as a document."""
        await self.page.choose_files("#file", path)
        await self.page.wait_for("document.getElementById('file').value === ''")
