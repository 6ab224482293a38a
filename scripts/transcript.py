"""A user's walk through the bot, printed as text: every message, edit, alert and keyboard.

Starts `altum-bot demo` (the emulator, the bot on a fresh SQLite file, the demo data: SIA
"Ozolkalna Koks" with Anna Bērziņa as its main user, deals, invoices, a message from ALTUM) on
free ports and walks Anna through the main journeys in Latvian, then a few screens in English,
through the emulator's HTTP client, as the end-to-end tests do. For reading the bot as its
users do: `scripts/transcript > transcript.txt` (docs/transcript.md says what to look for).

A step whose button is missing is printed as `!! …` and the walk goes on: the transcript shows
where a journey broke instead of stopping at the first surprise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT),
    str(ROOT / "tests"),
    str(ROOT / "tests" / "e2e"),
    str(ROOT / "tests" / "files"),
]

import file_samples  # noqa: E402
from e2e_support import browser, demo_login, mini_app_post, running_demo  # noqa: E402

from bot.ops.demo import BOT_ID  # noqa: E402
from emulator import EmulatorClient  # noqa: E402

SHOWN = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
QUIET = 0.8  # seconds without a new call: the bot has answered


def keyboard(markup: Any) -> list[str]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    lines = []
    for row in rows:
        cells = []
        for button in row:
            label = button["text"] if isinstance(button, dict) else str(button)
            kind = ""
            if isinstance(button, dict):
                if "url" in button:
                    kind = " ↗"
                elif "web_app" in button:
                    kind = " ▣"
            cells.append(f"[{label}{kind}]")
        lines.append("    " + " ".join(cells))
    return lines


def readable(html: str) -> str:
    """Telegram's HTML as a phone shows it: bold as *…*, italics as _…_, entities decoded."""
    for tag, mark in (("b", "*"), ("strong", "*"), ("i", "_"), ("em", "_"), ("code", "`")):
        html = html.replace(f"<{tag}>", mark).replace(f"</{tag}>", mark)
    html = re.sub(r"<a href=\"([^\"]*)\">(.*?)</a>", r"\2 <\1>", html)
    return unescape(html)


