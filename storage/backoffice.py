"""Repositories of ALTUM's side: a client's users, consultant, deals and invoices, API tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.api_tokens import TokenNameTaken
from portal.records import (
    ApiTokenRecord,
    ClientUser,
    Consultant,
    DealData,
    DealRecord,
    DealStatus,
    InvoiceData,
    InvoiceRecord,
)
from storage.backoffice_models import ApiToken, ClientConsultant, Deal, Invoice
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
        rows = await self._session.scalars(
            select(Membership.person_id)
            .join(Client, Client.id == Membership.client_id)
            .where(
                Membership.client_id == client_id,
                Membership.status == ACTIVE,
                Client.status == ACTIVE,
            )
            .order_by(Membership.id)
        )
        return list(rows)


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


class SqlDeals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _record(row: Deal) -> DealRecord:
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

    async def _row(self, client_id: int, number: str) -> Deal | None:
        return await self._session.scalar(
            select(Deal).where(Deal.client_id == client_id, Deal.number == number)
        )

    async def get(self, client_id: int, number: str) -> DealRecord | None:
        row = await self._row(client_id, number)
        return None if row is None else self._record(row)

    async def of_client(self, client_id: int) -> list[DealRecord]:
        rows = await self._session.scalars(
            select(Deal).where(Deal.client_id == client_id).order_by(Deal.start_date, Deal.id)
        )
        return [self._record(row) for row in rows]

    async def put(
        self, client_id: int, number: str, data: DealData, *, now: datetime
    ) -> tuple[DealRecord, bool]:
        row = await self._row(client_id, number)
        created = row is None
        if row is None:
            row = Deal(client_id=client_id, number=number, created_at=now)
            self._session.add(row)
        row.product, row.currency = data.product[:200], data.currency
        row.amount_cents, row.balance_cents = cents(data.amount), cents(data.balance)
        row.start_date, row.end_date, row.status = data.start_date, data.end_date, str(data.status)
        row.updated_at = now
        await self._session.flush()
        return self._record(row), created


class SqlInvoices:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _record(row: Invoice, deal: DealRecord) -> InvoiceRecord:
        return InvoiceRecord(
            id=row.id,
            deal_id=row.deal_id,
            number=row.number,
            currency=deal.data.currency,
            data=InvoiceData(
                amount=money(row.amount_cents),
                due_date=row.due_date,
                paid=row.paid,
                paid_on=row.paid_on,
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def _row(self, deal: DealRecord, number: str) -> Invoice | None:
        return await self._session.scalar(
            select(Invoice).where(Invoice.deal_id == deal.id, Invoice.number == number)
        )

    async def get(self, deal: DealRecord, number: str) -> InvoiceRecord | None:
        row = await self._row(deal, number)
        return None if row is None else self._record(row, deal)

    async def of_deal(self, deal: DealRecord) -> list[InvoiceRecord]:
        rows = await self._session.scalars(
            select(Invoice).where(Invoice.deal_id == deal.id).order_by(Invoice.due_date, Invoice.id)
        )
        return [self._record(row, deal) for row in rows]

    async def put(
        self, deal: DealRecord, number: str, data: InvoiceData, *, now: datetime
    ) -> tuple[InvoiceRecord, bool]:
        row = await self._row(deal, number)
        created = row is None
        if row is None:
            row = Invoice(deal_id=deal.id, number=number, created_at=now)
            self._session.add(row)
        row.amount_cents, row.due_date = cents(data.amount), data.due_date
        row.paid, row.paid_on, row.updated_at = data.paid, data.paid_on, now
        await self._session.flush()
        return self._record(row, deal), created


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
        row = await self._session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
        return None if row is None else self._record(row)

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
