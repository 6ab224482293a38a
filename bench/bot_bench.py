"""Throughput and latency of the full bot against a bare aiogram echo bot, in the same run.

Both bots run as their own processes and poll the same in-process emulator; simulated users
send a realistic mix (/start, a menu button, /help, free text) and wait for the replies.

  throughput: U users in a closed loop for D seconds -> replied steps per second
  latency:    an open loop at R updates/s -> p50/p99 from sending an update to its last reply

Usage: .venv/bin/python bench/bot_bench.py [--quick]   (needs PostgreSQL for the postgres run)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import EmulatorClient, EmulatorServer  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
FULL_MIX = [
    ("text", "/start", 2),
    ("press", "ℹ️ Palīdzība un portāla karte", 1),
    ("text", "/help", 1),
    ("text", "Labdien, kā iesniegt pieteikumu?", 1),
]
ECHO_MIX = [
    ("text", "/start", 1),
    ("press", "Help", 1),
    ("text", "/help", 1),
    ("text", "Labdien, kā iesniegt pieteikumu?", 1),
]


@dataclass
class Subject:
    name: str
    command: list[str]
    env: dict[str, str]
    mix: list[tuple[str, str, int]]
    bot_id: int = 0


@dataclass
class UserState:
    user_id: int
    seen: int = 0
    keyboard_message: int = 0
    step: int = 0


@dataclass
class Result:
    name: str
    throughput: float = 0.0
    cpu_ms_per_update: float = 0.0  # the bot process's own CPU (user + system) per update
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def one_step(
    emu: EmulatorClient, bot_id: int, user: UserState, mix: list[tuple[str, str, int]]
) -> float:
    kind, value, replies = mix[user.step % len(mix)]
    if kind == "press" and not user.keyboard_message:
        kind, value, replies = mix[0]  # no keyboard yet: /start first
        user.step -= 1
    started = time.perf_counter()
    if kind == "text":
        sent = await emu.send_text(bot_id, user.user_id, value)
        user.seen = max(user.seen, sent["message_id"])
    else:
        await emu.press(bot_id, user.user_id, user.keyboard_message, text=value)
    for _ in range(replies):
        message = await emu.next_bot_message(bot_id, user.user_id, after=user.seen, timeout=30)
        user.seen = message["message_id"]
        if message.get("reply_markup"):
            user.keyboard_message = message["message_id"]
    user.step += 1
    return (time.perf_counter() - started) * 1000


async def closed_loop(
    emu: EmulatorClient, subject: Subject, users: list[UserState], seconds: float
) -> float:
    deadline = time.perf_counter() + seconds
    done = 0

    async def run(user: UserState) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await one_step(emu, subject.bot_id, user, subject.mix)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(run(user) for user in users))
    return done / (time.perf_counter() - started)


async def open_loop(
    emu: EmulatorClient, subject: Subject, users: list[UserState], rate: float, seconds: float
) -> list[float]:
    latencies: list[float] = []
    tasks: list[asyncio.Task[None]] = []
    busy: set[int] = set()

    async def step(user: UserState) -> None:
        busy.add(user.user_id)
        try:
            latencies.append(await one_step(emu, subject.bot_id, user, subject.mix))
        finally:
            busy.discard(user.user_id)

    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        free = [u for u in users if u.user_id not in busy]
        if free:
            tasks.append(asyncio.create_task(step(free[n % len(free)])))
    await asyncio.gather(*tasks)
    return latencies


async def measure(server: EmulatorServer, subject: Subject, args: argparse.Namespace) -> Result:
    token = f"{subject.bot_id}:bench-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        **subject.env,
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": server.base_url,
        "LOG_LEVEL": "WARNING",
    }
    async with EmulatorClient(server.base_url) as emu:
        process = await asyncio.create_subprocess_exec(*subject.command, env=env, cwd=ROOT)
        try:
            await emu.calls(subject.bot_id, method="getUpdates", wait=60, min=1)
            users = [
                UserState(
                    (await emu.create_user(subject.bot_id, f"User{i}", language_code="lv"))["id"]
                )
                for i in range(args.users)
            ]
            await closed_loop(emu, subject, users[:20], 1.0)  # warm up
            result = Result(subject.name)
            profiler = await start_profiler(process.pid, subject.name, args)
            cpu_before = cpu_seconds(process.pid)
            started = time.perf_counter()
            result.throughput = await closed_loop(
                emu, subject, users[: args.concurrency], args.seconds
            )
            steps = result.throughput * (time.perf_counter() - started)
            result.cpu_ms_per_update = (cpu_seconds(process.pid) - cpu_before) / steps * 1000
            if profiler is not None:
                await profiler.wait()
            result.latencies_ms = await open_loop(emu, subject, users, args.rate, args.seconds)
            return result
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_profiler(
    pid: int, name: str, args: argparse.Namespace
) -> asyncio.subprocess.Process | None:
    """With --profile: py-spy samples the bot during the closed loop (raw, for flamegraphs)."""
    if not args.profile:
        return None
    slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    output = ROOT / "bench" / "results" / f"profile-{slug}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(args.seconds) - 1)),
        "--rate",
        "250",
        "--format",
        "raw",
        "--output",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def postgres_database() -> tuple[str, str]:
    name = f"altum_bench_{uuid.uuid4().hex[:8]}"
    server = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return name, server.set(drivername="postgresql+asyncpg", database=name).render_as_string(False)


async def drop_postgres(name: str) -> None:
    server = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def main(args: argparse.Namespace) -> None:
    python = sys.executable
    altum = str(Path(python).with_name("altum-bot"))
    sqlite_path = ROOT / "var" / f"bench-{uuid.uuid4().hex[:8]}.db"
    sqlite_url = f"sqlite+aiosqlite:///{sqlite_path}"
    await upgrade_async(sqlite_url)
    pg_name, pg_url = await postgres_database()
    await upgrade_async(pg_url)
    subjects = [
        Subject(
            "echo (bare aiogram)",
            [python, str(ROOT / "bench" / "echo_bot.py")],
            {},
            ECHO_MIX,
            bot_id=111111111,
        ),
        Subject(
            "full bot, SQLite",
            [altum, "run"],
            {"DATABASE_URL": sqlite_url},
            FULL_MIX,
            bot_id=222222222,
        ),
        Subject(
            "full bot, PostgreSQL",
            [altum, "run"],
            {"DATABASE_URL": pg_url},
            FULL_MIX,
            bot_id=333333333,
        ),
    ]
    results: list[Result] = []
    try:
        async with EmulatorServer() as server:
            for subject in subjects:
                results.append(await measure(server, subject, args))
    finally:
        await drop_postgres(pg_name)
        sqlite_path.unlink(missing_ok=True)
    report(results, args)


def report(results: list[Result], args: argparse.Namespace) -> None:
    baseline = results[0]
    print(
        f"\n{args.concurrency} users closed loop for {args.seconds:g} s; "
        f"open loop at {args.rate:g} updates/s for {args.seconds:g} s "
        f"(latency = update sent -> last reply received)\n"
    )
    print(
        f"{'subject':<24}{'updates/s':>11}{'vs echo':>9}{'CPU ms/upd':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'n':>7}"
    )
    rows: list[dict[str, Any]] = []
    for result in results:
        ratio = result.throughput / baseline.throughput
        p50, p99 = result.percentile(50), result.percentile(99)
        print(
            f"{result.name:<24}{result.throughput:>11.1f}{ratio:>8.0%} "
            f"{result.cpu_ms_per_update:>10.2f}{p50:>9.1f}{p99:>9.1f}{len(result.latencies_ms):>7}"
        )
        rows.append(
            {
                "subject": result.name,
                "updates_per_s": round(result.throughput, 1),
                "cpu_ms_per_update": round(result.cpu_ms_per_update, 3),
                "ratio_vs_echo": round(ratio, 3),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "mean_ms": round(statistics.fmean(result.latencies_ms), 1)
                if result.latencies_ms
                else None,
            }
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "bot_bench.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    full = [r for r in rows if r["subject"].startswith("full")]
    verdicts = [
        f"{r['subject']}: throughput {r['ratio_vs_echo']:.0%} of echo "
        f"({'meets' if r['ratio_vs_echo'] >= 0.5 else 'MISSES'} >= 50%), p99 "
        f"{r['p99_ms']} ms ({'meets' if r['p99_ms'] <= 50 else 'MISSES'} <= 50 ms)"
        for r in full
    ]
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--quick", action="store_true", help="3-second phases (a smoke run)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each bot with py-spy (pip install py-spy) into bench/results/profile-*.txt",
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seconds = 3.0
    asyncio.run(main(arguments))
