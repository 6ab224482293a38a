"""The driver of scripts/screenshots: the demo's web chat in Latvian, photographed.

Starts `altum-bot demo` on free ports with a fresh SQLite file, opens the web chat in headless
Chromium at a phone's size, has a short conversation through the page itself (the same
helpers the browser tests use) and writes one PNG per scene to docs/images/, reduced to a
256-colour palette so each stays small.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

import aiohttp  # noqa: E402
from browser_support import Page, chromium, chromium_missing  # noqa: E402
from PIL import Image  # noqa: E402
from webchat_support import WebChat  # noqa: E402

from bot.ops.demo import BOT_ID, run_demo  # noqa: E402
from emulator import EmulatorClient  # noqa: E402

OUT = ROOT / "docs" / "images"
WIDTH, HEIGHT, SCALE = 360, 720, 1.5  # a phone, at a density that keeps text sharp
LIMIT = 200 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def save(page: Page, name: str) -> None:
    await asyncio.sleep(0.4)  # the chat scrolls to the newest message
    raw = OUT / f"{name}.png"
    await page.screenshot(raw)
    image = Image.open(io.BytesIO(raw.read_bytes())).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(raw, optimize=True)
    size = raw.stat().st_size
    print(f"  {raw.relative_to(ROOT)}: {image.width}x{image.height}, {size // 1024} KB")
    assert size < LIMIT, f"{raw} is {size} bytes, over {LIMIT}"


async def user_id(emu: EmulatorClient, first_name: str) -> int:
    return int(next(u["id"] for u in await emu.users(BOT_ID) if u["first_name"] == first_name))


async def log_in(chat: WebChat, button: str) -> None:
    """/login, the Mini App, the demo provider's person `button`; the Mini App closed."""
    await chat.say("/login")
    await chat.reply()
    await chat.press("🔐 Pieslēgties")
    provider = await chat.page.wait_for_frame("/demo/authorize")
    await chat.page.wait_for("!!document.querySelector('button')", frame_id=provider)
    await chat.page.evaluate(
        "[...document.querySelectorAll('button')]"
        f".find((b) => b.textContent === '{button}').click(); true",
        frame_id=provider,
    )
    await chat.page.wait_for_frame("/auth/callback")
    await chat.replies(2)
    await chat.click("#webapp-close")


async def scenes(emu: EmulatorClient, new_page: Callable[[], Awaitable[Page]]) -> None:
    async def phone() -> Page:
        page = await new_page()
        await page.phone(WIDTH, HEIGHT, SCALE)
        # A phone in Riga: times as 14:05, not 02:05 PM; no scroll bars in the picture.
        await page.send("Emulation.setLocaleOverride", locale="lv-LV")
        await page.send("Emulation.setTimezoneOverride", timezoneId="Europe/Riga")
        await page.send("Emulation.setScrollbarsHidden", hidden=True)
        return page

    anna = await WebChat.open(await phone(), emu, BOT_ID, await user_id(emu, "Anna"))
    await anna.click("#start")
    await anna.replies(2)
    await save(anna.page, "webchat-1-start")

    await anna.say("/login")
    await anna.reply()
    await anna.press("🔐 Pieslēgties")
    provider = await anna.page.wait_for_frame("/demo/authorize")
    await anna.page.wait_for("!!document.querySelector('button')", frame_id=provider)
    await anna.page.evaluate(
        "[...document.querySelectorAll('button')]"
        ".find((b) => b.textContent === 'Anna Bērziņa').click(); true",
        frame_id=provider,
    )
    done = await anna.page.wait_for_frame("/auth/callback")
    await anna.page.wait_for("document.title === 'Pieslēgšanās izdevās'", frame_id=done)
    await anna.replies(2)
    await save(anna.page, "webchat-2-login")  # the Mini App's last page, over the chat
    await anna.click("#webapp-close")
    await save(anna.page, "webchat-3-linked")

    # Jānis logs in as Marta Zariņa and registers her company from the sample register.
    janis = await WebChat.open(await phone(), emu, BOT_ID, await user_id(emu, "Jānis"))
    await janis.click("#start")
    await janis.replies(2)
    await log_in(janis, "Marta Zariņa")
    await janis.say("/register")
    await janis.reply()
    await janis.press("🏢 Juridiska persona (uzņēmums)")
    await janis.reply()
    await janis.say("40103777710")
    await janis.reply()
    await janis.press("Importēt no UR")
    await janis.reply()
    await save(janis.page, "webchat-4-register")


async def main() -> None:
    missing = chromium_missing()
    if missing is not None:
        sys.exit(f"screenshots: {missing}")
    OUT.mkdir(parents=True, exist_ok=True)
    emulator_port, web_port = free_port(), free_port()
    stop = asyncio.Event()
    with tempfile.TemporaryDirectory(prefix="altum-screenshots-") as work:
        demo = asyncio.create_task(
            run_demo(
                port=emulator_port,
                web_port=web_port,
                database_url=f"sqlite:///{Path(work) / 'demo.db'}",
                stop=stop,
            )
        )
        try:
            async with EmulatorClient(f"http://127.0.0.1:{emulator_port}") as emu:
                for _ in range(600):  # the demo loads its data, serves, then the bot polls
                    if demo.done():
                        demo.result()
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        # getMe comes right before the first getUpdates, which is logged only
                        # when its long poll ends
                        if await emu.users(BOT_ID) and await emu.calls(BOT_ID, method="getMe"):
                            break
                    await asyncio.sleep(0.05)
                async with chromium() as new_page:
                    await scenes(emu, new_page)
        finally:
            stop.set()
            await asyncio.wait_for(demo, timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
