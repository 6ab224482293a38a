"""Scale-out: one bot replica against two, on webhooks behind Caddy, on the same PostgreSQL.

The production shape on loopback: `altum-bot webhook` processes (Redis for the per-person
locks, as in docker/compose.yaml), Caddy balancing round robin in front, the emulator
delivering webhooks. Two subjects run side by side, each a bot of its own in one emulator:
"1 replica" (Caddy -> A) and "2 replicas" (Caddy -> B, C). Every round measures each in
turn with the same closed loop as bench/bot_bench.py (U simulated users; each sends, waits
for all replies, sends again), so a drift in the shared machine's speed hits both alike.

Printed per subject: updates/s; CPU per update of the replicas (summed), of Caddy, and of
this process (the emulator and the simulated users); how busy the machine's cores were.
Then the ratios, two replicas against one, as the median of the per-round ratios.

Usage: .venv/bin/python bench/scaleout_bench.py [--quick]   (PostgreSQL, Redis and caddy)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from bot_bench import (
    FULL_MIX,
    POSTGRES_URL,
    ROOT,
    GcPauses,
    Subject,
    UserState,
    closed_loop,
    cpu_seconds,
    drop_postgres,
    free_port,
    machine_times,
    postgres_database,
)
from sqlalchemy.engine import make_url

from emulator import EmulatorClient, EmulatorServer
from storage.migrate import upgrade_async

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "bench-webhook-secret-0123456789"  # a local bench's


@dataclass
class Phase:
    updates_per_second: float
    replicas_cpu_ms: float  # all replicas' CPU (user + system) per update
    caddy_cpu_ms: float
    postgres_cpu_ms: float  # the bench database's backends
    commits_per_update: float  # PostgreSQL transactions committed per update (group commit)
    driver_cpu_ms: float
    machine_busy: float  # share of all cores busy


@dataclass
class Deployment:
    name: str
    bot_id: int
    replicas: list[asyncio.subprocess.Process] = field(default_factory=list)
    users: list[UserState] = field(default_factory=list)
    port: int = 0  # Caddy's port for this deployment
    phases: list[Phase] = field(default_factory=list)

    @property
    def subject(self) -> Subject:
        return Subject(self.name, [], {}, FULL_MIX, bot_id=self.bot_id)


def caddy_config(deployments: list[Deployment], ports: dict[str, list[int]], data: Path) -> dict:
    servers = {
        d.name.replace(" ", "-"): {
            "listen": [f"127.0.0.1:{d.port}"],
            "automatic_https": {"disable": True},
            "routes": [
                {
                    "handle": [
                        {
                            "handler": "reverse_proxy",
                            "upstreams": [{"dial": f"127.0.0.1:{p}"} for p in ports[d.name]],
                            "load_balancing": {"selection_policy": {"policy": "round_robin"}},
                        }
                    ]
                }
            ],
        }
        for d in deployments
    }
    return {
        "admin": {"disabled": True},
        "storage": {"module": "file_system", "root": str(data)},
        "logging": {"logs": {"default": {"level": "ERROR"}}},
        "apps": {"http": {"servers": servers}},
    }


async def start_replica(
    deployment: Deployment, token: str, api_url: str, database_url: str
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {
        **os.environ,
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WEBHOOK_SECRET": SECRET,
        "WEB_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{deployment.port}",
        "DEMO_MODE": "true",  # IDENTITY_PROVIDER's default, the demo one, needs it
        "LOG_LEVEL": "WARNING",
    }
    altum = str(Path(sys.executable).with_name("altum-bot"))
    process = await asyncio.create_subprocess_exec(altum, "webhook", env=env, cwd=ROOT)
    return process, port


async def until_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError("a replica exited before it served")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"replica on {port} not healthy")


@contextlib.asynccontextmanager
async def caddy(config: dict, folder: Path, ports: list[int]) -> AsyncIterator[int]:
    binary = shutil.which("caddy")
    if binary is None:
        raise SystemExit("caddy is not installed (apt-get install caddy; .ci/run installs it)")
    path = folder / "caddy.json"
    path.write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        binary,
        "run",
        "--config",
        str(path),
        env={**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for port in ports:
            for _ in range(200):
                with contextlib.suppress(OSError):
                    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                await asyncio.sleep(0.05)
        yield process.pid
    finally:
        process.terminate()
        await process.wait()


async def backend_cpu(database: str) -> tuple[dict[int, float], int]:
    """CPU so far of each PostgreSQL backend serving the bench database (same machine), and
    the database's committed transactions so far."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql")
    connection = await asyncpg.connect(server.render_as_string(False))
    try:
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database
        )
        commits = await connection.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await connection.close()
    found = {}
    for row in rows:
        with contextlib.suppress(OSError):
            found[row["pid"]] = cpu_seconds(row["pid"])
    return found, int(commits)


async def measure(
    emu: EmulatorClient,
    deployment: Deployment,
    caddy_pid: int,
    args: argparse.Namespace,
    database: str,
) -> Phase:
    pids = [p.pid for p in deployment.replicas]
    backends, commits = await backend_cpu(database)
    cpu = sum(cpu_seconds(pid) for pid in pids)
    caddy_cpu = cpu_seconds(caddy_pid)
    driver = time.process_time()
    machine = machine_times()
    started = time.perf_counter()
    rate = await closed_loop(emu, deployment.subject, deployment.users, args.seconds)
    updates = rate * (time.perf_counter() - started)
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    caddy_cpu = cpu_seconds(caddy_pid) - caddy_cpu
    driver = time.process_time() - driver
    (busy_after, total_after), (busy_before, total_before) = machine_times(), machine
    backends_after, _ = await backend_cpu(database)
    postgres = sum(backends_after[pid] - backends.get(pid, 0.0) for pid in backends_after)
    await asyncio.sleep(1.0)  # backends report their transactions within a second
    _, commits_after = await backend_cpu(database)
    return Phase(
        updates_per_second=rate,
        replicas_cpu_ms=cpu / updates * 1000,
        caddy_cpu_ms=caddy_cpu / updates * 1000,
        postgres_cpu_ms=postgres / updates * 1000,
        commits_per_update=(commits_after - commits) / updates,
        driver_cpu_ms=driver / updates * 1000,
        machine_busy=(busy_after - busy_before) / max(1, total_after - total_before),
    )


