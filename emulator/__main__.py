"""Run the emulator standalone: python -m emulator --host 127.0.0.1 --port 8081."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .server import EmulatorServer
from .state import EmulatorConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port, 0 = any free (default 8081)")
    parser.add_argument(
        "--username", default="altum_test_bot", help="username of the first bot that connects"
    )
    parser.add_argument(
        "--webhook-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for a webhook answer before retrying",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="latency added to every Bot API call"
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log each request (tokens are redacted)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = EmulatorConfig(
        default_username=args.username,
        webhook_timeout=args.webhook_timeout,
        latency_ms=args.latency_ms,
    )
    server = EmulatorServer(args.host, args.port, config, access_log=args.access_log)
    url = await server.start()
    print(f"Telegram Bot API emulator on {url}", flush=True)
    print(f"  web chat:    {url}/", flush=True)
    print(f"  bot API:     {url}/bot<token>/<method>", flush=True)
    print(f"  control API: {url}/control/bots", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # A demo supervisor stops us with SIGTERM: shut down cleanly, not mid-request.
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
