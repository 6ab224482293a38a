"""Company Register import at national size: parse baseline, import, re-import, peak memory.

Generates synthetic `register.csv` / `officers.csv` as published (UTF-8 with BOM, `;`, RFC 4180
quoting, names holding `"` and `;`) in a temporary directory, then for each database:

  parse:     both files read by the parsers alone (the baseline, measured in the same run)
  import:    `bot.ops.ur_import.run_import` into an empty database (what `altum-bot ur-import` does)
  re-import: the same files again (every row upserted, nothing deleted)

Every measurement runs in its own child process, so its peak RSS (ru_maxrss) is its own and
the generator's memory does not count. A small run (--small-fraction of the size) is imported
too: peak memory must not grow with the files.

Usage: .venv/bin/python bench/ur_import_bench.py [--companies N] [--officers N]
                                                 [--postgres URL | TEST_POSTGRES_URL set]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ["Anna", "Jānis", "Pēteris", "Ilze", "Kārlis", "Marta", "Dace", "Roberts", "Līga", "Ēriks"]
LAST = ["Bērziņš", "Kalniņa", "Ozols", "Liepa", "Krūmiņš", "Zariņa", "Egle", "Priede", "Kļaviņa"]
WORDS = ["Koks", "Enerģija", "Dzirnavas", "Māja", "Būve", "Serviss", "Tehnika", "Ceļš", "Ūdens"]
FORMS = [
    ("SIA", "Sabiedrība ar ierobežotu atbildību"),
    ("AS", "Akciju sabiedrība"),
    ("BDR", "Biedrība"),
    ("IK", "Individuālais komersants"),
]
KINDS = [("INDIVIDUALLY", "0"), ("WITH_ALL", "0"), ("WITH_AT_LEAST", "1"), ("WITH_AT_LEAST", "2")]


def _quote(value: str) -> str:
    if any(c in value for c in ';"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _regcode(n: int) -> str:
    return f"4{n:010d}"


def generate(directory: Path, companies: int, officers: int, seed: int = 7) -> tuple[Path, Path]:
    from integrations.company_register import OFFICERS_COLUMNS, REGISTER_COLUMNS

    rng = random.Random(seed)
    register, officers_path = directory / "register.csv", directory / "officers.csv"
    with register.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(";".join(REGISTER_COLUMNS) + "\r\n")
        for n in range(companies):
            form, form_text = rng.choice(FORMS)
            words = " ".join(rng.sample(WORDS, 2))
            # One in ten names holds a `;`, every one holds quotes.
            inner = f"{words}; {n}" if n % 10 == 0 else f"{words} {n}"
            name = f'{form} "{inner}"'
            terminated, closed = ("2020-06-30", "L") if n % 17 == 0 else ("", "")
            fields = [
                _regcode(n), "", name, form, inner, "", "0", "K", "Komercreģistrs", form,
                form_text, f"20{n % 24:02d}-0{1 + n % 9}-1{n % 9}", terminated, closed,
                f"Rīga, Brīvības iela {n % 300}-{n % 40}", f"10{n % 100:02d}", str(100000000 + n),
                "", "", "0010000", "",
            ]  # fmt: skip
            out.write(";".join(_quote(f) for f in fields) + "\r\n")
    with officers_path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(";".join(OFFICERS_COLUMNS) + "\r\n")
        for n in range(officers):
            regcode = _regcode(n * companies // officers)
            council = n % 9 == 8
            kind, at_least = ("", "") if council else rng.choice(KINDS)
            name = f"{rng.choice(LAST)} {rng.choice(FIRST)}"
            if n % 50 == 0:
                name += f'-{rng.choice(LAST)} "Jr; {n}"'  # quotes and `;` in a person's name
            fields = [
                str(100000 + n), f"https://dati.ur.gov.lv/officers/{100000 + n}", regcode,
                "NATURAL_PERSON", "COUNCIL_MEMBER" if council else "BOARD_MEMBER",
                "SUPERVISORY_BOARD" if council else "EXECUTIVE_BOARD", name,
                f"{1 + n % 28:02d}{1 + n % 12:02d}{n % 100:02d}-*****", "", "", kind, at_least,
                "2016-04-12", "2016-04-12T10:15:00",
            ]  # fmt: skip
            out.write(";".join(_quote(f) for f in fields) + "\r\n")
    return register, officers_path


# --- child processes -------------------------------------------------------------------------


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_parse(register: str, officers: str) -> dict[str, Any]:
    from integrations.company_register import open_register_files

    started = time.perf_counter()
    companies, officer_rows = open_register_files(register, officers)
    with companies, officer_rows:
        rows = sum(1 for _ in companies) + sum(1 for _ in officer_rows)
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": _peak_mib()}


def child_import(url: str, register: str, officers: str, batch_size: int) -> dict[str, Any]:
    from bot.ops.ur_import import run_import

    started = time.perf_counter()
    outcome = asyncio.run(run_import(url, Path(register), Path(officers), batch_size=batch_size))
    report = outcome.report
    return {
        "seconds": time.perf_counter() - started,
        "rows": report.companies + report.officers,
        "skipped": report.skipped,
        "deleted": report.deleted,
        "peak_mib": _peak_mib(),
    }


def in_child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# --- databases -------------------------------------------------------------------------------


async def _postgres_database(server_url: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    name = f"altum_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.set(drivername="postgresql+asyncpg", database=name).render_as_string(False)


async def _drop_postgres(server_url: str, url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    connection = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


def measure(
    name: str, new_database: Callable[[str], str], files: dict[str, tuple[Path, Path]], batch: int
) -> dict[str, Any]:
    """`new_database(tag)` gives the URL of an empty database at the newest schema."""
    url = new_database("full")
    register, officers = files["full"]
    parse = in_child("parse", str(register), str(officers))
    first = in_child("import", url, str(register), str(officers), str(batch))
    again = in_child("import", url, str(register), str(officers), str(batch))
    small_register, small_officers = files["small"]
    small_url = new_database("small")
    small = in_child("import", small_url, str(small_register), str(small_officers), str(batch))
    rows = first["rows"]
    return {
        "backend": name,
        "rows": rows,
        "parse_s": parse["seconds"],
        "parse_rows_per_s": parse["rows"] / parse["seconds"],
        "parse_peak_mib": parse["peak_mib"],
        "import_s": first["seconds"],
        "import_rows_per_s": rows / first["seconds"],
        "import_peak_mib": first["peak_mib"],
        "ratio_import_to_parse": first["seconds"] / parse["seconds"],
        "reimport_s": again["seconds"],
        "reimport_rows_per_s": again["rows"] / again["seconds"],
        "reimport_peak_mib": again["peak_mib"],
        "reimport_deleted": again["deleted"],
        "small_rows": small["rows"],
        "small_import_peak_mib": small["peak_mib"],
        "small_import_s": small["seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500_000)
    parser.add_argument("--officers", type=int, default=900_000)
    parser.add_argument("--small-fraction", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "parse":
            print(json.dumps(child_parse(*rest)))
        else:
            url, register, officers, batch = rest
            print(json.dumps(child_import(url, register, officers, int(batch))))
        return

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ur-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        (directory / "full").mkdir()
        (directory / "small").mkdir()
        files = {
            "full": generate(directory / "full", args.companies, args.officers),
            "small": generate(
                directory / "small",
                int(args.companies * args.small_fraction),
                int(args.officers * args.small_fraction),
            ),
        }
        size = sum(path.stat().st_size for path in files["full"]) / 2**20
        print(
            f"generated {args.companies} companies + {args.officers} officers "
            f"({size:.0f} MiB) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        from storage.migrate import upgrade

        if not args.no_sqlite:

            def new_sqlite(tag: str) -> str:
                url = f"sqlite+aiosqlite:///{directory / tag}.db"
                upgrade(url)
                return url

            results.append(measure("sqlite", new_sqlite, files, args.batch_size))
            print(f"sqlite done: import {results[-1]['import_s']:.1f} s", flush=True)
        if args.postgres:
            server: str = args.postgres
            created: list[str] = []

            def new_postgres(tag: str) -> str:
                url = asyncio.run(_postgres_database(server))
                created.append(url)
                upgrade(url)
                return url

            try:
                results.append(measure("postgres", new_postgres, files, args.batch_size))
                print(f"postgres done: import {results[-1]['import_s']:.1f} s", flush=True)
            finally:
                for url in created:
                    asyncio.run(_drop_postgres(server, url))

    header = (
        f"{'backend':<9} {'rows':>9} {'parse s':>8} {'parse r/s':>10} {'import s':>9} "
        f"{'import r/s':>11} {'ratio':>6} {'peak MiB':>9} {'re-imp s':>9} {'re-imp MiB':>10} "
        f"{'small MiB':>9}"
    )
    print(header)
    for r in results:
        print(
            f"{r['backend']:<9} {r['rows']:>9} {r['parse_s']:>8.1f} {r['parse_rows_per_s']:>10.0f} "
            f"{r['import_s']:>9.1f} {r['import_rows_per_s']:>11.0f} "
            f"{r['ratio_import_to_parse']:>6.1f} {r['import_peak_mib']:>9.0f} "
            f"{r['reimport_s']:>9.1f} {r['reimport_peak_mib']:>10.0f} "
            f"{r['small_import_peak_mib']:>9.0f}"
        )
    out = ROOT / "bench" / "results" / "ur_import.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "companies": args.companies,
                "officers": args.officers,
                "batch_size": args.batch_size,
                "python": sys.version.split()[0],
                "results": results,
            },
            indent=2,
        )
    )
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
