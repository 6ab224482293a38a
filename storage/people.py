"""Repositories for persons, login links and flows, clients and registrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from portal.identity import NaturalPerson
from portal.model import (
    AlreadyRegistered,
    ClientAccess,
    ClientKind,
    ClientRecord,
    LoginFlowRecord,
    NewClient,
    PendingRegistration,
    PersonRecord,
    RegistrationRecord,
    RegistrationStatus,
    Role,
)
from storage.models import (
    Client,
    LoginFlow,
    LoginLink,
    Membership,
    Person,
    PreviousPersonalCode,
    Registration,
    UsedAssertion,
)
from storage.until_commit import flush_every

ACTIVE = "active"
AWAITING_CONFIRMATION = str(RegistrationStatus.AWAITING_CONFIRMATION)
AWAITING_REVIEW = str(RegistrationStatus.AWAITING_REVIEW)


def _person(row: Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        personal_code=row.personal_code,
        given_name=row.given_name,
        family_name=row.family_name,
    )


class SqlPersons:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, person_id: int) -> PersonRecord | None:
        row = await self._session.get(Person, person_id)
        return None if row is None else _person(row)

    async def find_by_code(self, personal_code: str) -> PersonRecord | None:
        row = await self._session.scalar(
            select(Person).where(Person.personal_code == personal_code)
        )
        if row is None:
            row = await self._session.scalar(
                select(Person)
                .join(PreviousPersonalCode, PreviousPersonalCode.person_id == Person.id)
                .where(PreviousPersonalCode.personal_code == personal_code)
            )
        return None if row is None else _person(row)

    async def save(self, person: NaturalPerson, *, person_id: int | None) -> int:
        if person_id is None:
            row = Person(
                personal_code=person.personal_code,
                given_name=person.given_name[:200],
                family_name=person.family_name[:200],
            )
            self._session.add(row)
            await self._session.flush()
        else:
            loaded = await self._session.get(Person, person_id)
            assert loaded is not None
            row = loaded
            if row.personal_code != person.personal_code:
                # A code change: the old one becomes history, so it still finds this person.
                await self._remember(row.personal_code, row.id)
                await self._session.execute(
                    delete(PreviousPersonalCode).where(
                        PreviousPersonalCode.personal_code == person.personal_code
                    )
                )
                row.personal_code = person.personal_code
            row.given_name, row.family_name = person.given_name[:200], person.family_name[:200]
        for code in person.previous_codes:
            await self._remember(code, row.id)
        await self._session.flush()
        return row.id

    async def _remember(self, code: str, person_id: int) -> None:
        existing = await self._session.get(PreviousPersonalCode, code)
        if existing is None:
            self._session.add(PreviousPersonalCode(personal_code=code, person_id=person_id))
            await self._session.flush()


class SqlLoginLinks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, token_hash: str, telegram_user_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        self._session.add(
            LoginLink(
                token_hash=token_hash,
                telegram_user_id=telegram_user_id,
                created_at=created_at,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    def _valid(self, token_hash: str, now: datetime) -> list[ColumnElement[bool]]:
        return [
            LoginLink.token_hash == token_hash,
            LoginLink.consumed_at.is_(None),
            LoginLink.expires_at > now,
        ]

    async def peek(self, token_hash: str, *, now: datetime) -> int | None:
        return await self._session.scalar(
            select(LoginLink.telegram_user_id).where(*self._valid(token_hash, now))
        )

    async def consume(self, token_hash: str, *, telegram_user_id: int, now: datetime) -> bool:
        # One UPDATE with the conditions: of two racing requests only one changes the row.
        result = await self._session.execute(
            update(LoginLink)
            .where(*self._valid(token_hash, now), LoginLink.telegram_user_id == telegram_user_id)
            .values(consumed_at=now)
            .returning(LoginLink.telegram_user_id)
        )
        return result.scalar_one_or_none() is not None

    async def revoke_unused(self, telegram_user_id: int, *, now: datetime) -> None:
        await self._session.execute(
            update(LoginLink)
            .where(LoginLink.telegram_user_id == telegram_user_id, LoginLink.consumed_at.is_(None))
            .values(consumed_at=now)
        )

    async def purge(self, *, now: datetime) -> int:
        result = await self._session.execute(delete(LoginLink).where(LoginLink.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlLoginFlows:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, flow: LoginFlowRecord) -> None:
        self._session.add(
            LoginFlow(
                session_hash=flow.session_hash,
                telegram_user_id=flow.telegram_user_id,
                provider=flow.provider,
                flow_state=flow.flow_state,
                created_at=flow.created_at,
                expires_at=flow.expires_at,
            )
        )
        await self._session.flush()

    async def consume(self, session_hash: str, *, now: datetime) -> LoginFlowRecord | None:
        # Taken and gone in one statement: of two racing callbacks one gets it, and nothing
        # of it (PKCE verifier, nonce, state) stays behind. An expired one is left to purge.
        result = await self._session.execute(
            delete(LoginFlow)
            .where(LoginFlow.session_hash == session_hash, LoginFlow.expires_at > now)
            .returning(
                LoginFlow.telegram_user_id,
                LoginFlow.provider,
                LoginFlow.flow_state,
                LoginFlow.created_at,
                LoginFlow.expires_at,
            )
        )
        row = result.first()
        if row is None:
            return None
        return LoginFlowRecord(
            session_hash=session_hash,
            telegram_user_id=row.telegram_user_id,
            provider=row.provider,
            flow_state=dict(row.flow_state),
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    async def purge(self, *, now: datetime) -> int:
        result = await self._session.execute(delete(LoginFlow).where(LoginFlow.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlUsedAssertions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        await self._session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
        try:
            async with self._session.begin_nested():
                self._session.add(UsedAssertion(assertion_key=key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


def _access_query() -> Any:
    """A person's clients with their role (bound: person_id). Built once: building it cost
    about as much CPU as running it, and every step of a form checks access again."""
    person_id: BindParameter[int] = bindparam("person_id")
    awaiting_review = (
        exists()
        .where(
            Registration.client_id == Client.id,
            Registration.person_id == person_id,
            Registration.status == AWAITING_REVIEW,
        )
        .label("awaiting_review")
    )
    return (
        select(
            Client.id,
            Client.name,
            Client.kind,
            Client.registration_number,
            Membership.role,
            Membership.is_signatory,
            awaiting_review,
        )
        .join(Membership, Membership.client_id == Client.id)
        .where(
            Membership.person_id == person_id,
            Membership.status == ACTIVE,
            Client.status == ACTIVE,
        )
    )


_ACCESSIBLE = _access_query().order_by(func.lower(Client.name), Client.id)
_ACCESS_TO = _access_query().where(Client.id == bindparam("client_id"))


class SqlClients:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Names read in this transaction (a client's name is set once, when it is created):
        # the API's batched writes name the same client again and again.
        self._names: dict[int, str] = {}

    @staticmethod
    def _access(row: object) -> ClientAccess:
        return ClientAccess(
            client_id=row.id,  # type: ignore[attr-defined]
            name=row.name,  # type: ignore[attr-defined]
            kind=ClientKind(row.kind),  # type: ignore[attr-defined]
            role=Role(row.role),  # type: ignore[attr-defined]
            is_signatory=row.is_signatory,  # type: ignore[attr-defined]
            registration_number=row.registration_number,  # type: ignore[attr-defined]
            awaiting_review=bool(row.awaiting_review),  # type: ignore[attr-defined]
        )

    async def accessible(self, person_id: int) -> list[ClientAccess]:
        rows = await self._session.execute(_ACCESSIBLE, {"person_id": person_id})
        return [self._access(row) for row in rows]

    async def access(self, person_id: int, client_id: int) -> ClientAccess | None:
        row = (
            await self._session.execute(
                _ACCESS_TO, {"person_id": person_id, "client_id": client_id}
            )
        ).first()
        return None if row is None else self._access(row)

    async def exists(
        self, *, registration_number: str | None = None, personal_code: str | None = None
    ) -> bool:
        conditions = []
        if registration_number:
            conditions.append(Client.registration_number == registration_number)
        if personal_code:
            conditions.append(Client.personal_code == personal_code)
        if not conditions:
            return False
        return bool(await self._session.scalar(select(exists().where(or_(*conditions)))))

    async def create(self, client: NewClient) -> int:
        row = Client(**_client_columns(client), status=ACTIVE)
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as exc:
            raise AlreadyRegistered from exc
        return row.id

    async def add_membership(
        self, *, person_id: int, client_id: int, role: str, is_signatory: bool
    ) -> None:
        self._session.add(
            Membership(
                person_id=person_id,
                client_id=client_id,
                role=role,
                status=ACTIVE,
                is_signatory=is_signatory,
            )
        )
        await self._session.flush()

    async def get(self, client_id: int) -> ClientRecord | None:
        row = await self._session.get(Client, client_id, populate_existing=True)
        return None if row is None else await self._record(row)

    async def name(self, client_id: int) -> str | None:
        if client_id in self._names:
            return self._names[client_id]
        name = await self._session.scalar(select(Client.name).where(Client.id == client_id))
        if name is not None:
            self._names[client_id] = name
        return name

    async def find_by_number(self, registration_number: str) -> ClientRecord | None:
        row = await self._session.scalar(
            select(Client).where(Client.registration_number == registration_number)
        )
        return None if row is None else await self._record(row)

    async def _record(self, row: Client) -> ClientRecord:
        awaiting = await self._session.scalar(
            select(
                exists().where(
                    Registration.client_id == row.id, Registration.status == AWAITING_REVIEW
                )
            )
        )
        return ClientRecord(
            id=row.id,
            kind=row.kind,
            name=row.name,
            registration_number=row.registration_number,
            status=row.status,
            legal_form=row.legal_form,
            address=row.address,
            email=row.email,
            phone=row.phone,
            representation_rule=row.representation_rule,
            representation_with_at_least=row.representation_with_at_least,
            created_at=row.created_at,
            awaiting_review=bool(awaiting),
        )

    async def replace_details(self, client_id: int, client: NewClient) -> None:
        columns = _client_columns(client)
        kept = (
            *("email", "phone", "representation_rule", "representation_with_at_least"),
            *("voice_password_hash", "terms_version", "terms_accepted_at"),
        )
        await self._session.execute(
            update(Client).where(Client.id == client_id).values({k: columns[k] for k in kept})
        )

    async def delete(self, client_id: int) -> None:
        self._names.pop(client_id, None)
        # Events and reminders written earlier in this transaction (a batch of API requests)
        # may name the client: inserted now, they go with it, as without the wait.
        await flush_every(self._session)
        await self._session.execute(delete(Client).where(Client.id == client_id))


def _client_columns(client: NewClient) -> dict[str, Any]:
    """A new client's columns: the same in `clients` and in a pending `registrations` row."""
    return {
        "kind": str(client.kind),
        "registration_number": client.registration_number,
        "personal_code": client.personal_code,
        "name": client.name[:300],
        "legal_form": client.legal_form,
        "address": client.address,
        "email": client.email or None,
        "phone": client.phone or None,
        "representation_rule": client.representation_rule,
        "representation_with_at_least": client.representation_with_at_least,
        "voice_password_hash": client.voice_password_hash,
        "terms_version": client.terms_version,
        "terms_accepted_at": client.terms_accepted_at,
    }


