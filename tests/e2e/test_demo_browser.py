"""The demo's web chat in a real browser (headless Chromium): «Log in» opens the login Mini
App in a frame with initData the emulator signed, the page's own script posts it under its
strict CSP, the demo provider runs in the frame, and the chat says who is linked. The same
link opened in an ordinary tab refuses and uses nothing up."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium, chromium_missing
from e2e_support import Person, running_demo

from bot.ops.demo import BOT_ID

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))


async def test_the_web_chat_logs_in_through_the_mini_app(tmp_path: Path) -> None:
    async with running_demo(tmp_path / "demo.db") as (emu, _web), chromium() as new_page:
        emily = next(u for u in await emu.users(BOT_ID) if u["first_name"] == "Emily")
        newcomer = Person(emu=emu, user_id=emily["id"], bot_id=BOT_ID)
        chat = await new_page()
        await chat.navigate(emu.base_url + "/")
        await chat.wait_for(f"!!document.querySelector('#user option[value=\"{emily['id']}\"]')")
        await chat.evaluate(f"selectUser('{emily['id']}'); sendText('/login').then(() => true)")
        offer = await newcomer.reply()
        assert offer["reply_markup"]["inline_keyboard"][0][0]["web_app"]

        # The link copied out of the Mini App, initData and all, into an ordinary tab.
        copied = await newcomer.open_web_app(offer)
        tab = await new_page()
        await tab.navigate(copied["launch_url"])
        refusal = await tab.wait_for(
            "document.title === 'Open it from the Telegram chat' && document.body.innerText"
        )
        assert "works only inside Telegram" in refusal and "nothing was changed" in refusal

        # In the web chat: the Mini App button opens the login in a frame.
        await chat.wait_for("!!document.querySelector('.ikb button.app')")
        await chat.evaluate("document.querySelector('.ikb button.app').click(); true")
        provider = await chat.wait_for_frame("/demo/authorize")
        await chat.wait_for("!!document.querySelector('button')", frame_id=provider)
        await chat.evaluate(
            "[...document.querySelectorAll('button')]"
            ".find(b => b.textContent.includes('Anna Bērziņa')).click(); true",
            frame_id=provider,
        )
        done = await chat.wait_for_frame("/auth/callback")
        page = await chat.wait_for(
            "document.title === 'Logged in' && document.body.innerText", frame_id=done
        )
        assert "linked as Anna Bērziņa" in page
        assert "linked as Anna Bērziņa" in (await newcomer.reply())["text"]
