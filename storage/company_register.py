"""The Company Register's last import: lookups (`SqlCompanyRegister`) and the bulk loader.

`import_register` upserts the files' records in batches, each batch its own transaction (memory
stays bounded and other writers wait for one batch at most, never for the whole import), stamps
every row it writes with a new `import_id`, and once both files are through deletes the rows the
import did not see: companies struck from the files and, above all, officers who left the board,
who must no longer be able to register the company.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from portal.company_register import CompanyRecord, Officer, OfficerRecord, RegisterEntry
from storage.database import Database
from storage.models import RegisterCompany, RegisterOfficer

COMPANIES: Table = RegisterCompany.__table__  # type: ignore[assignment]
OFFICERS: Table = RegisterOfficer.__table__  # type: ignore[assignment]

# An import that would delete more than this share of a table's rows is suspicious (a truncated or
# partial download): the stale rows are then kept unless the caller allows it (`None`).
DEFAULT_MAX_DELETED_SHARE = 0.25
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


class SqlCompanyRegister:
    """`portal.ports.CompanyRegister` over the imported tables."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, regcode: str) -> RegisterEntry | None:
        """The company with this 11-digit registration number, with its officers (by id)."""
        company = (
            await self._session.execute(
                select(
                    COMPANIES.c.regcode,
                    COMPANIES.c.name,
                    COMPANIES.c.legal_form,
                    COMPANIES.c.legal_form_text,
                    COMPANIES.c.address,
                    COMPANIES.c.registered,
                    COMPANIES.c.terminated,
                    COMPANIES.c.closed,
                ).where(COMPANIES.c.regcode == regcode)
            )
        ).first()
        if company is None:
            return None
        officers = await self._session.execute(
            select(
                OFFICERS.c.name,
                OFFICERS.c.code_masked,
                OFFICERS.c.position,
                OFFICERS.c.governing_body,
                OFFICERS.c.representation_type,
                OFFICERS.c.representation_with_at_least,
            )
            .where(OFFICERS.c.regcode == regcode)
            .order_by(OFFICERS.c.id)
        )
        return RegisterEntry(
            regcode=company.regcode,
            name=company.name,
            legal_form=company.legal_form,
            legal_form_text=company.legal_form_text,
            address=company.address,
            registered=company.registered,
            terminated=company.terminated,
            closed=company.closed,
            officers=tuple(
                Officer(
                    name=row.name,
                    code_masked=row.code_masked,
                    position=row.position,
                    governing_body=row.governing_body,
                    representation_type=row.representation_type,
                    representation_with_at_least=row.representation_with_at_least,
                )
                for row in officers
            ),
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    import_id: int
    companies: int  # rows written
    officers: int
    skipped: int  # records refused (by the loader; the CLI adds the parsers' skipped rows)
    deleted_companies: int  # rows the import did not see, removed
    deleted_officers: int
    stale_kept: int  # rows the import did not see, kept by the mass-delete guard
    seconds: float

    @property
    def deleted(self) -> int:
        return self.deleted_companies + self.deleted_officers


def _upsert(table: Table, dialect: Any) -> Any:
    columns = [column.name for column in table.columns]
    statement = dialect.insert(table).values({name: bindparam(name) for name in columns})
    keys = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in columns if name not in keys},
    )