class SqlRegistrations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, registration: PendingRegistration) -> int:
        row = Registration(
            **_client_columns(registration.client),
            person_id=registration.person_id,
            telegram_user_id=registration.telegram_user_id,
            token_hash=registration.token_hash,
            created_at=registration.created_at,
            expires_at=registration.expires_at,
            status=AWAITING_CONFIRMATION,
        )
        # A registration's contacts are required (the NOT NULL columns); a client ALTUM opened
        # has none, but it never has a registration.
        row.email, row.phone = registration.client.email, registration.client.phone
        self._session.add(row)
        await self._session.flush()
        return row.id

    def _unconfirmed(self, token_hash: str, now: datetime) -> list[ColumnElement[bool]]:
        return [
            Registration.token_hash == token_hash,
            Registration.expires_at > now,
            Registration.status == AWAITING_CONFIRMATION,
        ]

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        row = await self._session.scalar(
            select(Registration).where(*self._unconfirmed(token_hash, now))
        )
        return None if row is None else self._pending(row)

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        # One conditional UPDATE: of two racing confirmations only one changes the row.
        result = await self._session.execute(
            update(Registration)
            .where(*self._unconfirmed(token_hash, now))
            .values(status=str(RegistrationStatus.CONFIRMED), confirmed_at=now)
            .returning(Registration.id)
        )
        registration_id = result.scalar_one_or_none()
        return None if registration_id is None else await self.details(registration_id)

    async def purge(self, *, now: datetime) -> int:
        result = await self._session.execute(
            delete(Registration).where(
                Registration.expires_at <= now, Registration.status == AWAITING_CONFIRMATION
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def details(self, registration_id: int) -> PendingRegistration | None:
        row = await self._session.get(Registration, registration_id, populate_existing=True)
        return None if row is None else self._pending(row)

    def _query(self) -> Select[Registration, Person]:
        return select(Registration, Person).join(Person, Person.id == Registration.person_id)

    async def get(self, registration_id: int) -> RegistrationRecord | None:
        row = (
            await self._session.execute(self._query().where(Registration.id == registration_id))
        ).first()
        return None if row is None else self._record(row[0], row[1])

    async def listed(
        self, *, status: RegistrationStatus | None, limit: int
    ) -> list[RegistrationRecord]:
        query = self._query().order_by(Registration.id).limit(limit)
        if status is not None:
            query = query.where(Registration.status == str(status))
        return [self._record(row[0], row[1]) for row in await self._session.execute(query)]

    async def of_client(self, client_id: int) -> list[RegistrationRecord]:
        query = self._query().where(Registration.client_id == client_id).order_by(Registration.id)
        return [self._record(row[0], row[1]) for row in await self._session.execute(query)]

    async def set_status(
        self,
        registration_id: int,
        status: RegistrationStatus,
        *,
        client_id: int | None = None,
        reviewed_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": str(status)}
        if client_id is not None:
            values["client_id"] = client_id
        if reviewed_at is not None:
            values["reviewed_at"] = reviewed_at
        await self._session.execute(
            update(Registration).where(Registration.id == registration_id).values(values)
        )

    async def delete(self, registration_id: int) -> None:
        await self._session.execute(delete(Registration).where(Registration.id == registration_id))

    async def awaiting_review(self, *, person_id: int, client_id: int) -> bool:
        return bool(
            await self._session.scalar(
                select(
                    exists().where(
                        Registration.person_id == person_id,
                        Registration.client_id == client_id,
                        Registration.status == AWAITING_REVIEW,
                    )
                )
            )
        )

    @staticmethod
    def _record(row: Registration, person: Person) -> RegistrationRecord:
        return RegistrationRecord(
            id=row.id,
            status=RegistrationStatus(row.status),
            kind=row.kind,
            name=row.name,
            registration_number=row.registration_number,
            email=row.email,
            phone=row.phone,
            client_id=row.client_id,
            person_id=row.person_id,
            telegram_user_id=row.telegram_user_id,
            registrant_given_name=person.given_name,
            registrant_family_name=person.family_name,
            registrant_personal_code=person.personal_code,
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
            reviewed_at=row.reviewed_at,
        )

    @staticmethod
    def _pending(row: Registration) -> PendingRegistration:
        return PendingRegistration(
            id=row.id,
            person_id=row.person_id,
            telegram_user_id=row.telegram_user_id,
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            client=NewClient(
                kind=ClientKind(row.kind),
                name=row.name,
                registration_number=row.registration_number,
                personal_code=row.personal_code,
                legal_form=row.legal_form,
                address=row.address,
                email=row.email,
                phone=row.phone,
                representation_rule=row.representation_rule,
                representation_with_at_least=row.representation_with_at_least,
                voice_password_hash=row.voice_password_hash,
                terms_version=row.terms_version,
                terms_accepted_at=row.terms_accepted_at,
            ),
        )
