"""Several deals, or several invoices, written in one statement: an API batch's upserts of one
kind (storage/backoffice.py writes one at a time with the statements these mirror).

Each row finds its client (a deal) or its deal (an invoice) in the same statement; a row whose
client or deal is not there is neither written nor returned. The rows go as one array per
column (PostgreSQL: `unnest`) or as one JSON array (SQLite: `json_each`), so the statement's
text is the same for any number of rows: prepared once. On PostgreSQL the rows are written in
the order given (ORDER BY), so that batches committing in parallel lock them in one order.
The keys of one statement must be distinct (an upsert cannot change a row twice): `rounds`.
The SQL is text made at import from the tables' own column names (ruff's S608 is off here):
no value reaches it, every one is a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import Integer, String, TextualSelect, column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import ARRAY

from storage.backoffice_models import Deal, Invoice

_DEALS: Any = Deal.__table__
_INVOICES: Any = Invoice.__table__
_SQLITE: Any = sqlite.dialect()
_POSTGRES: Any = postgresql.dialect()  # type: ignore[no-untyped-call]

# What a row of each brings: the key it is found by, then the columns written (not `id`).
DEAL_INPUT = [c.name for c in _DEALS.c if c.name != "id"]
INVOICE_INPUT = [
    "client_id",
    "deal_number",
    *(c.name for c in _INVOICES.c if c.name not in ("id", "deal_id")),
]
KEPT = ("number", "created_at")  # an update keeps them (both modules' upserts)
_STAMP = "updated_at"  # an update sets it only when a value changed

# The client's active users, as `_ACTIVE_PEOPLE` in storage/backoffice.py, of the invoice's
# deal's client, in the order of their memberships (SQLite's also serves the one-row upsert).
PEOPLE = {
    "postgresql": (
        "(SELECT array_agg(m.person_id ORDER BY m.id) FROM memberships AS m"
        " JOIN clients AS c ON c.id = m.client_id"
        " WHERE m.client_id = deals.client_id AND m.status = 'active' AND c.status = 'active')"
    ),
    "sqlite": (
        "(SELECT group_concat(person_id) FROM (SELECT m.person_id FROM memberships AS m"
        " JOIN clients AS c ON c.id = m.client_id"
        " WHERE m.client_id = (SELECT client_id FROM deals WHERE deals.id = invoices.deal_id)"
        " AND m.status = 'active' AND c.status = 'active' ORDER BY m.id))"
    ),
}


def _unnest(names: list[str], types: dict[str, str]) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {types[name]}[])" for name in names)
    return f"unnest({arrays}) WITH ORDINALITY AS v({', '.join(names)}, ordinality)"


def _pg_type(table: Any, name: str) -> str:
    return str(table.c[name].type.compile(dialect=_POSTGRES))


def _json(names: list[str], name: str) -> str:
    return f"json_extract(v.value, '$[{names.index(name)}]')"


def _updated(table: str, columns: list[str], dialect: str) -> str:
    """An update's SET: the values written, and `updated_at` only when one of them differs,
    so that it tells when the data last changed (as `storage.backoffice.changed_stamp`)."""
    same = " IS NOT DISTINCT FROM " if dialect == "postgresql" else " IS "
    data = [c for c in columns if c not in (*KEPT, _STAMP)]
    unchanged = " AND ".join(f"{table}.{c}{same}excluded.{c}" for c in data)
    stamp = f"CASE WHEN {unchanged} THEN {table}.{_STAMP} ELSE excluded.{_STAMP} END"
    return ", ".join([*(f"{c} = excluded.{c}" for c in data), f"{_STAMP} = {stamp}"])


def _deals() -> dict[str, TextualSelect]:
    written = DEAL_INPUT[1:]  # client_id comes from the client found
    columns = ", ".join(DEAL_INPUT)
    returned = ", ".join(c.name for c in _DEALS.c)
    types = {name: _pg_type(_DEALS, name) for name in DEAL_INPUT}
    in_postgres = (
        f"INSERT INTO deals ({columns}) SELECT clients.id, {', '.join(f'v.{c}' for c in written)}"
        f" FROM {_unnest(DEAL_INPUT, types)} JOIN clients ON clients.id = v.client_id"
        f" ORDER BY v.ordinality ON CONFLICT (client_id, number) DO UPDATE SET"
        f" {_updated('deals', written, 'postgresql')} RETURNING {returned}"
    )
    in_sqlite = (
        f"INSERT INTO deals ({columns}) SELECT clients.id,"
        f" {', '.join(_json(DEAL_INPUT, c) for c in written)} FROM json_each(:rows) AS v"
        f" JOIN clients ON clients.id = {_json(DEAL_INPUT, 'client_id')}"
        # WHERE: without it, SQLite would take ON CONFLICT's ON for the join's.
        f" WHERE true ON CONFLICT (client_id, number) DO UPDATE SET"
        f" {_updated('deals', written, 'sqlite')}"
        f" RETURNING {returned}"
    )
    typed = list(_DEALS.c)
    return {
        "postgresql": text(in_postgres).columns(*typed),
        "sqlite": text(in_sqlite).columns(*typed),
    }


def _invoices(*, with_people: bool) -> dict[str, TextualSelect]:
    written = INVOICE_INPUT[2:]  # deal_id comes from the deal found
    columns = ", ".join(["deal_id", *written])
    returned = [c.name for c in _INVOICES.c]
    types = {"client_id": "BIGINT", "deal_number": _pg_type(_DEALS, "number")}
    types.update({name: _pg_type(_INVOICES, name) for name in written})
    people = f", {PEOPLE['postgresql']} AS people" if with_people else ""
    in_postgres = (
        f"WITH v AS (SELECT * FROM {_unnest(INVOICE_INPUT, types)}),"
        f" upserted AS (INSERT INTO invoices ({columns})"
        f" SELECT deals.id, {', '.join(f'v.{c}' for c in written)} FROM v"
        " JOIN deals ON deals.client_id = v.client_id AND deals.number = v.deal_number"
        f" ORDER BY v.ordinality ON CONFLICT (deal_id, number) DO UPDATE SET"
        f" {_updated('invoices', written, 'postgresql')} RETURNING {', '.join(returned)})"
        f" SELECT {', '.join(f'upserted.{c}' for c in returned)}, deals.currency,"
        f" deals.client_id, deals.number AS deal_number{people}"
        " FROM upserted JOIN deals ON deals.id = upserted.deal_id"
    )
    of_deal = "(SELECT {} FROM deals WHERE deals.id = invoices.deal_id)"
    people = f", {PEOPLE['sqlite']} AS people" if with_people else ""
    in_sqlite = (
        f"INSERT INTO invoices ({columns}) SELECT deals.id,"
        f" {', '.join(_json(INVOICE_INPUT, c) for c in written)} FROM json_each(:rows) AS v"
        f" JOIN deals ON deals.client_id = {_json(INVOICE_INPUT, 'client_id')}"
        f" AND deals.number = {_json(INVOICE_INPUT, 'deal_number')}"
        f" WHERE true ON CONFLICT (deal_id, number) DO UPDATE SET"
        f" {_updated('invoices', written, 'sqlite')}"
        f" RETURNING {', '.join(returned)}, {of_deal.format('currency')} AS currency,"
        f" {of_deal.format('client_id')} AS client_id,"
        f" {of_deal.format('number')} AS deal_number{people}"
    )
    extra: list[Any] = [
        column("currency", String),
        column("client_id", Integer),
        column("deal_number", String),
    ]
    if with_people:
        extra.append(column("people", ARRAY(Integer)))
    built = {}
    for name, sql in (("postgresql", in_postgres), ("sqlite", in_sqlite)):
        if with_people and name == "sqlite":  # "1,2"
            extra[-1] = column("people", String)
        built[name] = text(sql).columns(*_INVOICES.c, *extra)
    return built


PUT_DEALS = _deals()
PUT_INVOICES = {with_people: _invoices(with_people=with_people) for with_people in (False, True)}


def params(dialect: str, names: list[str], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The statement's parameters for `rows` (each a dict of `names`): an array per column on
    PostgreSQL; on SQLite one JSON array of rows, each value as SQLAlchemy would bind it
    (dates and times as text, booleans as 0 or 1)."""
    if dialect == "postgresql":
        return {name: [row[name] for row in rows] for name in names}
    processors = [_SQLITE_BIND.get(name) for name in names]
    encoded = [
        [
            value if process is None or value is None else process(value)
            for process, value in zip(processors, (row[name] for name in names), strict=True)
        ]
        for row in rows
    ]
    return {"rows": json.dumps(encoded, separators=(",", ":"))}


def _sqlite_bind() -> dict[str, Any]:
    found = {}
    for table in (_DEALS, _INVOICES):
        for c in table.c:
            process = c.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
            if process is not None:
                found[c.name] = process
    return found


_SQLITE_BIND = _sqlite_bind()


def rounds(keys: Sequence[Hashable]) -> list[list[int]]:
    """The positions of `keys` in rounds whose keys are distinct: a key's first occurrence in
    the first round, its second in the second, and so on (the later write wins, as one by
    one)."""
    seen: dict[Hashable, int] = {}
    found: list[list[int]] = []
    for position, key in enumerate(keys):
        round_ = seen.get(key, 0)
        seen[key] = round_ + 1
        if round_ == len(found):
            found.append([])
        found[round_].append(position)
    return found