# Built once per dialect: a fresh statement per batch would cost a cache-key walk each time.
_UPSERTS = {
    name: (_upsert(COMPANIES, module), _upsert(OFFICERS, module))
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


class _Fitter:
    """Turns records into parameter dicts that fit the columns (PostgreSQL refuses too-long
    strings and NUL characters; one bad row must not fail the import). Free text is cut to the
    column's length; a row whose key or masked code does not fit is refused and counted."""

    def __init__(self, table: Table, record_fields: Sequence[str], strict: Iterable[str]) -> None:
        self.fields = tuple(record_fields)
        self.lengths: dict[int, int] = {
            index: length
            for index, name in enumerate(self.fields)
            if (length := getattr(table.columns[name].type, "length", None)) is not None
        }
        self.strict = {self.fields.index(name) for name in strict}
        self.refused = 0

    def fit(self, record: tuple[Any, ...], import_id: int) -> dict[str, Any] | None:
        values = list(record)
        for index, length in self.lengths.items():
            value = values[index]
            if value is None:
                continue
            if "\x00" in value:
                value = value.replace("\x00", "")
            if len(value) > length:
                if index in self.strict:
                    self.refused += 1
                    return None
                value = value[:length]
            values[index] = value
        params = dict(zip(self.fields, values, strict=True))
        params["import_id"] = import_id
        return params


def _batches(items: Iterable[dict[str, Any] | None], size: int) -> Iterator[list[dict[str, Any]]]:
    rows = (item for item in items if item is not None)
    while batch := list(islice(rows, size)):
        yield batch


async def _load(
    database: Database, statement: Any, rows: Iterable[dict[str, Any] | None], batch_size: int
) -> int:
    written = 0
    for batch in _batches(rows, batch_size):
        async with database.transaction() as session:
            connection: AsyncConnection = await session.connection()
            await connection.execute(statement, batch)
        written += len(batch)
    return written


async def _new_import_id(database: Database) -> int:
    """Greater than any import before (even if the clock went back): `time_ns` or max + 1."""
    async with database.transaction() as session:
        latest = 0
        for table in (COMPANIES, OFFICERS):
            value = await session.scalar(select(func.max(table.c.import_id)))
            latest = max(latest, int(value or 0))
    return max(time.time_ns(), latest + 1)


def _officer_fits(params: dict[str, Any]) -> bool:
    at_least = params["representation_with_at_least"]
    return 0 <= params["id"] <= _INT64_MAX and (at_least is None or 0 <= at_least <= _INT32_MAX)


async def import_register(
    database: Database,
    companies: Iterable[CompanyRecord],
    officers: Iterable[OfficerRecord],
    *,
    batch_size: int = 5000,
    max_deleted_share: float | None = DEFAULT_MAX_DELETED_SHARE,
) -> ImportReport:
    """Load `register.csv` and `officers.csv` records; idempotent.

    Rows are upserted in batches of `batch_size`, each in its own transaction. After both
    iterables are exhausted, rows the import did not see are deleted, unless they are more than
    `max_deleted_share` of a table (a truncated file must not wipe the register): then they are
    kept and counted in `stale_kept`. If the iterables raise, nothing is deleted.

    Stale rows are those with an older `import_id` (`<`, not `!=`): an import started later
    that overlaps this one keeps its rows.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    import_id = await _new_import_id(database)
    dialect = database.engine.dialect.name
    upsert_companies, upsert_officers = _UPSERTS[dialect]

    company_fitter = _Fitter(COMPANIES, CompanyRecord._fields, strict=("regcode",))
    company_rows = (company_fitter.fit(record, import_id) for record in companies)
    written_companies = await _load(database, upsert_companies, company_rows, batch_size)

    officer_fitter = _Fitter(OFFICERS, OfficerRecord._fields, strict=("regcode", "code_masked"))
    refused_officers = 0

    def officer_rows() -> Iterator[dict[str, Any] | None]:
        nonlocal refused_officers
        for record in officers:
            params = officer_fitter.fit(record, import_id)
            if params is not None and not _officer_fits(params):
                refused_officers += 1
                params = None
            yield params

    written_officers = await _load(database, upsert_officers, officer_rows(), batch_size)

    deleted = {"companies": 0, "officers": 0}
    stale_kept = 0
    async with database.transaction() as session:
        for key, table in (("companies", COMPANIES), ("officers", OFFICERS)):
            stale = int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.import_id < import_id)
                )
                or 0
            )
            if not stale:
                continue
            total = int(await session.scalar(select(func.count()).select_from(table)) or 0)
            if max_deleted_share is not None and stale > max_deleted_share * total:
                stale_kept += stale
                continue
            result = await session.execute(delete(table).where(table.c.import_id < import_id))
            deleted[key] = int(result.rowcount)  # type: ignore[attr-defined]
    return ImportReport(
        import_id=import_id,
        companies=written_companies,
        officers=written_officers,
        skipped=company_fitter.refused + officer_fitter.refused + refused_officers,
        deleted_companies=deleted["companies"],
        deleted_officers=deleted["officers"],
        stale_kept=stale_kept,
        seconds=time.perf_counter() - started,
    )
