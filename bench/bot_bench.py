"""Throughput and latency of the full bot against a bare aiogram echo bot, in the same run.

Both bots run as their own processes and poll the same in-process emulator; simulated users
send a realistic mix (/start, a menu button, /help, free text) and wait for the replies.

  throughput: U users in a closed loop for D seconds -> replied steps per second
  latency:    an open loop at R updates/s -> p50/p99 from sending an update to its last reply

All bots run side by side and are measured in turn, round after round, so that a change in
the machine's speed (it is shared) affects the baseline and the bots alike.

With `--mix forms` the users are people linked to an ALTUM client with an active deal, who
walk real forms (bench/form_mix.py); the echo bot answers the same steps.

Usage: .venv/bin/python bench/bot_bench.py [--quick] [--mix forms]
       (needs PostgreSQL for the postgres run)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
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
    first_user_id: int | None = None  # the users' Telegram ids from here (seeded people)
    stagger: bool = False  # before measuring, user i walks i steps into the mix (see start)


@dataclass
class UserState:
    user_id: int
    seen: int = 0
    keyboard_message: int = 0
    keyboard: dict[str, Any] = field(default_factory=dict)  # that message
    step: int = 0


@dataclass
class Result:
    name: str
    throughput: float = 0.0
    cpu_ms_per_update: float = 0.0  # the bot process's own CPU (user + system) per update
    driver_cpu_ms_per_update: float = 0.0  # this process's: the emulator and the simulated users
    machine_busy: float = 0.0  # share of all cores busy during the closed loop
    latencies_ms: list[float] = field(default_factory=list)
    driver_gc_pause_ms: float = 0.0  # this process's longest collection while measuring latency

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
    try:
        if kind == "text":
            sent = await emu.send_text(bot_id, user.user_id, value)
            user.seen = max(user.seen, sent["message_id"])
        else:
            await emu.press(bot_id, user.user_id, user.keyboard_message, text=button(user, value))
        for _ in range(replies):
            message = await emu.next_bot_message(bot_id, user.user_id, after=user.seen, timeout=30)
            user.seen = message["message_id"]
            if message.get("reply_markup"):
                user.keyboard_message = message["message_id"]
                user.keyboard = message
    except Exception as error:  # which step of whose walk, and what the bot had shown
        shown = str(user.keyboard.get("text", ""))[:120]
        raise RuntimeError(
            f"bot {bot_id}, user {user.user_id}, step {user.step % len(mix)} "
            f"({kind} {value!r}): {error!r}; the last keyboard's text: {shown!r}"
        ) from error
    user.step += 1
    return (time.perf_counter() - started) * 1000


def button(user: UserState, value: str) -> str:
    """A button's text; `Nr. …` stands for the first button starting with `Nr. ` (an item of
    a list, whose number the bot chose)."""
    if not value.endswith("…"):
        return value
    rows = user.keyboard["reply_markup"]["inline_keyboard"]
    return str(next(b["text"] for row in rows for b in row if b["text"].startswith(value[:-1])))


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


async def at_rate(
    rate: float, seconds: float, start: Callable[[int], Coroutine[Any, Any, None] | None]
) -> None:
    """An open loop: `start(n)` at n / rate seconds, whether or not earlier ones finished
    (None: nothing to start this time); then wait for them all."""
    tasks: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        work = start(n)
        if work is not None:
            tasks.append(asyncio.create_task(work))
    await asyncio.gather(*tasks)


async def open_loop(
    emu: EmulatorClient, subject: Subject, users: list[UserState], rate: float, seconds: float
) -> list[float]:
    latencies: list[float] = []
    busy: set[int] = set()

    async def step(user: UserState) -> None:
        busy.add(user.user_id)
        try:
            latencies.append(await one_step(emu, subject.bot_id, user, subject.mix))
        finally:
            busy.discard(user.user_id)

    def next_step(n: int) -> Coroutine[Any, Any, None] | None:
        free = [u for u in users if u.user_id not in busy]
        return step(free[n % len(free)]) if free else None

    await at_rate(rate, seconds, next_step)
    return latencies


@dataclass
class CommitFloor:
    """PostgreSQL's own commit latency, in the same rounds: BEGIN, a one-row INSERT and COMMIT
    sent by the driver at the latency phase's rate. Every update's transaction waits for at
    least this (COMMIT waits for the WAL to reach the disk), so this p99 is the floor the
    PostgreSQL bot's p99 stands on, on this machine, in this run."""

    url: str
    latencies_ms: list[float] = field(default_factory=list)
    p99_per_round: list[float] = field(default_factory=list)

    async def round(self, rate: float, seconds: float) -> None:
        latencies: list[float] = []
        pool = await asyncpg.create_pool(self.url, min_size=4, max_size=16)
        try:
            async with pool.acquire() as connection:
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS bench_commit_probe "
                    "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
                )

            async def commit() -> None:
                started = time.perf_counter()
                async with pool.acquire() as connection, connection.transaction():
                    await connection.execute("INSERT INTO bench_commit_probe DEFAULT VALUES")
                latencies.append((time.perf_counter() - started) * 1000)

            await at_rate(rate, seconds, lambda _: commit())
        finally:
            await pool.close()
        self.latencies_ms += latencies
        self.p99_per_round.append(Result("", latencies_ms=latencies).percentile(99))


