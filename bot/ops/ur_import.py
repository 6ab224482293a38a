"""`altum-bot ur-import register.csv officers.csv`: load the Company Register's open data."""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from integrations.company_register import RegisterCsv, open_register_files
from storage.company_register import DEFAULT_MAX_DELETED_SHARE, ImportReport, import_register
from storage.database import Database
from storage.migrate import ensure_current, upgrade_async


class ImportFailed(RuntimeError):
    """A file is missing or unreadable (the message names the file, never its content)."""


@dataclass(frozen=True, slots=True)
class FileStats:
    name: str
    rows: int
    skipped: int
    skipped_lines: tuple[int, ...]

    @classmethod
    def of(cls, source: RegisterCsv[Any]) -> FileStats:
        return cls(source.kind, source.rows, source.skipped, tuple(source.skipped_lines))


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    report: ImportReport  # `skipped` includes the parsers' skipped rows
    files: tuple[FileStats, FileStats]


async def run_import(
    database_url: str,
    register: Path,
    officers: Path,
    *,
    batch_size: int = 5000,
    allow_mass_delete: bool = False,
    migrate: bool = False,
) -> ImportOutcome:
    """Check both headers, check (or with `migrate`, upgrade) the schema, then import."""
    for path in (register, officers):
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
    try:
        companies, officer_rows = open_register_files(register, officers)
    except OSError as exc:
        raise ImportFailed(f"cannot read the files: {exc.strerror or type(exc).__name__}") from exc
    try:
        if migrate:
            await upgrade_async(database_url)
        database = Database(database_url, pool_size=2)
        try:
            await ensure_current(database.engine)
            report = await import_register(
                database,
                companies,
                officer_rows,
                batch_size=batch_size,
                max_deleted_share=None if allow_mass_delete else DEFAULT_MAX_DELETED_SHARE,
            )
        finally:
            await database.dispose()
    finally:
        companies.close()
        officer_rows.close()
    files = (FileStats.of(companies), FileStats.of(officer_rows))
    skipped = report.skipped + sum(stats.skipped for stats in files)
    return ImportOutcome(report=replace(report, skipped=skipped), files=files)


def peak_rss_mib() -> float:
    """This process's peak resident memory (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def format_outcome(outcome: ImportOutcome) -> str:
    report = outcome.report
    lines = []
    for stats, written, what in zip(
        outcome.files, (report.companies, report.officers), ("companies", "officers"), strict=True
    ):
        line = f"{stats.name}: {stats.rows} rows read, {written} {what} written"
        if stats.skipped:
            shown = ", ".join(str(n) for n in stats.skipped_lines[:20])
            more = ", …" if stats.skipped > len(stats.skipped_lines[:20]) else ""
            line += f", {stats.skipped} malformed rows skipped (lines {shown}{more})"
        lines.append(line)
    lines.append(f"skipped rows: {report.skipped}")
    lines.append(
        f"deleted (no longer in the register): {report.deleted_companies} companies, "
        f"{report.deleted_officers} officers"
    )
    if report.stale_kept:
        lines.append(
            f"kept {report.stale_kept} rows the files no longer have: more than "
            f"{DEFAULT_MAX_DELETED_SHARE:.0%} of a table would go (a truncated file?); "
            "check the files, then re-run with --allow-mass-delete"
        )
    lines.append(f"import {report.import_id} took {report.seconds:.1f} s")
    lines.append(f"peak memory: {peak_rss_mib():.1f} MiB")
    return "\n".join(lines)