async def run(args: argparse.Namespace) -> dict:
    deployments = [Deployment("1 replica", 444444444), Deployment("2 replicas", 555555555)]
    counts = {"1 replica": 1, "2 replicas": 2}
    pg_name, pg_url = await postgres_database()
    folder = Path(tempfile.mkdtemp(prefix="scaleout-"))
    try:
        await upgrade_async(pg_url)
        async with EmulatorServer() as server, EmulatorClient(server.base_url) as emu:
            ports: dict[str, list[int]] = {}
            tokens: dict[str, str] = {}
            for d in deployments:
                d.port = free_port()
                tokens[d.name] = f"{d.bot_id}:bench-{uuid.uuid4().hex}"
                for _ in range(counts[d.name]):
                    process, port = await start_replica(d, tokens[d.name], server.base_url, pg_url)
                    d.replicas.append(process)
                    ports.setdefault(d.name, []).append(port)
            try:
                for d in deployments:
                    for process, port in zip(d.replicas, ports[d.name], strict=True):
                        await until_healthy(port, process)
                config = caddy_config(deployments, ports, folder / "data")
                async with caddy(config, folder, [d.port for d in deployments]) as caddy_pid:
                    for d in deployments:
                        await set_webhook(server.base_url, tokens[d.name], d.port)
                        d.users = [await new_user(emu, d.bot_id, i) for i in range(args.users)]
                        await closed_loop(emu, d.subject, d.users[:20], 1.0)  # warm up
                    gc_pauses = GcPauses()
                    for number in range(args.rounds):
                        for d in deployments:
                            gc_pauses.settle()
                            d.phases.append(await measure(emu, d, caddy_pid, args, pg_name))
                            print_phase(number, d)
            finally:
                for d in deployments:
                    for process in d.replicas:
                        if process.returncode is None:
                            process.terminate()
                for d in deployments:
                    for process in d.replicas:
                        await asyncio.wait_for(process.wait(), timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        await drop_postgres(pg_name)
    return report(deployments, args)


async def new_user(emu: EmulatorClient, bot_id: int, number: int) -> UserState:
    user = await emu.create_user(bot_id, f"U{number}", language_code="lv")
    return UserState(user["id"])


async def set_webhook(api_url: str, token: str, port: int) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{api_url}/bot{token}/setWebhook",
            json={
                "url": f"http://127.0.0.1:{port}/telegram/webhook",
                "secret_token": SECRET,
                "max_connections": 100,
            },
        ) as answer,
    ):
        assert (await answer.json())["ok"], await answer.text()


def print_phase(number: int, d: Deployment) -> None:
    p = d.phases[-1]
    print(
        f"round {number + 1} {d.name:>10}: {p.updates_per_second:7.1f} updates/s, "
        f"CPU ms/update: replicas {p.replicas_cpu_ms:5.2f}, caddy {p.caddy_cpu_ms:4.2f}, "
        f"postgres {p.postgres_cpu_ms:4.2f}, driver {p.driver_cpu_ms:4.2f}; "
        f"commits/update {p.commits_per_update:4.2f}; "
        f"cores busy {p.machine_busy:4.0%}",
        flush=True,
    )


def report(deployments: list[Deployment], args: argparse.Namespace) -> dict:
    one, two = deployments
    per_round = list(zip(one.phases, two.phases, strict=True))
    throughput = statistics.median(
        b.updates_per_second / a.updates_per_second for a, b in per_round
    )
    cpu = statistics.median(b.replicas_cpu_ms / a.replicas_cpu_ms for a, b in per_round)
    print(
        f"\n{args.rounds} rounds of {args.seconds:g} s, {args.users} users, {os.cpu_count()} cores"
    )
    print(
        f"{'':>12} {'updates/s':>10} {'CPU ms/update: replicas':>24} {'caddy':>6} "
        f"{'postgres':>9} {'driver':>7} {'commits/upd':>12} {'busy':>5}"
    )
    for d in deployments:
        med = {k: statistics.median(getattr(p, k) for p in d.phases) for k in asdict(d.phases[0])}
        print(
            f"{d.name:>12} {med['updates_per_second']:10.1f} {med['replicas_cpu_ms']:24.2f} "
            f"{med['caddy_cpu_ms']:6.2f} {med['postgres_cpu_ms']:9.2f} {med['driver_cpu_ms']:7.2f} "
            f"{med['commits_per_update']:12.2f} {med['machine_busy']:5.0%}"
        )
    print(
        f"\ntwo replicas / one (median of the per-round ratios): updates/s x{throughput:.2f}, "
        f"replicas' CPU per update x{cpu:.2f}"
    )
    result = {
        "rounds": args.rounds,
        "seconds": args.seconds,
        "users": args.users,
        "cores": os.cpu_count(),
        "throughput_ratio": throughput,
        "cpu_per_update_ratio": cpu,
        "subjects": {d.name: [asdict(p) for p in d.phases] for d in deployments},
    }
    out = ROOT / "bench" / "results" / "scaleout_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="one round of 3 s")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 3.0
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
