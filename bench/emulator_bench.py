"""CPU the emulator spends re-serving pending updates to a bot that confirms late.

The emulator runs in a subprocess (`python -m emulator`); this script queues updates through
the control API, then calls getUpdates with the same offset again and again over HTTP, and
reads the server's own CPU time from /proc/<pid>/stat around each round, so the client's
work is not counted.

    .venv/bin/python bench/emulator_bench.py                  # the working tree's emulator
    git archive HEAD emulator | tar -x -C /tmp/emu_before     # (once) an older emulator
    .venv/bin/python bench/emulator_bench.py --compare /tmp/emu_before

With --compare DIR, DIR must contain an `emulator` package; rounds of both servers alternate
and the ratio current/baseline of the median CPU per call is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from emulator import EmulatorClient

ROOT = Path(__file__).resolve().parents[1]
BOT_ID = 555000111
TOKEN = f"{BOT_ID}:AAF-emulator-bench-token_0123456789abcdef"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    label: str
    root: Path
    process: subprocess.Popen[str] | None = None
    base_url: str = ""
    per_call_ms: list[float] = field(default_factory=list)
    rss_mb: float = 0.0

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--port", "0"],
            cwd=self.root,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "Telegram Bot API emulator on http://…"
        self.base_url = line.rsplit(" ", 1)[-1].strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError(f"{self.label}: unexpected first line {line!r}")

    def stop(self) -> None:
        if self.process is not None:
            self.rss_mb = self.memory_mb()
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def cpu_seconds(self) -> float:
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def memory_mb(self) -> float:
        """Resident memory: the calls log keeps every answer's result."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


async def bot_api(
    http: aiohttp.ClientSession, server: Server, method: str, body: dict[str, object]
) -> object:
    async with http.post(f"{server.base_url}/bot{TOKEN}/{method}", json=body) as response:
        answer = await response.json()
        if not answer.get("ok"):
            raise RuntimeError(f"{method}: {answer}")
        return answer["result"]


async def prepare(http: aiohttp.ClientSession, server: Server, pending: int) -> int:
    """Queue `pending` updates (texts and button presses); return the offset to poll with."""
    await bot_api(http, server, "getMe", {})
    keyboard = {
        "inline_keyboard": [
            [{"text": "Latviešu", "callback_data": "lang:lv"}],
            [{"text": "English", "callback_data": "lang:en"}],
        ]
    }
    shown: dict[int, int] = {}
    async with EmulatorClient(server.base_url, session=http) as emu:
        users = [(await emu.create_user(BOT_ID, f"User {n}", started=True))["id"] for n in range(8)]
        for user_id in users:  # the bot greets each user with a keyboard to press
            sent = await bot_api(
                http,
                server,
                "sendMessage",
                {
                    "chat_id": user_id,
                    "text": "<b>Welcome</b> to ALTUM! Choose a language, please.",
                    "parse_mode": "HTML",
                    "reply_markup": keyboard,
                },
            )
            assert isinstance(sent, dict)
            shown[user_id] = sent["message_id"]
        for n in range(pending):
            user_id = users[n % len(users)]
            if n % 4 == 3:
                await emu.press(BOT_ID, user_id, shown[user_id], text="English")
            else:
                text = f"/start message number {n} with some ordinary text, ūdens"
                await emu.send_text(BOT_ID, user_id, text)
    first = await bot_api(http, server, "getUpdates", {"timeout": 0})
    assert isinstance(first, list)
    assert len(first) == pending, len(first)
    offset: int = first[0]["update_id"]
    return offset


async def measure(
    http: aiohttp.ClientSession, server: Server, offset: int, pending: int, calls: int
) -> float:
    """CPU milliseconds of the server per getUpdates call, over `calls` calls."""
    body: dict[str, object] = {"offset": offset, "limit": 100, "timeout": 0}
    before = server.cpu_seconds()
    for _ in range(calls):
        result = await bot_api(http, server, "getUpdates", body)
        assert isinstance(result, list)
        assert len(result) == pending
    return (server.cpu_seconds() - before) * 1000 / calls


async def run(args: argparse.Namespace) -> None:
    servers = [Server("current", ROOT)]
    if args.compare:
        servers.insert(0, Server("baseline", args.compare))
    offsets = {}
    async with aiohttp.ClientSession() as http:
        try:
            for server in servers:
                server.start()
                offsets[server.label] = await prepare(http, server, args.pending)
                await measure(http, server, offsets[server.label], args.pending, 50)  # warm up
            for _ in range(args.rounds):
                for server in servers:
                    per_call = await measure(
                        http, server, offsets[server.label], args.pending, args.calls
                    )
                    server.per_call_ms.append(per_call)
                    await asyncio.sleep(0.2)  # let the machine settle between servers
        finally:
            for server in servers:
                server.stop()
    print(
        f"getUpdates re-serving {args.pending} pending updates, "
        f"{args.rounds} rounds x {args.calls} calls (server CPU from /proc, {TICKS} ticks/s)"
    )
    for server in servers:
        rounds = ", ".join(f"{ms:.3f}" for ms in server.per_call_ms)
        median = statistics.median(server.per_call_ms)
        print(
            f"  {server.label:8} median {median:.3f} ms CPU/call  (rounds: {rounds}); "
            f"RSS at the end {server.rss_mb:.0f} MB"
        )
    if args.compare:
        base = statistics.median(servers[0].per_call_ms)
        current = statistics.median(servers[1].per_call_ms)
        print(f"  ratio current/baseline: {current / base:.2f}  (speed-up x{base / current:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=64, help="updates in flight (default 64)")
    parser.add_argument("--calls", type=int, default=1000, help="getUpdates calls per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per server")
    parser.add_argument(
        "--compare", type=Path, help="directory holding a baseline `emulator` package"
    )
    args = parser.parse_args()
    if args.compare is not None:
        args.compare = args.compare.resolve()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
