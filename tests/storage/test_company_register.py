"""Company Register import and lookup on SQLite and PostgreSQL, and the `ur-import` command."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.ops.demo import DEMO_DATA as SAMPLE  # the Company Register samples
from integrations.company_register import CompanyFile, OfficerFile
from portal.company_register import (
    CompanyRecord,
    OfficerRecord,
    RepresentationRule,
    match_officer,
)
from portal.identity import NaturalPerson
from storage.company_register import ImportReport, SqlCompanyRegister, import_register
from storage.database import Database
from storage.models import RegisterCompany, RegisterOfficer

ROOT = Path(__file__).resolve().parents[2]


def companies(path: Path = SAMPLE / "register.csv") -> list[CompanyRecord]:
    with CompanyFile(path) as source:
        return list(source)


def officers(path: Path = SAMPLE / "officers.csv") -> list[OfficerRecord]:
    with OfficerFile(path) as source:
        return list(source)


async def load(database: Database, **kwargs: Any) -> ImportReport:
    """Import the sample files (streamed, as the command does)."""
    with CompanyFile(SAMPLE / "register.csv") as c, OfficerFile(SAMPLE / "officers.csv") as o:
        return await import_register(database, c, o, **kwargs)


async def contents(database: Database) -> tuple[list[Any], list[Any]]:
    """Both tables without `import_id`, in key order."""
    async with database.transaction() as session:
        company_columns = [c for c in RegisterCompany.__table__.c if c.name != "import_id"]
        officer_columns = [c for c in RegisterOfficer.__table__.c if c.name != "import_id"]
        company_rows = (
            await session.execute(select(*company_columns).order_by(RegisterCompany.regcode))
        ).all()
        officer_rows = (
            await session.execute(select(*officer_columns).order_by(RegisterOfficer.id))
        ).all()
    return [tuple(r) for r in company_rows], [tuple(r) for r in officer_rows]


async def find(database: Database, regcode: str) -> Any:
    async with database.transaction() as session:
        return await SqlCompanyRegister(session).find(regcode)


async def test_import_then_lookup(database: Database) -> None:
    report = await load(database)
    assert (report.companies, report.officers, report.skipped, report.deleted) == (5, 8, 0, 0)
    assert 0 < report.seconds < 60  # how long this import took, not a clock reading

    entry = await find(database, "40103999940")
    assert entry is not None
    assert entry.name == 'SIA "Ozolkalna Koks"'
    assert entry.legal_form == "SIA"
    assert entry.legal_form_text == "Sabiedrība ar ierobežotu atbildību"
    assert entry.address == "Cēsu nov., Cēsis, Rīgas iela 10"
    assert entry.registered == date(2016, 4, 12)
    assert entry.is_active
    assert [o.name for o in entry.officers] == ["Bērziņa Anna", "Kalniņš Jānis", "Ozols Pēteris"]
    assert entry.officers[1].representation_type == "WITH_AT_LEAST"
    assert entry.officers[1].representation_with_at_least == 1
    assert entry.officers[1].representation_rule == RepresentationRule("with_at_least", 1)

    person = NaturalPerson(personal_code="12058410000", given_name="Anna", family_name="BĒRZIŅA")
    found = match_officer(entry, person)
    assert found is not None and found.rule == RepresentationRule("individually")

    assert await find(database, "40000000000") is None


async def test_struck_off_and_liquidated_entity_is_inactive(database: Database) -> None:
    await load(database)
    closed = await find(database, "40003666620")
    assert closed.name == 'SIA "Slēgtā; Firma"'
    assert closed.terminated == date(2020, 6, 30) and closed.closed == "L"
    assert not closed.is_active
    assert closed.officers == ()


async def test_a_council_member_is_listed_but_no_signatory(database: Database) -> None:
    await load(database)
    entry = await find(database, "40103777710")
    assert [o.position for o in entry.officers] == ["CHAIR_OF_BOARD", "COUNCIL_MEMBER"]
    assert [o.name for o in entry.signatories] == ["Zariņa Marta"]
    dace = NaturalPerson(personal_code="11026510000", given_name="Dace", family_name="Egle")
    assert match_officer(entry, dace) is None


async def test_reimport_is_idempotent(database: Database) -> None:
    first = await load(database)
    before = await contents(database)
    second = await load(database)
    assert second.import_id > first.import_id
    assert (second.companies, second.officers, second.deleted) == (5, 8, 0)
    assert await contents(database) == before
    async with database.transaction() as session:
        ids = set(await session.scalars(select(RegisterOfficer.import_id)))
        ids |= set(await session.scalars(select(RegisterCompany.import_id)))
    assert ids == {second.import_id}


async def test_a_removed_officer_and_company_disappear(database: Database) -> None:
    await load(database)
    all_officers = officers()
    all_companies = companies()
    without_kalnins = [o for o in all_officers if o.name != "Kalniņš Jānis"]
    report = await import_register(database, all_companies, without_kalnins)
    assert (report.deleted_officers, report.deleted_companies, report.stale_kept) == (1, 0, 0)
    entry = await find(database, "40103999940")
    assert [o.name for o in entry.officers] == ["Bērziņa Anna", "Ozols Pēteris"]
    janis = NaturalPerson(personal_code="03037910000", given_name="Jānis", family_name="Kalniņš")
    assert match_officer(entry, janis) is None

    # A company gone from register.csv goes too (its officers with officers.csv).
    report = await import_register(
        database,
        [c for c in all_companies if c.regcode != "40103555590"],
        [o for o in without_kalnins if o.regcode != "40103555590"],
    )
    assert (report.deleted_companies, report.deleted_officers) == (1, 1)
    assert await find(database, "40103555590") is None


async def test_changes_are_updated_in_place(database: Database) -> None:
    await load(database)
    changed = [
        o._replace(representation_type="WITH_ALL", representation_with_at_least=0)
        if o.id == 9001
        else o
        for o in officers()
    ]
    renamed = [
        c._replace(name='SIA "Ozolkalna Koks un Partneri"', closed="L")
        if c.regcode == "40103999940"
        else c
        for c in companies()
    ]
    await import_register(database, renamed, changed)
    entry = await find(database, "40103999940")
    assert entry.name == 'SIA "Ozolkalna Koks un Partneri"' and not entry.is_active
    assert entry.officers[0].representation_rule == RepresentationRule("with_all")


async def test_a_truncated_file_does_not_wipe_the_register(database: Database) -> None:
    await load(database)
    report = await import_register(database, companies()[:1], officers()[:2])
    assert report.deleted == 0
    assert report.stale_kept == 4 + 6
    assert await find(database, "40103555590") is not None
    # Once someone has looked at the files, the deletion can be allowed.
    report = await import_register(
        database, companies()[:1], officers()[:2], max_deleted_share=None
    )
    assert (report.deleted_companies, report.deleted_officers) == (4, 6)


async def test_a_failing_source_deletes_nothing(database: Database) -> None:
    await load(database)

    def broken() -> Any:
        yield officers()[0]
        raise ValueError("file vanished")

    with pytest.raises(ValueError, match="vanished"):
        await import_register(database, companies(), broken())
    assert len((await contents(database))[1]) == 8


async def test_batches_and_oversized_values(database: Database) -> None:
    """Many batches (small batch size), and values longer than their columns."""
    many = [
        CompanyRecord(
            regcode=f"{40000000000 + n}",
            name='SIA "' + "Ļ" * 600 + '"',  # longer than the column: cut
            legal_form="SIA",
            legal_form_text=None,
            address="Rīga\x00",  # PostgreSQL refuses NUL characters
            registered=None,
            terminated=None,
            closed=None,
        )
        for n in range(23)
    ]
    crew = [
        OfficerRecord(
            id=n,
            regcode=f"{40000000000 + n % 23}",
            entity_type="NATURAL_PERSON",
            position="BOARD_MEMBER",
            governing_body="EXECUTIVE_BOARD",
            name=f"Ozols Pēteris{n}",
            code_masked="120584-*****" if n != 5 else "120584-*****" * 3,  # refused
            representation_type="INDIVIDUALLY",
            representation_with_at_least=None if n != 6 else 2**40,  # refused
            registered_on=None,
        )
        for n in range(50)
    ]
    report = await import_register(database, many, crew, batch_size=7)
    assert (report.companies, report.officers, report.skipped) == (23, 48, 2)
    entry = await find(database, "40000000003")
    assert len(entry.name) == 500 and entry.address == "Rīga"
    assert len(entry.officers) == 3  # officers 3, 26 and 49
    with pytest.raises(ValueError, match="batch_size"):
        await import_register(database, [], [], batch_size=0)


# --- the command -----------------------------------------------------------------------------


def run_cli(*args: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"BOT_TOKEN", "APP_ENV", "WEBHOOK_SECRET", "DEMO_MODE"}
    }
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_ur_import_command(tmp_path: Path) -> None:
    db = tmp_path / "altum.db"
    register, officers_csv = SAMPLE / "register.csv", SAMPLE / "officers.csv"

    help_text = run_cli("ur-import", "--help", database=db, cwd=tmp_path)
    assert help_text.returncode == 0
    assert "register.csv" in help_text.stdout and "--allow-mass-delete" in help_text.stdout

    # A database at an old schema is refused unless --migrate is given.
    refused = run_cli("ur-import", str(register), str(officers_csv), database=db, cwd=tmp_path)
    assert refused.returncode == 2 and "altum-bot migrate" in refused.stderr

    done = run_cli(
        "ur-import", "--migrate", str(register), str(officers_csv), database=db, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "register.csv: 5 rows read, 5 companies written" in done.stdout
    assert "officers.csv: 8 rows read, 8 officers written" in done.stdout
    assert "peak memory:" in done.stdout
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM ur_companies").fetchone() == (5,)
        assert connection.execute(
            "SELECT name FROM ur_companies WHERE regcode = '40003666620'"
        ).fetchone() == ('SIA "Slēgtā; Firma"',)
        assert connection.execute("SELECT count(*) FROM ur_officers").fetchone() == (8,)

    # A malformed row and a removed officer; nothing personal in the output.
    lines = officers_csv.read_text("utf-8-sig").splitlines()
    edited = tmp_path / "officers.csv"
    kept = [line for line in lines if "Kalniņš" not in line]
    kept.insert(3, "9999;https://x;4010;NATURAL_PERSON;BOARD_MEMBER;;Secret Name;;;;;;;")
    edited.write_text("\ufeff" + "\r\n".join(kept) + "\r\n", "utf-8")
    again = run_cli("ur-import", str(register), str(edited), database=db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "7 officers written, 1 malformed rows skipped (lines 4)" in again.stdout
    assert "skipped rows: 1" in again.stdout
    assert "deleted (no longer in the register): 0 companies, 1 officers" in again.stdout
    assert "Secret" not in again.stdout + again.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute(
            "SELECT count(*) FROM ur_officers WHERE name = 'Kalniņš Jānis'"
        ).fetchone() == (0,)

    # Files swapped: refused before anything is written.
    swapped = run_cli("ur-import", str(officers_csv), str(register), database=db, cwd=tmp_path)
    assert swapped.returncode == 2
    assert "register.csv: unexpected header (this looks like officers.csv)" in swapped.stderr
    missing = run_cli(
        "ur-import", str(tmp_path / "nope.csv"), str(register), database=db, cwd=tmp_path
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
