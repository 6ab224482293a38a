"""`altum-bot demo`: the emulator with its web chat, the bot on SQLite, demo users."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.ops import demo_backoffice
from bot.ops.ur_import import run_import
from bot.runtime import run_polling, stop_on_signals
from bot.settings import DEMO_BOT_TOKEN, Settings
from emulator.client import EmulatorClient
from emulator.server import EmulatorServer
from storage.migrate import upgrade_async

log = logging.getLogger(__name__)

BOT_ID = int(DEMO_BOT_TOKEN.split(":", 1)[0])
DEMO_USERS = (
    {
        "first_name": "Anna",
        "last_name": "Bērziņa",
        "username": "anna_berzina",
        "language_code": "lv",
    },
    {"first_name": "Jānis", "last_name": "Kalniņš", "username": None, "language_code": "lv"},
    {"first_name": "Emily", "last_name": "Clark", "username": "emily_c", "language_code": "en"},
)


DEMO_DATA = Path(__file__).resolve().parent / "demo_data"


async def run_demo(
    *,
    port: int,
    database_url: str,
    host: str = "127.0.0.1",
    web_port: int = 8080,
    stop: asyncio.Event | None = None,
) -> None:
    stop = stop or stop_on_signals()
    emulator = EmulatorServer(host=host, port=port)
    base_url = await emulator.start()
    try:
        await upgrade_async(database_url)
        # A sample of the Company Register's open data (demo_data/): companies to register.
        await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
        # ALTUM's side, through the back-office use cases: SIA "Ozolkalna Koks" with deals.
        api_token = await demo_backoffice.load(database_url)
        async with EmulatorClient(base_url) as client:
            await client.configure_bot(BOT_ID, username="altum_demo_bot", first_name="ALTUM")
            known = {user["first_name"] for user in await client.users(BOT_ID)}
            for user in DEMO_USERS:
                if user["first_name"] not in known:
                    await client.create_user(BOT_ID, **user)
        settings = Settings(
            _env_file=None,
            bot_token=DEMO_BOT_TOKEN,
            telegram_api_url=base_url,
            database_url=database_url,
            demo_mode=True,
            web_host=host,
            web_port=web_port,
            public_url=f"http://{host}:{web_port}",
        )
        print(
            f"\n  ALTUM bot demo: open the web chat at {base_url}/"
            f"\n  Log in with /login: «Pieslēgties» opens the login Mini App in the web chat"
            f"\n  (a demo identity provider stands in for Latvija.lv),"
            f"\n  e-mails the bot sends: http://{host}:{web_port}/demo/mail"
            f"\n  Back-office API (ALTUM's side): http://{host}:{web_port}/api/v1/docs"
            "\n  with this token (all scopes; a new one each start):"
            f"\n  {api_token}"
            "\n  (Ctrl+C stops)\n",
            flush=True,
        )
        await run_polling(settings, stop)
    finally:
        await emulator.stop()


if __name__ == "__main__":  # pragma: no cover
    asyncio.run(run_demo(port=8081, database_url="sqlite:///./var/demo.db"))
