"""Repositories of ALTUM's side: a client's users, consultant, deals and invoices, API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import (
    ApiTokenRecord,
    ClientUser,
    Consultant,
    DealData,
    DealRecord,
    DealStatus,
    DealWrite,
    InvoiceData,
    InvoicePut,
    InvoiceRecord,
    InvoiceWrite,
    StoredAnswer,
    TokenNameTaken,
)
from storage import backoffice_many as many
from storage.backoffice_models import ApiAnswer, ApiToken, ClientConsultant, Deal, Invoice
from storage.models import Client, Membership, Person, TelegramAccountRow

ACTIVE = "active"


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def money(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


class SqlClientUsers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _query(self) -> Select[Membership, Person, bool]:
        linked = (
            exists().where(TelegramAccountRow.person_id == Membership.person_id).label("linked")
        )
        return select(Membership, Person, linked).join(Person, Person.id == Membership.person_id)

    @staticmethod
    def _user(membership: Membership, person: Person, linked: bool) -> ClientUser:
        return ClientUser(
            id=membership.id,
            client_id=membership.client_id,
            person_id=person.id,
            personal_code=person.personal_code,
            given_name=person.given_name,
            family_name=person.family_name,
            role=membership.role,
            status=membership.status,
            is_signatory=membership.is_signatory,
            linked=bool(linked),
            created_at=membership.created_at,
        )

    async def _many(self, *conditions: Any) -> list[ClientUser]:
        query = self._query().where(*conditions).order_by(Membership.id)
        return [self._user(row[0], row[1], row[2]) for row in await self._session.execute(query)]

    async def of_client(self, client_id: int) -> list[ClientUser]:
        return await self._many(Membership.client_id == client_id)

    async def of_person(self, person_id: int) -> list[ClientUser]:
        return await self._many(Membership.person_id == person_id)

    async def get(self, client_id: int, user_id: int) -> ClientUser | None:
        found = await self._many(Membership.client_id == client_id, Membership.id == user_id)
        return found[0] if found else None

    async def find(self, *, client_id: int, person_id: int) -> ClientUser | None:
        found = await self._many(
            Membership.client_id == client_id, Membership.person_id == person_id
        )
        return found[0] if found else None

    async def add(self, *, client_id: int, person_id: int, role: str, is_signatory: bool) -> int:
        row = Membership(
            person_id=person_id,
            client_id=client_id,
            role=role,
            status=ACTIVE,
            is_signatory=is_signatory,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def update(self, user_id: int, *, role: str, status: str) -> None:
        await self._session.execute(
            update(Membership).where(Membership.id == user_id).values(role=role, status=status)
        )

    async def remove(self, *, client_id: int, person_id: int) -> None:
        await self._session.execute(
            delete(Membership).where(
                Membership.client_id == client_id, Membership.person_id == person_id
            )
        )

    async def active_people(self, client_id: int) -> list[int]:
        rows = await self._session.scalars(_ACTIVE_PEOPLE, {"client_id": client_id})
        return list(rows)


# Built once: asked for every invoice the API writes (its reminders) and every new deal.
_ACTIVE_PEOPLE = (
    select(Membership.person_id)
    .join(Client, Client.id == Membership.client_id)
    .where(
        Membership.client_id == bindparam("client_id"),
        Membership.status == ACTIVE,
        Client.status == ACTIVE,
    )
    .order_by(Membership.id)
)


class SqlConsultants:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, client_id: int) -> Consultant | None:
        row = await self._session.get(ClientConsultant, client_id)
        return None if row is None else Consultant(name=row.name, email=row.email, phone=row.phone)

    async def put(self, client_id: int, consultant: Consultant, *, now: datetime) -> None:
        row = await self._session.get(ClientConsultant, client_id)
        if row is None:
            row = ClientConsultant(client_id=client_id)
            self._session.add(row)
        row.name, row.email, row.phone = consultant.name[:200], consultant.email, consultant.phone
        row.updated_at = now
        await self._session.flush()


_DEALS = Deal.__table__
_INVOICES: Any = Invoice.__table__


def _dialect(session: AsyncSession) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


_CLIENTS: Any = Client.__table__


def changed_stamp(table: Any, excluded: Any, columns: list[str]) -> Any:
    """An upsert's new `updated_at`: the write's time when one of `columns` differs from
    the row's, else the row's own. So `updated_at` tells when the data last changed, and a
    write that changed nothing (ALTUM's systems send the same invoice again) is told apart:
    its reminders stay as they are (portal/reminders.py)."""
    data = [c for c in columns if c not in (*many.KEPT, "updated_at")]
    unchanged = and_(*(table.c[c].is_not_distinct_from(excluded[c]) for c in data))
    return case((unchanged, table.c.updated_at), else_=excluded.updated_at)


def _selected_value(table: Any, column: str, dialect: str) -> Any:
    """A parameter for `column` in the SELECT of an INSERT … SELECT. PostgreSQL needs its
    type spelled out (CAST); SQLite must not get one (a CAST to DATE or DATETIME would make
    numbers of the dates), only the bind type that converts the value."""
    if dialect == "postgresql":
        return cast(bindparam(column), table.c[column].type)
    return bindparam(column, type_=table.c[column].type)


def _put_deal_of_client() -> dict[str, Any]:
    """The deal's upsert, INSERT … SELECT from its client, built once per dialect (the API
    upserts hundreds a second; building the statement each time cost more CPU than running
    it). No row: no such client, found by the same statement (one round trip, not two).
    `created_at` is kept by an update. SQLite needs the WHERE before ON CONFLICT to tell
    them apart."""
    columns = [c.name for c in _DEALS.c if c.name not in ("id", "client_id")]
    built = {}
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite)):
        values = [_selected_value(_DEALS, c, name) for c in columns]
        client = select(_CLIENTS.c.id, *values).where(_CLIENTS.c.id == bindparam("client_id"))
        statement = module.insert(_DEALS).from_select(["client_id", *columns], client)
        updated = {c: statement.excluded[c] for c in columns if c not in many.KEPT}
        updated["updated_at"] = changed_stamp(_DEALS, statement.excluded, columns)
        built[name] = statement.on_conflict_do_update(
            index_elements=["client_id", "number"], set_=updated
        ).returning(*_DEALS.c)
    return built


_GET_DEAL = select(_DEALS).where(
    _DEALS.c.client_id == bindparam("client_id"), _DEALS.c.number == bindparam("number")
)
_PUT_DEAL = _put_deal_of_client()


# `_ACTIVE_PEOPLE` of the written invoice's client, written out: SQLite's RETURNING drops
# the table names of the columns in it, which a join cannot do without. The same text serves
# the multi-row upsert.
_SQLITE_PEOPLE: Any = literal_column(many.PEOPLE["sqlite"])


def _put_invoice_in_deal(*, with_people: bool) -> dict[str, Any]:
    """The invoice's upsert that finds its deal by the client and deal number in the same
    statement, and answers with the deal's currency (and, `with_people`, the client's active
    users): one round trip, not two or three. No row: no such deal. PostgreSQL: a CTE.
    SQLite allows no INSERT in a CTE: INSERT … SELECT from the deal, with the currency read
    by a subquery in RETURNING."""
    columns = [c.name for c in _INVOICES.c if c.name not in ("id", "deal_id")]
    deal = (
        select(_DEALS.c.id, _DEALS.c.currency)
        .where(
            _DEALS.c.client_id == bindparam("client_id"),
            _DEALS.c.number == bindparam("deal_number"),
        )
        .cte("deal")
    )
    values = select(deal.c.id, *(_selected_value(_INVOICES, c, "postgresql") for c in columns))
    statement = postgresql.insert(_INVOICES).from_select(["deal_id", *columns], values)
    updated = {c: statement.excluded[c] for c in columns if c not in many.KEPT}
    updated["updated_at"] = changed_stamp(_INVOICES, statement.excluded, columns)
    upsert = (
        statement.on_conflict_do_update(index_elements=["deal_id", "number"], set_=updated)
        .returning(*_INVOICES.c)
        .cte("upserted")
    )
    answered: list[Any] = [upsert, deal.c.currency]
    if with_people:  # the same rows as `_ACTIVE_PEOPLE`, in its order, as one array
        in_array = _ACTIVE_PEOPLE.with_only_columns(
            func.array_agg(aggregate_order_by(Membership.person_id, Membership.id))
        ).order_by(None)
        answered.append(in_array.scalar_subquery().label("people"))
    in_postgres = select(*answered).select_from(upsert.join(deal, true()))

    found = select(_DEALS.c.id, *(_selected_value(_INVOICES, c, "sqlite") for c in columns))
    found = found.where(
        _DEALS.c.client_id == bindparam("client_id"),
        _DEALS.c.number == bindparam("deal_number"),
    )
    insert = sqlite.insert(_INVOICES).from_select(["deal_id", *columns], found)
    updated = {c: insert.excluded[c] for c in columns if c not in many.KEPT}
    updated["updated_at"] = changed_stamp(_INVOICES, insert.excluded, columns)
    # Correlated to the row written (SQLAlchemy does not correlate into RETURNING).
    currency = literal_column(
        "(SELECT currency FROM deals WHERE deals.id = invoices.deal_id)", _DEALS.c.currency.type
    )
    returned: list[Any] = [*_INVOICES.c, currency.label("currency")]
    if with_people:  # "1,2": group_concat keeps the order of its subquery's rows
        returned.append(_SQLITE_PEOPLE.label("people"))
    in_sqlite = insert.on_conflict_do_update(
        index_elements=["deal_id", "number"], set_=updated
    ).returning(*returned)
    return {"postgresql": in_postgres, "sqlite": in_sqlite}


_PUT_INVOICE_IN_DEAL = {
    with_people: _put_invoice_in_deal(with_people=with_people) for with_people in (False, True)
}


class SqlDeals:
    """Core statements: an upsert is one round trip (ALTUM's systems write at a high rate)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _record(row: Any) -> DealRecord:
        return DealRecord(
            id=row.id,
            client_id=row.client_id,
            number=row.number,
            data=DealData(
                product=row.product,
                amount=money(row.amount_cents),
                currency=row.currency,
                balance=money(row.balance_cents),
                start_date=row.start_date,
                end_date=row.end_date,
                status=DealStatus(row.status),
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def get(self, client_id: int, number: str) -> DealRecord | None:
        params = {"client_id": client_id, "number": number}
        row = (await self._session.execute(_GET_DEAL, params)).first()
        return None if row is None else self._record(row)

    async def of_client(self, client_id: int) -> list[DealRecord]:
        rows = await self._session.execute(
            select(_DEALS)
            .where(_DEALS.c.client_id == client_id)
            .order_by(_DEALS.c.start_date, _DEALS.c.id)
        )
        return [self._record(row) for row in rows]

    async def put_many(self, writes: Sequence[DealWrite]) -> list[tuple[DealRecord, bool] | None]:
        dialect = _dialect(self._session)
        found: list[tuple[DealRecord, bool] | None] = [None] * len(writes)
        for positions in many.rounds([(w.client_id, w.number) for w in writes]):
            rows = [_deal_values(writes[position]) for position in positions]
            if len(rows) == 1:
                written = (await self._session.execute(_PUT_DEAL[dialect], rows[0])).all()
            else:
                params = many.params(dialect, many.DEAL_INPUT, rows)
                written = (await self._session.execute(many.PUT_DEALS[dialect], params)).all()
            by_key = {(row.client_id, row.number): row for row in written}
            for position in positions:
                write = writes[position]
                row = by_key.get((write.client_id, write.number))
                if row is not None:
                    # `created_at` is written only by the insert: equal to now, it was inserted.
                    found[position] = self._record(row), row.created_at == write.now
        return found


def _deal_values(write: DealWrite) -> dict[str, Any]:
    data = write.data
    return {
        "client_id": write.client_id,
        "number": write.number,
        "product": data.product[:200],
        "currency": data.currency,
        "amount_cents": cents(data.amount),
        "balance_cents": cents(data.balance),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "status": str(data.status),
        "created_at": write.now,
        "updated_at": write.now,
    }


class SqlInvoices:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _record(row: Any, deal: DealRecord | None) -> InvoiceRecord:
        return InvoiceRecord(
            id=row.id,
            deal_id=row.deal_id,
            number=row.number,
            currency=row.currency if deal is None else deal.data.currency,
            data=InvoiceData(
                amount=money(row.amount_cents),
                due_date=row.due_date,
                paid=row.paid,
                paid_on=row.paid_on,
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def get(self, deal: DealRecord, number: str) -> InvoiceRecord | None:
        row = (
            await self._session.execute(
                select(_INVOICES).where(
                    _INVOICES.c.deal_id == deal.id, _INVOICES.c.number == number
                )
            )
        ).first()
        return None if row is None else self._record(row, deal)

    async def of_deal(self, deal: DealRecord) -> list[InvoiceRecord]:
        rows = await self._session.execute(
            select(_INVOICES)
            .where(_INVOICES.c.deal_id == deal.id)
            .order_by(_INVOICES.c.due_date, _INVOICES.c.id)
        )
        return [self._record(row, deal) for row in rows]

    async def put_many(
        self, writes: Sequence[InvoiceWrite], *, with_people: bool = False
    ) -> list[InvoicePut | None]:
        dialect = _dialect(self._session)
        found: list[InvoicePut | None] = [None] * len(writes)
        keys = [(w.client_id, w.deal_number, w.number) for w in writes]
        for positions in many.rounds(keys):
            rows = [_invoice_values(writes[position]) for position in positions]
            if len(rows) == 1:
                statement = _PUT_INVOICE_IN_DEAL[with_people][dialect]
                written = (await self._session.execute(statement, rows[0])).all()
                by_key = {keys[positions[0]]: written[0]} if written else {}
            else:
                statement = many.PUT_INVOICES[with_people][dialect]
                params = many.params(dialect, many.INVOICE_INPUT, rows)
                written = (await self._session.execute(statement, params)).all()
                by_key = {(row.client_id, row.deal_number, row.number): row for row in written}
            for position in positions:
                row = by_key.get(keys[position])
                if row is not None:
                    # Written only by the insert, or by a change: equal to now, it was so.
                    now = writes[position].now
                    found[position] = InvoicePut(
                        invoice=self._record(row, None),
                        created=row.created_at == now,
                        changed=row.updated_at == now,
                        people=_people(row.people) if with_people else None,
                    )
        return found


def _people(value: list[int] | str | None) -> list[int]:
    """PostgreSQL's array, SQLite's comma-separated list, or NULL for no one."""
    if value is None:
        return []
    if isinstance(value, str):
        return [int(person_id) for person_id in value.split(",")]
    return list(value)


def _invoice_values(write: InvoiceWrite) -> dict[str, Any]:
    """An invoice upsert's values; `created_at` is written only by the insert."""
    data = write.data
    return {
        "client_id": write.client_id,
        "deal_number": write.deal_number,
        "number": write.number,
        "amount_cents": cents(data.amount),
        "due_date": data.due_date,
        "paid": data.paid,
        "paid_on": data.paid_on,
        "created_at": write.now,
        "updated_at": write.now,
    }


_TOKENS: Any = ApiToken.__table__
# Built once: asked by every batch of API requests.
_TOKEN_BY_HASH = select(_TOKENS).where(_TOKENS.c.token_hash == bindparam("token_hash"))


class SqlApiTokens:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _record(row: ApiToken) -> ApiTokenRecord:
        return ApiTokenRecord(
            id=row.id,
            name=row.name,
            scopes=tuple(row.scopes),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
        )

    async def add(
        self, *, name: str, token_hash: str, scopes: tuple[str, ...], created_at: datetime
    ) -> ApiTokenRecord:
        row = ApiToken(name=name, token_hash=token_hash, scopes=list(scopes), created_at=created_at)
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as exc:
            raise TokenNameTaken(name) from exc
        return self._record(row)

    async def by_hash(self, token_hash: str) -> ApiTokenRecord | None:
        row = (await self._session.execute(_TOKEN_BY_HASH, {"token_hash": token_hash})).first()
        return None if row is None else self._record(row)  # type: ignore[arg-type]

    async def touch(self, token_id: int, *, now: datetime) -> None:
        await self._session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        )

    async def listed(self) -> list[ApiTokenRecord]:
        rows = await self._session.scalars(select(ApiToken).order_by(ApiToken.name))
        return [self._record(row) for row in rows]

    async def remove(self, name: str) -> bool:
        result = await self._session.execute(delete(ApiToken).where(ApiToken.name == name))
        return bool(result.rowcount)  # type: ignore[attr-defined]


_ANSWERS: Any = ApiAnswer.__table__
_ANSWER_BY_KEY = select(_ANSWERS).where(
    _ANSWERS.c.token_id == bindparam("token_id"), _ANSWERS.c.key == bindparam("key")
)
# Claimed with no answer yet (status 0); a key held by a transaction in flight makes
# PostgreSQL wait for it before deciding the conflict.
_CLAIM = {
    name: module.insert(_ANSWERS)
    .values(
        token_id=bindparam("token_id"),
        key=bindparam("key"),
        fingerprint=bindparam("fingerprint"),
        status=0,
        body="",
        created_at=bindparam("now"),
    )
    .on_conflict_do_nothing(index_elements=["token_id", "key"])
    .returning(_ANSWERS.c.token_id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


class SqlApiAnswers:
    """Core statements built once: asked by every POST that carries an idempotency key."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self, *, token_id: int, key: str, fingerprint: str, now: datetime
    ) -> StoredAnswer | None:
        params = {"token_id": token_id, "key": key, "fingerprint": fingerprint, "now": now}
        claimed = await self._session.execute(_CLAIM[_dialect(self._session)], params)
        if claimed.first() is not None:
            return None
        row = (await self._session.execute(_ANSWER_BY_KEY, params)).one()
        return StoredAnswer(
            fingerprint=row.fingerprint, status=row.status, body=row.body, created_at=row.created_at
        )

    async def reclaim(self, *, token_id: int, key: str, fingerprint: str, now: datetime) -> None:
        claimed = {"fingerprint": fingerprint, "status": 0, "body": "", "created_at": now}
        await self._update(token_id, key, **claimed)

    async def keep(self, *, token_id: int, key: str, status: int, body: str) -> None:
        await self._update(token_id, key, status=status, body=body)

    async def _update(self, token_id: int, key: str, **values: Any) -> None:
        await self._session.execute(
            update(ApiAnswer)
            .where(ApiAnswer.token_id == token_id, ApiAnswer.key == key)
            .values(**values)
        )

    async def purge(self, *, older_than: datetime) -> int:
        result = await self._session.execute(
            delete(ApiAnswer).where(ApiAnswer.created_at <= older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