class GcPauses:
    """The driver's own garbage-collection pauses: the emulator keeps every message, and a
    full collection over that heap once stalled the driver for 0.5 s, which would be charged
    to whichever bot was being measured. `settle()` before each phase hides what exists so
    far from the collector; `longest` shows what was left."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def settle(self) -> None:
        gc.collect()
        gc.freeze()
        self.longest = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest = max(self.longest, (time.perf_counter() - self._started) * 1000)


@dataclass
class Running:
    """A subject's bot process, started once and measured in every round."""

    subject: Subject
    process: asyncio.subprocess.Process
    users: list[UserState]
    result: Result
    rounds: list[Result] = field(default_factory=list)
    p99_per_round: list[float] = field(default_factory=list)


async def start(
    server: EmulatorServer, emu: EmulatorClient, subject: Subject, users: int
) -> Running:
    token = f"{subject.bot_id}:bench-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        **subject.env,
        "BOT_TOKEN": token,
        "DEMO_MODE": "true",  # the bot starts only with an identity provider: the demo one
        "TELEGRAM_API_URL": server.base_url,
        "LOG_LEVEL": "WARNING",
        "WEB_PORT": str(free_port()),  # the bots run side by side
    }
    process = await asyncio.create_subprocess_exec(*subject.command, env=env, cwd=ROOT)
    try:
        people = await warm_up(emu, subject, users)
    except BaseException:  # not measured yet, so not stopped by measure_all: stop it here
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=60)
        raise
    return Running(subject, process, people, Result(subject.name))


async def warm_up(emu: EmulatorClient, subject: Subject, users: int) -> list[UserState]:
    """Once the bot polls: its users, spread over the mix if it asks for that, and a second
    of steps."""
    await emu.calls(subject.bot_id, method="getUpdates", wait=60, min=1)
    first = subject.first_user_id
    people = [
        UserState(
            (
                await emu.create_user(
                    subject.bot_id,
                    f"User{i}",
                    language_code="lv",
                    user_id=None if first is None else first + i,
                )
            )["id"]
        )
        for i in range(users)
    ]
    if subject.stagger:
        await stagger(emu, subject, people)
    await closed_loop(emu, subject, people[:20], 1.0)  # warm up
    return people


async def stagger(emu: EmulatorClient, subject: Subject, users: list[UserState]) -> None:
    """User i walks i steps (modulo the mix's length) before anything is measured, so that at
    any moment the users are spread over the whole mix. Otherwise a long mix (a form walk) is
    measured mostly at its start: the open loop gives each of 300 users one step per 3 s, and
    the closed loop would move its users through the mix in lockstep."""

    walking = asyncio.Semaphore(64)  # no more at once than the closed loop's users

    async def walk(user: UserState, steps: int) -> None:
        async with walking:
            for _ in range(steps):
                await one_step(emu, subject.bot_id, user, subject.mix)

    await asyncio.gather(*(walk(user, i % len(subject.mix)) for i, user in enumerate(users)))


