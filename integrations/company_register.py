"""Streaming parsers for the Company Register's open-data files (`register.csv`, `officers.csv`).

As published on data.gov.lv: UTF-8 with a BOM, `;`-delimited, RFC 4180 quoting (names hold `;`
and `"`). Each reader checks the header row on opening (a swapped or foreign file is refused
before anything is imported), then yields one record at a time: memory does not grow with the
file. A row that does not parse is skipped and counted with its line number; logs and errors
never carry its content (names and codes are personal data).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from datetime import date
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Generic, Self, TextIO, TypeVar

from portal.company_register import CompanyRecord, OfficerRecord

log = logging.getLogger(__name__)

REGISTER_COLUMNS = (
    "regcode",
    "sepa",
    "name",
    "name_before_quotes",
    "name_in_quotes",
    "name_after_quotes",
    "without_quotes",
    "regtype",
    "regtype_text",
    "type",
    "type_text",
    "registered",
    "terminated",
    "closed",
    "address",
    "index",
    "addressid",
    "region",
    "city",
    "atvk",
    "reregistration_term",
)
OFFICERS_COLUMNS = (
    "id",
    "uri",
    "at_legal_entity_registration_number",
    "entity_type",
    "position",
    "governing_body",
    "name",
    "latvian_identity_number_masked",
    "birth_date",
    "legal_entity_registration_number",
    "rights_of_representation_type",
    "representation_with_at_least",
    "registered_on",
    "last_modified_at",
)
# Line numbers of skipped rows kept for the report; the count goes on.
MAX_SKIPPED_LINES = 100

_REGCODE = re.compile(r"\d{11}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Record = TypeVar("Record")


class WrongFile(ValueError):
    """The file is not the one expected (header differs), or is not UTF-8 CSV at all."""


class MalformedRow(ValueError):
    """One row that cannot be read; the message names the column, never the value."""


class RegisterCsv(Generic[Record]):
    """One open register file: iterate for its records; `close()` (or `with`) when done.

    The header is read and checked in the constructor. After iterating, `rows` is the number
    of records yielded, `skipped` of rows skipped, `skipped_lines` the first line numbers.
    """

    kind = ""
    columns: tuple[str, ...] = ()

    def __init__(self, path: str | PathLike[str]) -> None:
        self.path = path
        self.rows = 0
        self.skipped = 0
        self.skipped_lines: list[int] = []
        # utf-8-sig drops the BOM (and reads a file without one just as well).
        self._file: TextIO = Path(path).open(encoding="utf-8-sig", newline="")  # noqa: SIM115
        try:
            self._reader = csv.reader(
                self._file, delimiter=";", quotechar='"', doublequote=True, strict=True
            )
            self._check_header()
        except BaseException:
            self._file.close()
            raise

    def _check_header(self) -> None:
        try:
            header = next(self._reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise WrongFile(f"{self.kind}: not a UTF-8 `;` CSV file ({exc})") from exc
        if header is None:
            raise WrongFile(f"{self.kind}: the file is empty")
        found = tuple(column.strip() for column in header)
        if found != self.columns:
            other = _OTHER_KIND.get(found)
            hint = f" (this looks like {other})" if other and other != self.kind else ""
            raise WrongFile(
                f"{self.kind}: unexpected header{hint}; expected {len(self.columns)} columns "
                f"{';'.join(self.columns[:3])};…, found {len(found)} columns "
                f"{';'.join(found[:3])[:80]};…"
            )

    def __iter__(self) -> Iterator[Record]:
        reader, width = self._reader, len(self.columns)
        convert = self._convert
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the csv module's messages hold no content
                self._skip(reader.line_num, str(exc))
                continue
            except UnicodeDecodeError as exc:
                # Not recoverable row by row: fail the import (nothing gets deleted).
                raise WrongFile(f"{self.kind}: not UTF-8 after line {reader.line_num}") from exc
            if len(fields) != width:
                if not fields or (len(fields) == 1 and not fields[0].strip()):  # blank line
                    continue
                self._skip(reader.line_num, f"{len(fields)} fields instead of {width}")
                continue
            try:
                record = convert(fields)
            except ValueError as exc:  # MalformedRow names the column
                self._skip(reader.line_num, str(exc) if isinstance(exc, MalformedRow) else "")
                continue
            self.rows += 1
            yield record

    def _skip(self, line: int, why: str) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < MAX_SKIPPED_LINES:
            self.skipped_lines.append(line)
            log.warning("%s: line %d skipped: %s", self.kind, line, why or "malformed value")

    def _convert(self, fields: list[str]) -> Record:
        raise NotImplementedError

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class CompanyFile(RegisterCsv[CompanyRecord]):
    """`register.csv`."""

    kind = "register.csv"
    columns = REGISTER_COLUMNS

    def _convert(self, fields: list[str]) -> CompanyRecord:
        regcode = fields[0].strip()
        if not _REGCODE.fullmatch(regcode):
            raise MalformedRow("regcode is not 11 digits")
        name = fields[2].strip()
        if not name:
            raise MalformedRow("name is empty")
        return CompanyRecord(
            regcode=regcode,
            name=name,
            legal_form=_text(fields[9]),
            legal_form_text=_text(fields[10]),
            address=_text(fields[14]),
            registered=_date(fields[11], "registered"),
            terminated=_date(fields[12], "terminated"),
            closed=_text(fields[13]),
        )


class OfficerFile(RegisterCsv[OfficerRecord]):
    """`officers.csv`."""

    kind = "officers.csv"
    columns = OFFICERS_COLUMNS

    def _convert(self, fields: list[str]) -> OfficerRecord:
        regcode = fields[2].strip()
        if not _REGCODE.fullmatch(regcode):
            raise MalformedRow("at_legal_entity_registration_number is not 11 digits")
        name = fields[6].strip()
        if not name:
            raise MalformedRow("name is empty")
        return OfficerRecord(
            id=_required_int(fields[0], "id"),
            regcode=regcode,
            entity_type=_text(fields[3]),
            position=_text(fields[4]),
            governing_body=_text(fields[5]),
            name=name,
            code_masked=_text(fields[7]),
            representation_type=_text(fields[10]),
            representation_with_at_least=_int(fields[11], "representation_with_at_least"),
            registered_on=_date(fields[12], "registered_on"),
        )


_OTHER_KIND = {REGISTER_COLUMNS: "register.csv", OFFICERS_COLUMNS: "officers.csv"}


def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


def _date(value: str, column: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    if not _DATE.fullmatch(value):
        raise MalformedRow(f"{column} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MalformedRow(f"{column} is not a date") from None


def _int(value: str, column: str) -> int | None:
    value = value.strip()
    return None if not value else _required_int(value, column)


def _required_int(value: str, column: str) -> int:
    value = value.strip()
    if not value:
        raise MalformedRow(f"{column} is empty")
    if not value.isascii() or not value.isdigit():
        raise MalformedRow(f"{column} is not a whole number")
    return int(value)


def open_register_files(
    register: str | PathLike[str], officers: str | PathLike[str]
) -> tuple[CompanyFile, OfficerFile]:
    """Both files, headers checked: a wrong file fails here, before anything is imported."""
    companies = CompanyFile(register)
    try:
        return companies, OfficerFile(officers)
    except BaseException:
        companies.close()
        raise


__all__ = [
    "OFFICERS_COLUMNS",
    "REGISTER_COLUMNS",
    "CompanyFile",
    "MalformedRow",
    "OfficerFile",
    "RegisterCsv",
    "WrongFile",
    "open_register_files",
]
