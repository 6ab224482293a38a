"""`altum-bot`: run, webhook, set-webhook, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import logs
from bot.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="altum-bot",
        description="ALTUM client assistant for Telegram. Settings come from the environment "
        "and .env (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        help="serve with long polling",
        description="Serve updates with long polling. SIGTERM finishes the "
        "updates in flight, then exits.",
    )
    commands.add_parser(
        "webhook",
        help="serve webhooks (and the web pages) on WEB_HOST:WEB_PORT",
        description="Serve Telegram webhooks at WEBHOOK_PATH. Does not call "
        "setWebhook (see set-webhook). SIGTERM finishes the updates in flight.",
    )
    set_webhook = commands.add_parser(
        "set-webhook",
        help="point Telegram at PUBLIC_URL (a deploy step)",
        description="Register PUBLIC_URL + WEBHOOK_PATH with WEBHOOK_SECRET. Pending updates "
        "are never dropped.",
    )
    set_webhook.add_argument(
        "--delete", action="store_true", help="remove the webhook instead (to go back to polling)"
    )
    commands.add_parser(
        "migrate",
        help="upgrade the database schema (Alembic)",
        description="Apply Alembic migrations up to the newest.",
    )
    demo = commands.add_parser(
        "demo",
        help="the local demo: emulator, web chat, SQLite, demo data",
        description="Start the Telegram emulator with its web chat and the bot on SQLite.",
    )
    demo.add_argument("--port", type=int, default=8081, help="emulator/web chat port")
    demo.add_argument("--database-url", default="sqlite+aiosqlite:///./var/demo.db")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from bot.demo import run_demo

        logs.configure(level="INFO")
        asyncio.run(run_demo(port=args.port, database_url=args.database_url))
        return 0
    try:
        settings = Settings()
    except (ValidationError, ValueError) as exc:
        print(f"altum-bot: bad settings: {exc}", file=sys.stderr)
        return 2
    logs.configure(level=settings.log_level, json_lines=settings.log_json)
    from bot import runtime
    from storage.migrate import upgrade

    try:
        if args.command == "migrate":
            upgrade(settings.database_url)
            print("database schema is up to date")
        elif args.command == "run":
            asyncio.run(runtime.run_polling(settings))
        elif args.command == "webhook":
            asyncio.run(runtime.run_webhook(settings))
        elif args.command == "set-webhook":
            print(asyncio.run(runtime.set_webhook(settings, delete=args.delete)))
    except (ValueError, RuntimeError) as exc:
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
