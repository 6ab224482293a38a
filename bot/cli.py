"""`altum-bot`: run, webhook, set-webhook, migrate, ur-import, quarantine, api-token, files,
demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

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
    ur_import = commands.add_parser(
        "ur-import",
        help="load the Company Register's open data (register.csv, officers.csv)",
        description="Import the Company Register (Uzņēmumu reģistrs) files from data.gov.lv "
        "into DATABASE_URL: companies and their officers, upserted in batches. Rows the files "
        "no longer have are deleted afterwards (an officer who left the board can no longer "
        "register the company), unless that would remove more than a quarter of a table. "
        "Malformed rows are skipped and counted by line number. Run it daily.",
    )
    ur_import.add_argument("register", type=Path, help="register.csv")
    ur_import.add_argument("officers", type=Path, help="officers.csv")
    ur_import.add_argument(
        "--batch-size", type=int, default=5000, help="rows per transaction (default 5000)"
    )
    ur_import.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="delete rows the files no longer have even if they are many",
    )
    ur_import.add_argument(
        "--migrate",
        action="store_true",
        help="upgrade the database schema first (otherwise an old schema is refused)",
    )
    quarantine = commands.add_parser(
        "quarantine",
        help="updates set aside because they could not be handled: list, show, retry, drop",
        description="Updates the bot could not parse or whose handling kept failing are set "
        "aside (acknowledged, the person told once). Look at them, and replay them once the "
        "cause is fixed: retry feeds the stored update through the normal path "
        "(deduplicated, one transaction, replies through the outbox).",
    )
    actions = quarantine.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the updates in quarantine, newest first")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    for name, text in (
        ("show", "one update: its error and its JSON"),
        ("retry", "handle it again through the normal path; it leaves quarantine if handled"),
        ("drop", "delete it from quarantine without handling it"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("id", type=int, help="its ID in `altum-bot quarantine list`")
    api_token = commands.add_parser(
        "api-token",
        help="tokens for the back-office API (create, list, revoke)",
        description="Bearer tokens for ALTUM's systems calling PUBLIC_URL/api/v1. Only a hash "
        "of each token is stored.",
    )
    token_commands = api_token.add_subparsers(dest="action", required=True)
    create = token_commands.add_parser(
        "create",
        help="make a token; it is printed once, as the last line",
        description="Make a token with the given scopes (e.g. clients:read, deals:write, "
        "events:read). The token is printed once, as the last line of the output.",
    )
    create.add_argument("name", help="who uses it, e.g. crm; shown in the activity log")
    create.add_argument(
        "--scope", action="append", default=[], required=True, help="repeat for several"
    )
    token_commands.add_parser("list", help="names, scopes, created, last used")
    revoke = token_commands.add_parser("revoke", help="the token stops working at once")
    revoke.add_argument("name")
    files = commands.add_parser(
        "files",
        help="the stored files: sweep away those nothing uses any more",
        description="Stored files (FILES_DIR) that no row names any more (a deleted "
        "document, a cancelled draft, a rejected registration) leave the disk once older "
        "than FILES_SWEEP_GRACE_HOURS; the bot does this every FILES_SWEEP_SECONDS.",
    )
    files_commands = files.add_subparsers(dest="action", required=True, metavar="ACTION")
    files_commands.add_parser(
        "sweep",
        help="one sweep now; prints how many files and bytes it removed",
        description="Delete the stored files nothing names that are older than the grace, "
        "and staged leftovers as old. Safe while the bot runs. Prints counts and bytes only.",
    )
    demo = commands.add_parser(
        "demo",
        help="the local demo: emulator, web chat, SQLite, demo data",
        description="Start the Telegram emulator with its web chat and the bot on SQLite.",
    )
    demo.add_argument("--port", type=int, default=8081, help="emulator/web chat port")
    demo.add_argument("--database-url", default="sqlite:///./var/demo.db")
    demo.add_argument(
        "--web-port", type=int, default=8080, help="the bot's own pages (login, mail) port"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from bot.ops.demo import run_demo

        logs.configure(level="INFO")
        asyncio.run(
            run_demo(port=args.port, database_url=args.database_url, web_port=args.web_port)
        )
        return 0
    try:
        settings = Settings()
    except (ValidationError, ValueError) as exc:
        print(f"altum-bot: bad settings: {exc}", file=sys.stderr)
        return 2
    logs.configure(level=settings.log_level, json_lines=settings.log_json)
    if args.command == "ur-import":
        return _ur_import(settings, args)
    if args.command == "quarantine":
        return _quarantine(settings, args)
    if args.command == "api-token":
        return _api_token(settings, args)
    if args.command == "files":
        return _files(settings)
    from bot import runtime
    from storage.migrate import upgrade

    try:
        if args.command == "migrate":
            upgrade(settings.database_url)
            print("database schema is up to date")
        elif args.command == "run":
            asyncio.run(runtime.run_polling(settings, freeze_heap=True))
        elif args.command == "webhook":
            asyncio.run(runtime.run_webhook(settings, freeze_heap=True))
        elif args.command == "set-webhook":
            print(asyncio.run(runtime.set_webhook(settings, delete=args.delete)))
    except (ValueError, RuntimeError) as exc:
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    return 0


def _quarantine(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ops import quarantine_commands as commands

    try:
        if args.action == "list":
            outcome = asyncio.run(commands.list_entries(settings, limit=args.limit))
        elif args.action == "show":
            outcome = asyncio.run(commands.show_entry(settings, args.id))
        elif args.action == "retry":
            outcome = asyncio.run(commands.retry_entry(settings, args.id))
        else:
            outcome = asyncio.run(commands.drop_entry(settings, args.id))
    except (ValueError, RuntimeError) as exc:  # no BOT_TOKEN, an old schema, no database
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    print(outcome.text, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def _api_token(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ops import api_tokens
    from portal.model import BadTokenRequest, TokenNameTaken

    url = settings.database_url
    try:
        if args.action == "create":
            token, secret = asyncio.run(api_tokens.create(url, args.name, args.scope))
            print(api_tokens.format_created(token, secret))
        elif args.action == "list":
            print(api_tokens.format_list(asyncio.run(api_tokens.listed(url))))
        elif not asyncio.run(api_tokens.revoke(url, args.name)):
            print(f"altum-bot: no API token named {args.name!r}", file=sys.stderr)
            return 1
        else:
            print(f"API token {args.name!r} revoked")
    except BadTokenRequest as exc:
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    except TokenNameTaken:
        print(
            f"altum-bot: an API token named {args.name!r} exists; revoke it first", file=sys.stderr
        )
        return 2
    except (ValueError, RuntimeError) as exc:
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    return 0


def _files(settings: Settings) -> int:
    from bot.ops.file_sweeper import sweep_stored_files

    try:
        swept = asyncio.run(sweep_stored_files(settings))
    except (ValueError, RuntimeError) as exc:  # no database, an old schema
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    print(swept.text())
    return 0


def _ur_import(settings: Settings, args: argparse.Namespace) -> int:
    # Not through bot.runtime: aiogram and the app would triple the import's memory.
    from bot.ops import ur_import

    try:
        outcome = asyncio.run(
            ur_import.run_import(
                settings.database_url,
                args.register,
                args.officers,
                batch_size=args.batch_size,
                allow_mass_delete=args.allow_mass_delete,
                migrate=args.migrate,
            )
        )
    except (ValueError, RuntimeError) as exc:
        print(f"altum-bot: {exc}", file=sys.stderr)
        return 2
    print(ur_import.format_outcome(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