async def throughput_round(
    emu: EmulatorClient, bot: Running, args: argparse.Namespace, profile: bool
) -> Result:
    """One closed-loop phase: throughput and CPU per update of the bot and of this process."""
    result = Result(bot.subject.name)
    profiler = await start_profiler(bot.process.pid, bot.subject.name, args) if profile else None
    cpu_before = cpu_seconds(bot.process.pid)
    driver_before = time.process_time()
    machine = machine_times()
    started = time.perf_counter()
    result.throughput = await closed_loop(
        emu, bot.subject, bot.users[: args.concurrency], args.seconds
    )
    steps = result.throughput * (time.perf_counter() - started)
    result.cpu_ms_per_update = (cpu_seconds(bot.process.pid) - cpu_before) / steps * 1000
    result.driver_cpu_ms_per_update = (time.process_time() - driver_before) / steps * 1000
    (busy_after, total_after), (busy_before, total_before) = machine_times(), machine
    total = total_after - total_before
    result.machine_busy = (busy_after - busy_before) / total if total else 0.0
    if profiler is not None:
        await profiler.wait()
    return result


async def measure_all(
    server: EmulatorServer,
    subjects: list[Subject],
    args: argparse.Namespace,
    floor: CommitFloor | None,
) -> list[Running]:
    """All bots run side by side (idle ones only long-poll); every round measures each in
    turn, so a drift in the machine's speed hits the baseline and the bot alike."""
    gc_pauses = GcPauses()
    async with EmulatorClient(server.base_url) as emu:
        bots: list[Running] = []
        try:
            for subject in subjects:
                bots.append(await start(server, emu, subject, args.users))
            for number in range(args.rounds):
                for bot in bots:
                    gc_pauses.settle()
                    bot.rounds.append(await throughput_round(emu, bot, args, number == 0))
            for _ in range(args.rounds):
                for bot in bots:
                    gc_pauses.settle()
                    with gc_pauses:
                        latencies = await open_loop(
                            emu, bot.subject, bot.users, args.rate, args.seconds
                        )
                    bot.result.latencies_ms += latencies
                    bot.p99_per_round.append(Result("", latencies_ms=latencies).percentile(99))
                    bot.result.driver_gc_pause_ms = max(
                        bot.result.driver_gc_pause_ms, gc_pauses.longest
                    )
                if floor is not None:
                    gc_pauses.settle()
                    await floor.round(args.rate, args.seconds)
            return bots
        finally:
            for bot in bots:
                bot.process.send_signal(signal.SIGTERM)
            for bot in bots:
                await asyncio.wait_for(bot.process.wait(), timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


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
    sqlite_url = f"sqlite:///{sqlite_path}"
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
    if args.only:
        wanted = args.only.split(",")
        subjects = [subjects[0]] + [
            s for s in subjects[1:] if any(w.lower() in s.name.lower() for w in wanted)
        ]
    if args.mix == "forms":
        import form_mix  # only here: the default mix's driver stays as it was

        people = list(range(form_mix.FIRST_USER_ID, form_mix.FIRST_USER_ID + args.users))
        for subject in subjects:
            subject.first_user_id, subject.stagger = form_mix.FIRST_USER_ID, True
            if "DATABASE_URL" in subject.env:  # before the bot starts, as ALTUM and logins left it
                subject.mix = form_mix.form_mix()
                await form_mix.seed(subject.env["DATABASE_URL"], people)
            else:
                subject.mix = form_mix.echo_mix(form_mix.form_mix())
    floor = None
    if any("PostgreSQL" in subject.name for subject in subjects):
        floor = CommitFloor(make_url(pg_url).set(drivername="postgresql").render_as_string(False))
    try:
        async with EmulatorServer() as server:
            bots = await measure_all(server, subjects, args, floor)
    finally:
        await drop_postgres(pg_name)
        sqlite_path.unlink(missing_ok=True)
    report(bots, args, floor)


def report(bots: list[Running], args: argparse.Namespace, floor: CommitFloor | None) -> None:
    """Medians over the rounds; a bot's ratio is the median of its ratios to the echo bot
    measured in the same round."""
    baseline = bots[0]
    forms = args.mix == "forms"
    print(
        ("\nForm mix: people linked to a client with a deal, walking forms." if forms else "")
        + f"\n{args.rounds} rounds; each: {args.concurrency} users closed loop for "
        f"{args.seconds:g} s per bot; then open loop at {args.rate:g} updates/s for "
        f"{args.seconds:g} s per bot (latency = update sent -> last reply received; "
        "drv gc = the driver's own longest GC pause meanwhile)\n"
    )
    print(
        f"{'subject':<24}{'updates/s':>11}{'vs echo':>9}{'CPU ms/upd':>11}"
        f"{'emu ms/upd':>11}{'machine':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'n':>7}"
        "   ratio per round / p99 per round"
    )
    rows: list[dict[str, Any]] = []
    for bot in bots:
        ratios = [
            mine.throughput / echo.throughput
            for mine, echo in zip(bot.rounds, baseline.rounds, strict=True)
        ]
        ratio = statistics.median(ratios)
        throughput = statistics.median(r.throughput for r in bot.rounds)
        cpu = statistics.median(r.cpu_ms_per_update for r in bot.rounds)
        driver = statistics.median(r.driver_cpu_ms_per_update for r in bot.rounds)
        busy = statistics.median(r.machine_busy for r in bot.rounds)
        result = bot.result
        p50, p95, p99 = (result.percentile(p) for p in (50, 95, 99))
        print(
            f"{result.name:<24}{throughput:>11.1f}{ratio:>8.0%} {cpu:>10.2f}{driver:>11.2f}"
            f"{busy:>9.0%}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{len(result.latencies_ms):>7}"
            f"{result.driver_gc_pause_ms:>8.1f}   "
            + " ".join(f"{r:.0%}" for r in ratios)
            + " / "
            + " ".join(f"{p:.0f}" for p in bot.p99_per_round)
        )
        rows.append(
            {
                "subject": result.name,
                "updates_per_s": round(throughput, 1),
                "cpu_ms_per_update": round(cpu, 3),
                "driver_cpu_ms_per_update": round(driver, 3),
                "machine_busy": round(busy, 3),
                "ratio_vs_echo": round(ratio, 3),
                "ratios_per_round": [round(r, 3) for r in ratios],
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms_per_round": [round(p, 1) for p in bot.p99_per_round],
                "p99_ms": round(p99, 1),
                "driver_gc_pause_ms": round(result.driver_gc_pause_ms, 1),
                "mean_ms": round(statistics.fmean(result.latencies_ms), 1)
                if result.latencies_ms
                else None,
            }
        )
    if floor is not None:
        commits = Result("PostgreSQL COMMIT alone", latencies_ms=floor.latencies_ms)
        p50, p95, p99 = (commits.percentile(p) for p in (50, 95, 99))
        print(
            f"{'PostgreSQL COMMIT alone':<24}{'':>50}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
            f"{len(floor.latencies_ms):>7}{'':>8}   "
            + " ".join(f"{p:.0f}" for p in floor.p99_per_round)
            + "   (BEGIN, INSERT, COMMIT from the driver: the floor)"
        )
        rows.append(
            {
                "subject": commits.name,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms_per_round": [round(p, 1) for p in floor.p99_per_round],
                "p99_ms": round(p99, 1),
            }
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / ("bot_bench_forms.json" if forms else "bot_bench.json")).write_text(
        json.dumps(rows, indent=2, ensure_ascii=False)
    )
    full = [r for r in rows if r["subject"].startswith("full")]
    floor_p99 = rows[-1]["p99_ms"] if floor is not None else None
    verdicts = [
        ("form mix, " if forms else "")
        + f"{r['subject']}: throughput {r['ratio_vs_echo']:.0%} of echo "
        f"({'meets' if r['ratio_vs_echo'] >= 0.5 else 'MISSES'} >= 50%), p99 "
        f"{r['p99_ms']} ms ({'meets' if r['p99_ms'] <= 50 else 'MISSES'} <= 50 ms"
        + (
            f"; PostgreSQL's bare COMMIT p99 meanwhile: {floor_p99} ms)"
            if "PostgreSQL" in r["subject"] and floor_p99 is not None
            else ")"
        )
        for r in full
    ]
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--quick", action="store_true", help="one round of 3-second phases")
    parser.add_argument(
        "--mix",
        choices=["menu", "forms"],
        default="menu",
        help="menu: /start, a menu button, /help, free text (users not linked); forms: linked "
        "people walking forms (bench/form_mix.py)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each bot with py-spy (pip install py-spy) into bench/results/profile-*.txt",
    )
    parser.add_argument(
        "--only",
        default="",
        help="full-bot subjects to run besides the echo baseline, e.g. 'postgres' or 'sqlite'",
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seconds, arguments.rounds = 3.0, 1
    asyncio.run(main(arguments))