class Walk:
    def __init__(self, emu: EmulatorClient, user_id: int, out: Any) -> None:
        self.emu = emu
        self.user_id = user_id
        self.out = out
        self.seq = 0

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def scene(self, title: str) -> None:
        self.print(f"\n{'=' * 20} {title} {'=' * 20}")

    async def settle(self, first_wait: float = 8.0) -> None:
        """Print the bot's calls since the last step, once it has been quiet a while."""
        calls: list[dict[str, Any]] = []
        wait = first_wait
        while True:
            more = await self.emu.calls(BOT_ID, since=self.seq, wait=wait, min=1)
            mine = [c for c in more if c["seq"] > self.seq]
            if not mine:
                break
            calls += mine
            self.seq = max(c["seq"] for c in mine)
            wait = QUIET
        for call in calls:
            self.show(call)

    def show(self, call: dict[str, Any]) -> None:
        method, params = call["method"], call.get("params") or {}
        if method == "answerCallbackQuery":
            if params.get("text"):
                alert = "ALERT" if params.get("show_alert") else "toast"
                self.print(f"  ({alert}: {params['text']})")
            return
        if method == "deleteMessage":
            self.print(f"  (deleted message {params.get('message_id')})")
            return
        if method not in SHOWN:
            return
        label = {
            "sendMessage": "BOT",
            "editMessageText": "BOT (edited)",
            "editMessageReplyMarkup": "BOT (keyboard changed)",
            "sendPhoto": "BOT [photo]",
            "sendDocument": "BOT [document]",
        }[method]
        text = params.get("text") or params.get("caption") or ""
        if method == "editMessageReplyMarkup" and not keyboard(params.get("reply_markup")):
            self.print("  (buttons removed)")
            return
        result = call.get("result")
        if isinstance(result, dict) and "document" in result:  # the file's name shows
            label += f" «{result['document'].get('file_name', '?')}»"
        self.print(f"{label}:")
        for line in readable(str(text)).splitlines() or [""]:
            self.print(f"  | {line}")
        for line in keyboard(params.get("reply_markup")):
            self.print(line)

    async def start(self) -> None:
        self.seq = await self.emu.last_seq(BOT_ID)

    async def say(self, text: str) -> None:
        self.print(f"\nUSER: {text}")
        await self.emu.send_text(BOT_ID, self.user_id, text)
        await self.settle()

    async def photo(self, data: bytes, caption: str | None = None) -> None:
        self.print(f"\nUSER: [photo {len(data)} bytes]" + (f" «{caption}»" if caption else ""))
        await self.emu.send_photo(BOT_ID, self.user_id, data, caption=caption)
        await self.settle()

    async def document(self, data: bytes, name: str) -> None:
        self.print(f"\nUSER: [document {name}, {len(data)} bytes]")
        await self.emu.send_document(BOT_ID, self.user_id, data, name)
        await self.settle()

    async def find(self, label: str) -> tuple[int, str] | None:
        """A button `label` (exact, else the first starting so, else containing it) of the
        newest bot message with buttons: what a user on a phone has before their eyes."""
        messages = await self.emu.messages(BOT_ID, self.user_id, include_deleted=False)
        for message in reversed(messages):
            if not message.get("from", {}).get("is_bot"):
                continue
            markup = message.get("reply_markup") or {}
            texts = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
            if not texts:
                continue
            for candidate in (
                [t for t in texts if t == label]
                or [t for t in texts if t.startswith(label)]
                or [t for t in texts if label.lower() in t.lower()]
            ):
                return int(message["message_id"]), candidate
            return None
        return None

    async def press(self, label: str) -> bool:
        found = await self.find(label)
        if found is None:
            self.print(f"\n!! no button «{label}» on screen")
            return False
        message_id, text = found
        self.print(f"\nUSER presses [{text}]")
        await self.emu.press(BOT_ID, self.user_id, message_id, text=text)
        await self.settle()
        return True

    async def sign(self, demo_person: str) -> None:
        await _sign(self, demo_person)

    async def log_in(self, http: Any, demo_person: str) -> None:
        self.print("\nUSER: /login")
        await self.emu.send_text(BOT_ID, self.user_id, "/login")
        await self.settle()
        messages = await self.emu.messages(BOT_ID, self.user_id)
        newest = [m for m in messages if m.get("from", {}).get("is_bot")][-1]
        launch = await self.emu.open_web_app(BOT_ID, self.user_id, newest["message_id"])
        self.print(f"\nUSER opens the login Mini App and logs in as «{demo_person}»")
        status, _ = await demo_login(http, launch["launch_url"], demo_person)
        self.print(f"  (provider's final page: HTTP {status})")
        await self.settle()


async def _sign(walk: Walk, demo_person: str) -> None:
    """The signature's Mini App: the page with what is signed (its text printed), then the
    demo identity provider, where `demo_person` confirms."""
    messages = await walk.emu.messages(BOT_ID, walk.user_id, include_deleted=False)
    newest = [m for m in messages if m.get("from", {}).get("is_bot")][-1]
    rows = (newest.get("reply_markup") or {}).get("inline_keyboard", [])
    labels = [b["text"] for row in rows for b in row if "web_app" in b]
    if not labels:
        walk.print("\n!! no signing button on screen")
        return
    walk.print(f"\nUSER opens [{labels[0]}] and confirms as «{demo_person}» at the demo provider")
    opened = await walk.emu.open_web_app(BOT_ID, walk.user_id, newest["message_id"], text=labels[0])
    launch = opened["launch_url"]
    page, _, fragment = launch.partition("#")
    init_data = dict(parse_qsl(fragment))["tgWebAppData"]
    async with browser() as http:
        async with http.get(launch) as response:
            await response.text()
        async with mini_app_post(http, launch) as response:
            shown = await response.text()
        walk.print("  PAGE:")
        shown = re.sub(r"(?s)<(script|style|title).*?</\1>", "", shown)
        shown = re.sub(r"</(tr|p|h1|h2|li)>|<br\s*/?>", "\n", re.sub(r"</th>", ": ", shown))
        for line in readable(shown).splitlines():
            text = re.sub(r"<[^>]+>", " ", line).strip()
            if text:
                walk.print(f"  | {' '.join(text.split())}")
        async with mini_app_post(http, page + "/go", init_data=init_data) as response:
            authorize = str(response.url)
        query = dict(parse_qsl(urlsplit(authorize).query))
        async with http.post(
            authorize.split("?", 1)[0], data={**query, "person": demo_person}
        ) as response:
            walk.print(f"  (provider's final page: HTTP {response.status})")
    await walk.settle()


def jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


NAVIGATION = ("Atpakaļ", "Saglabāt", "Atcelt", "Izlaist", "Izvēlne", "Gatavs", "Back", "Save")


async def answer_until_summary(walk: Walk, limit: int = 40) -> None:
    """Answer whatever a form asks, plainly, until its summary («pārbaudiet atbildes»)."""
    for _ in range(limit):
        messages = await walk.emu.messages(BOT_ID, walk.user_id, include_deleted=False)
        newest = [m for m in messages if m.get("from", {}).get("is_bot")][-1]
        text = (newest.get("text") or "").lower()
        markup = newest.get("reply_markup") or {}
        labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
        if "pārbaudiet atbildes" in text or "check the answers" in text:
            return
        options = [lbl for lbl in labels if not any(w in lbl for w in NAVIGATION)]
        if "Nē" in labels:
            await walk.press("Nē")
        elif any("Izlaist" in lbl for lbl in labels) and ("pievienojiet" in text):
            await walk.press("Izlaist")
        elif "pievienojiet" in text:
            await walk.document(file_samples.pdf(size=4096), "parskats.pdf")
            await walk.press("Gatavs")
        elif options and not labels[0].startswith("‹"):
            await walk.press(options[0])
            if any("Gatavs" in lbl for lbl in labels):
                await walk.press("Gatavs")
        elif "nace" in text:
            await walk.say("16.10")
        elif "e-pasta" in text:
            await walk.say("anna@ozolkalns.lv")
        elif "tālruņa" in text:
            await walk.say("+371 2000 0000")
        elif "darbinieku" in text:
            await walk.say("12")
        elif "cik" in text or "kāds bija" in text or "kāda bija" in text:
            await walk.say("250 000")
        elif "adres" in text:
            await walk.say("Cēsis, Rīgas iela 10")
        elif "vārdu" in text:
            await walk.say("Anna Bērziņa")
        else:
            await walk.say("Kokapstrāde")
            if any("Gatavs" in lbl for lbl in labels):
                await walk.press("Gatavs")
    walk.print(f"!! no summary after {limit} answers")


