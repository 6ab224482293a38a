"""The push sender with two `altum-bot` processes on one PostgreSQL: does it hold its rate,
and never exceed it nor one push a second per chat?

A backlog of pushes (as notices are queued) for many chats is sent by two processes sharing
PUSH_RATE_PER_SECOND; the emulator records when each call arrived. Printed as ratios:
achieved rate / configured (target ≥ 0.95), the most pushes in any one second / configured
(≤ 1), the shortest gap between two pushes to one chat / 1 s (≥ 1), and lost and duplicated
pushes (0).

Usage: .venv/bin/python bench/push_bench.py [--rate 25] [--chats 100] [--per-chat 8]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from bot_bench import drop_postgres, postgres_database  # noqa: E402
from push_support import chats, processes, queue_pushes, wait_for  # noqa: E402

from emulator import EmulatorClient, EmulatorServer  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402

BOT_ID = 987654321


async def run(args: argparse.Namespace) -> None:
    name, url = await postgres_database()
    try:
        await upgrade_async(url)
        async with EmulatorServer() as server, EmulatorClient(server.base_url) as emu:
            people = await chats(emu, args.chats)
            async with processes(url, server.base_url, args.processes, rate=args.rate, lease=30.0):
                since = await emu.last_seq(BOT_ID)
                texts = await queue_pushes(url, people, per_chat=args.per_chat)
                started = time.monotonic()
                timeout = 3 * len(texts) / args.rate + 30
                sent = await wait_for(emu, since, len(texts), timeout=timeout)
                took = time.monotonic() - started
    finally:
        await drop_postgres(name)
    most = sent.most_in_a_second()
    gap = sent.shortest_chat_gap()
    print(f"pushes {len(texts)} to {args.chats} chats by {args.processes} processes, {took:.1f} s")
    print(f"configured rate              {args.rate:.1f}/s")
    print(f"achieved rate                {sent.rate():.2f}/s")
    print(f"achieved / configured        {sent.rate() / args.rate:.3f}   (target >= 0.95)")
    print(f"most in one second / rate    {most / args.rate:.3f}   ({most}; target <= 1)")
    print(f"shortest chat gap / 1 s      {gap:.3f}   (target >= 1)")
    print(f"lost {len(sent.missing(texts))}, duplicated {sent.duplicates()}")
    pauses = ", ".join(f"{p * 1000:.0f}" for p in sent.longest_pauses())
    print(f"longest pauses between pushes (ms): {pauses}")
    if args.timeline:
        times = sorted(t for t, _, _ in sent.calls)
        per_second = [0] * (int(times[-1] - times[0]) + 1)
        for at in times:
            per_second[int(at - times[0])] += 1
        print("pushes in each second:", " ".join(map(str, per_second)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--per-chat", type=int, default=8)
    parser.add_argument("--timeline", action="store_true", help="print pushes per second")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