async def latvian(walk: Walk, http: Any) -> None:
    walk.scene("/start before logging in")
    await walk.say("/start")
    walk.scene("Pieslēgšanās")
    await walk.log_in(http, "anna")
    walk.scene("Klienta izvēle")
    await walk.say("/client")
    await walk.press('SIA "Ozolkalna Koks"')

    walk.scene("Pieteikumi: jauns apgrozāmo līdzekļu aizdevums")
    await walk.press("Pieteikumi")
    await walk.press("Jauns pieteikums")
    await walk.press("apgrozāmajiem")
    await walk.say("daudz")  # not a number
    await walk.say("2 000 000")  # over the maximum
    await walk.say("45 000")
    await walk.press("Atpakaļ")
    await walk.say("40000")
    await walk.say("trīsdesmit")
    await walk.say("72")
    await walk.say("24")
    await walk.press("Izejvielas")
    await walk.press("Pasūtījumu")
    await walk.press("Gatavs")
    await walk.say("Koksne")  # too short
    await walk.say("Kokmateriālu iepirkums pavasara sezonai un pasūtījumu izpilde.")
    await walk.press("Gatavs")
    await walk.press("Saglabāt melnrakstu")
    walk.scene("Melnraksts atsākts")
    await walk.say("/start")
    await walk.press("Pieteikumi")
    await walk.press("Pieteikumu saraksts")
    await walk.press("Nr. 1")  # opens at the question where it stopped
    await answer_until_summary(walk)
    walk.scene("Kopsavilkums un parakstīšana")
    for label in ("Nosūtīt parakstīšanai", "Parakstīt", "Iesniegt ALTUM"):
        if await walk.find(label):
            await walk.press(label)
            break
    await walk.sign("anna")

    walk.scene("Mani darījumi → darījums → naudas līdzekļu izsniegšana")
    await walk.say("/start")
    await walk.press("Mani darījumi")
    await walk.press("Aktīvie darījumi")
    await walk.press("AL-2024-0153")
    await walk.press("Jauns darījuma pieteikums")
    await walk.press("izsniegšan")
    await walk.say("12,5 tūkst.")
    await walk.say("12 500")
    await walk.say("LV80BANK000043519500")
    await walk.say("LV80BANK0000435195001")
    await walk.say("rīt")
    await walk.say((datetime.now(UTC).date() + timedelta(days=3)).strftime("%d.%m.%Y"))
    await walk.say("Kokmateriālu iepirkums")
    await walk.press("Gatavs")
    await walk.press("Izlaist")
    await walk.press("Saglabāt melnrakstu")

    walk.scene("Saziņa: jauna ziņa ar foto")
    await walk.say("/start")
    await walk.press("Saziņa")
    await walk.press("Jauna ziņa")
    await walk.say("Akts")
    await walk.say("Nosūtām parakstīto aktu.")
    await walk.photo(jpeg())
    await walk.say("Lūdzu, skatiet pielikumā.")  # typed before «Gatavs» of the photos
    await walk.press("Gatavs")
    await walk.press("Pieņemšanas-nodošanas akts")
    await walk.say("31.02.2026")
    await walk.say(datetime.now(UTC).date().strftime("%d.%m.%Y"))
    await walk.press("Nosūtīt")
    walk.scene("Saziņa: sarakste ar ALTUM atbildi")
    await walk.say("/start")
    await walk.press("Saziņa")
    await walk.press("Pieņemšanas")
    await walk.press("Atbildēt")
    await walk.say("Paldies, nosūtīsim rīt.")
    await walk.press("Nosūtīt")

    walk.scene("Informācija")
    await walk.say("/start")
    await walk.press("Informācija")
    await walk.press("darbības")
    await walk.press("Atpakaļ")
    await walk.press("Rēķini")
    await walk.press("Atpakaļ")

    walk.scene("Profils")
    await walk.say("/start")
    await walk.press("Profils")
    await walk.press("Klienta informācija")
    await walk.say("/start")
    await walk.press("Profils")
    await walk.press("Paziņojumi")

    walk.scene("Anketas")
    await walk.say("/start")
    await walk.press("Anketas")
    await walk.press("Klienta anketa")
    await walk.say("Kokapstrāde un kokmateriālu tirdzniecība")
    await walk.press("Atcelt")

    walk.scene("Palīdzība")
    await walk.say("/start")
    await walk.press("Palīdzība")
    await walk.say("/help")
    await walk.say("kaut kas nesaprotams")


async def english(walk: Walk) -> None:
    walk.scene("/language → English")
    await walk.say("/language")
    await walk.press("English")
    await walk.say("/start")
    await walk.press("Applications")
    await walk.press("List of applications")
    await walk.press("No. 1")
    await walk.say("/start")
    await walk.press("My deals")
    await walk.press("📑 Active deals")
    await walk.press("AL-2024-0153")
    await walk.say("/start")
    await walk.press("Communication")
    await walk.press("1.")
    await walk.say("/start")
    await walk.press("Information")
    await walk.press("Invoices")
    await walk.say("/start")
    await walk.press("Profile")
    await walk.say("/start")
    await walk.press("Help")
    await walk.say("/language")
    await walk.press("Latviešu")


async def main(out: Any, parts: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_demo(Path(tmp) / "demo.db") as (emu, _web), browser() as http:
            users = {u["first_name"]: u for u in await emu.users(BOT_ID)}
            walk = Walk(emu, int(users["Anna"]["id"]), out)
            await walk.start()
            if "lv" in parts:
                await latvian(walk, http)
            if "en" in parts:
                if "lv" not in parts:
                    await walk.log_in(http, "anna")
                    await walk.say("/client")
                    await walk.press('SIA "Ozolkalna Koks"')
                await english(walk)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("lv", "en"), help="only this language's walk")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args()
    chosen = {args.only} if args.only else {"lv", "en"}
    if args.output:
        with args.output.open("w", encoding="utf-8") as file:
            asyncio.run(main(file, chosen))
    else:
        asyncio.run(main(sys.stdout, chosen))
