"""In-memory fakes of every port in `portal.ports`, for fast service-layer tests (no database,
no aiogram), the way cosmicpython writes them.

Each fake keeps the semantics its SQL or file-system twin promises (copies out of
`accounts.get`, a link used once, a flow taken once, an expired row invisible), so a use case
that forgets to save or to check fails here as it would for real. mypy checks at the bottom
that every fake satisfies its Protocol.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from portal import ports
from portal.company_register import RegisterEntry
from portal.documents import (
    DocumentKind,
    DocumentRules,
    Inspection,
    Refusal,
    RefusalCode,
    rename_warning,
    safe_name,
)
from portal.identity import FlowStart, IdentityError, NaturalPerson, ProviderIdentity
from portal.model import (
    Action,
    ActivityEvent,
    AlreadyRegistered,
    ApiTokenRecord,
    ApplicationPage,
    ApplicationRecord,
    ApplicationStatus,
    ClientAccess,
    ClientFile,
    ClientRecord,
    ClientUser,
    Consultant,
    DealRecord,
    DealWrite,
    DocumentRecord,
    FeedEvent,
    InvoicePut,
    InvoiceRecord,
    InvoiceWrite,
    LoginFlowRecord,
    MembershipStatus,
    MessageRecord,
    MessageStatus,
    NewApplication,
    NewAttachment,
    NewClient,
    NewReminder,
    Notice,
    NotificationPreferences,
    Page,
    PendingRegistration,
    PersonContacts,
    PersonRecord,
    PrintedDocument,
    RegistrationRecord,
    RegistrationStatus,
    Reminder,
    Role,
    SignatureConfirmation,
    SignatureRecord,
    Staged,
    StoredAnswer,
    Subject,
    TelegramAccount,
    ThreadQuery,
    ThreadSummary,
    TokenNameTaken,
    Waiting,
)

# --- the unit of work's repositories -------------------------------------------------------


class FakeTelegramAccounts:
    def __init__(self) -> None:
        self.rows: dict[int, TelegramAccount] = {}

    async def get(self, telegram_user_id: int) -> TelegramAccount | None:
        account = self.rows.get(telegram_user_id)
        return None if account is None else replace(account)  # a copy, as SQL gives

    async def save(self, account: TelegramAccount) -> None:
        self.rows[account.telegram_user_id] = replace(account)

    async def find_by_person(self, person_id: int) -> TelegramAccount | None:
        found = (a for a in self.rows.values() if a.person_id == person_id)
        account = next(found, None)
        return None if account is None else replace(account)


class FakeActivityLog:
    def __init__(self) -> None:
        self.events: list[ActivityEvent] = []

    async def record(self, event: ActivityEvent) -> None:
        self.events.append(event)

    def actions(self) -> list[Action]:
        return [event.action for event in self.events]

    async def of_client(
        self,
        client_id: int,
        *,
        since: datetime | None,
        actions: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ActivityEvent], int]:
        found = [
            (e.occurred_at, n, e)
            for n, e in enumerate(self.events)
            if e.client_id == client_id
            and (since is None or e.occurred_at >= since)
            and (actions is None or e.action in actions)
        ]
        ordered = [e for _at, _n, e in sorted(found, reverse=True)]  # newest, then last written
        return ordered[offset : offset + limit], len(found)


class FakePersons:
    def __init__(self) -> None:
        self.rows: dict[int, PersonRecord] = {}
        self.previous_codes: dict[str, int] = {}  # an earlier code -> its person
        self._ids = itertools.count(1)

    async def get(self, person_id: int) -> PersonRecord | None:
        return self.rows.get(person_id)

    async def find_by_code(self, personal_code: str) -> PersonRecord | None:
        for person in self.rows.values():
            if person.personal_code == personal_code:
                return person
        person_id = self.previous_codes.get(personal_code)
        return None if person_id is None else self.rows[person_id]

    async def save(self, person: NaturalPerson, *, person_id: int | None) -> int:
        if person_id is None:
            person_id = next(self._ids)
        else:
            old = self.rows[person_id]
            if old.personal_code != person.personal_code:  # the old code becomes history
                self.previous_codes.setdefault(old.personal_code, person_id)
                self.previous_codes.pop(person.personal_code, None)
        self.rows[person_id] = PersonRecord(
            id=person_id,
            personal_code=person.personal_code,
            given_name=person.given_name[:200],
            family_name=person.family_name[:200],
        )
        for code in person.previous_codes:
            self.previous_codes.setdefault(code, person_id)
        return person_id


@dataclass
class FakeLink:
    telegram_user_id: int
    created_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None


class FakeLoginLinks:
    def __init__(self) -> None:
        self.rows: dict[str, FakeLink] = {}

    async def add(
        self, *, token_hash: str, telegram_user_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        self.rows[token_hash] = FakeLink(telegram_user_id, created_at, expires_at)

    def _valid(self, token_hash: str, now: datetime) -> FakeLink | None:
        link = self.rows.get(token_hash)
        if link is None or link.consumed_at is not None or link.expires_at <= now:
            return None
        return link

    async def peek(self, token_hash: str, *, now: datetime) -> int | None:
        link = self._valid(token_hash, now)
        return None if link is None else link.telegram_user_id

    async def consume(self, token_hash: str, *, telegram_user_id: int, now: datetime) -> bool:
        link = self._valid(token_hash, now)
        if link is None or link.telegram_user_id != telegram_user_id:
            return False
        link.consumed_at = now
        return True

    async def revoke_unused(self, telegram_user_id: int, *, now: datetime) -> None:
        for link in self.rows.values():
            if link.telegram_user_id == telegram_user_id and link.consumed_at is None:
                link.consumed_at = now

    async def purge(self, *, now: datetime) -> int:
        expired = [key for key, link in self.rows.items() if link.expires_at < now]
        for key in expired:
            del self.rows[key]
        return len(expired)


class FakeLoginFlows:
    def __init__(self) -> None:
        self.rows: dict[str, LoginFlowRecord] = {}

    async def add(self, flow: LoginFlowRecord) -> None:
        self.rows[flow.session_hash] = flow

    async def consume(self, session_hash: str, *, now: datetime) -> LoginFlowRecord | None:
        flow = self.rows.get(session_hash)
        if flow is None or flow.expires_at <= now:
            return None  # an expired one is left to purge
        return self.rows.pop(session_hash)

    async def purge(self, *, now: datetime) -> int:
        expired = [key for key, flow in self.rows.items() if flow.expires_at < now]
        for key in expired:
            del self.rows[key]
        return len(expired)


class FakeUsedAssertions:
    def __init__(self) -> None:
        self.rows: dict[str, datetime] = {}  # key -> remembered until

    async def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        self.rows = {k: until for k, until in self.rows.items() if until >= now}
        if key in self.rows:
            return False
        self.rows[key] = expires_at
        return True


@dataclass
class FakeMembership:
    id: int
    person_id: int
    client_id: int
    role: Role
    is_signatory: bool
    status: MembershipStatus = MembershipStatus.ACTIVE
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class FakeClient:
    id: int
    client: NewClient
    active: bool = True
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeClients:
    """Clients and their memberships (which `FakeClientUsers` administers). Deleting a client
    calls `cascade` with its id: what the database's ON DELETE does to the other tables."""

    def __init__(
        self, registrations: FakeRegistrations, cascade: Callable[[int], None] = lambda _id: None
    ) -> None:
        self.rows: dict[int, FakeClient] = {}
        self.memberships: list[FakeMembership] = []
        self._registrations = registrations
        self._cascade = cascade
        self._ids = itertools.count(1)
        self._membership_ids = itertools.count(1)

    def _access(self, membership: FakeMembership) -> ClientAccess | None:
        row = self.rows.get(membership.client_id)
        if row is None or not row.active or membership.status is not MembershipStatus.ACTIVE:
            return None
        return ClientAccess(
            client_id=row.id,
            name=row.client.name,
            kind=row.client.kind,
            role=membership.role,
            is_signatory=membership.is_signatory,
            registration_number=row.client.registration_number,
            awaiting_review=self._registrations.waiting(
                client_id=row.id, person_id=membership.person_id
            ),
        )

    async def accessible(self, person_id: int) -> list[ClientAccess]:
        found = [self._access(m) for m in self.memberships if m.person_id == person_id]
        return sorted((a for a in found if a), key=lambda a: (a.name.lower(), a.client_id))

    async def access(self, person_id: int, client_id: int) -> ClientAccess | None:
        for access in await self.accessible(person_id):
            if access.client_id == client_id:
                return access
        return None

    async def exists(
        self, *, registration_number: str | None = None, personal_code: str | None = None
    ) -> bool:
        return any(
            (registration_number and row.client.registration_number == registration_number)
            or (personal_code and row.client.personal_code == personal_code)
            for row in self.rows.values()
        )

    async def create(self, client: NewClient) -> int:
        if await self.exists(
            registration_number=client.registration_number, personal_code=client.personal_code
        ):
            raise AlreadyRegistered
        client_id = next(self._ids)
        self.rows[client_id] = FakeClient(client_id, client)
        return client_id

    async def add_membership(
        self, *, person_id: int, client_id: int, role: str, is_signatory: bool
    ) -> None:
        self.add_member(
            person_id=person_id, client_id=client_id, role=role, is_signatory=is_signatory
        )

    def add_member(self, *, person_id: int, client_id: int, role: str, is_signatory: bool) -> int:
        """`add_membership`, returning the new membership's id (for `FakeClientUsers.add`)."""
        membership_id = next(self._membership_ids)
        self.memberships.append(
            FakeMembership(membership_id, person_id, client_id, Role(role), is_signatory)
        )
        return membership_id

    async def get(self, client_id: int) -> ClientRecord | None:
        row = self.rows.get(client_id)
        if row is None:
            return None
        client = row.client
        return ClientRecord(
            id=row.id,
            kind=str(client.kind),
            name=client.name,
            registration_number=client.registration_number,
            status="active" if row.active else "closed",
            legal_form=client.legal_form,
            address=client.address,
            email=client.email or None,
            phone=client.phone or None,
            representation_rule=client.representation_rule,
            representation_with_at_least=client.representation_with_at_least,
            created_at=row.created_at,
            awaiting_review=self._registrations.waiting(client_id=row.id),
        )

    async def name(self, client_id: int) -> str | None:
        row = self.rows.get(client_id)
        return None if row is None else row.client.name

    async def find_by_number(self, registration_number: str) -> ClientRecord | None:
        for row in self.rows.values():
            if row.client.registration_number == registration_number:
                return await self.get(row.id)
        return None

    async def replace_details(self, client_id: int, client: NewClient) -> None:
        row = self.rows[client_id]
        row.client = replace(
            row.client,
            email=client.email,
            phone=client.phone,
            representation_rule=client.representation_rule,
            representation_with_at_least=client.representation_with_at_least,
            voice_password_hash=client.voice_password_hash,
            terms_version=client.terms_version,
            terms_accepted_at=client.terms_accepted_at,
        )

    async def delete(self, client_id: int) -> None:
        if self.rows.pop(client_id, None) is not None:
            self.memberships = [m for m in self.memberships if m.client_id != client_id]
            self._cascade(client_id)

    def membership(self, person_id: int, client_id: int) -> FakeMembership:
        """For tests: block one, look at one."""
        return next(
            m for m in self.memberships if (m.person_id, m.client_id) == (person_id, client_id)
        )


@dataclass
class FakeRegistration:
    pending: PendingRegistration  # with its id
    status: RegistrationStatus = RegistrationStatus.AWAITING_CONFIRMATION
    client_id: int | None = None
    confirmed_at: datetime | None = None
    reviewed_at: datetime | None = None


class FakeRegistrations:
    def __init__(self, persons: FakePersons) -> None:
        self.rows: dict[int, FakeRegistration] = {}
        self._persons = persons
        self._ids = itertools.count(1)

    async def add(self, registration: PendingRegistration) -> int:
        registration_id = next(self._ids)
        self.rows[registration_id] = FakeRegistration(replace(registration, id=registration_id))
        return registration_id

    def _unconfirmed(self, token_hash: str, now: datetime) -> FakeRegistration | None:
        found = (
            row
            for row in self.rows.values()
            if row.pending.token_hash == token_hash
            and row.pending.expires_at > now
            and row.status is RegistrationStatus.AWAITING_CONFIRMATION
        )
        return next(found, None)

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        row = self._unconfirmed(token_hash, now)
        return None if row is None else row.pending

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        row = self._unconfirmed(token_hash, now)
        if row is None:
            return None
        row.status, row.confirmed_at = RegistrationStatus.CONFIRMED, now
        return row.pending

    async def purge(self, *, now: datetime) -> int:
        expired = [
            key
            for key, row in self.rows.items()
            if row.pending.expires_at <= now
            and row.status is RegistrationStatus.AWAITING_CONFIRMATION
        ]
        for key in expired:
            del self.rows[key]
        return len(expired)

    def _record(self, row: FakeRegistration) -> RegistrationRecord | None:
        person = self._persons.rows.get(row.pending.person_id)
        if person is None:
            return None
        client = row.pending.client
        assert row.pending.id is not None
        return RegistrationRecord(
            id=row.pending.id,
            status=row.status,
            kind=str(client.kind),
            name=client.name,
            registration_number=client.registration_number,
            email=client.email,
            phone=client.phone,
            client_id=row.client_id,
            person_id=person.id,
            telegram_user_id=row.pending.telegram_user_id,
            registrant_given_name=person.given_name,
            registrant_family_name=person.family_name,
            registrant_personal_code=person.personal_code,
            created_at=row.pending.created_at,
            confirmed_at=row.confirmed_at,
            reviewed_at=row.reviewed_at,
        )

    def _records(self, rows: Iterable[FakeRegistration]) -> list[RegistrationRecord]:
        found = (self._record(row) for row in sorted(rows, key=lambda row: row.pending.id or 0))
        return [record for record in found if record is not None]

    async def get(self, registration_id: int) -> RegistrationRecord | None:
        row = self.rows.get(registration_id)
        return None if row is None else self._record(row)

    async def details(self, registration_id: int) -> PendingRegistration | None:
        row = self.rows.get(registration_id)
        return None if row is None else row.pending

    async def listed(
        self, *, status: RegistrationStatus | None, limit: int
    ) -> list[RegistrationRecord]:
        rows = (row for row in self.rows.values() if status is None or row.status is status)
        return self._records(rows)[:limit]

    async def of_client(self, client_id: int) -> list[RegistrationRecord]:
        return self._records(row for row in self.rows.values() if row.client_id == client_id)

    async def set_status(
        self,
        registration_id: int,
        status: RegistrationStatus,
        *,
        client_id: int | None = None,
        reviewed_at: datetime | None = None,
    ) -> None:
        row = self.rows[registration_id]
        row.status = status
        if client_id is not None:
            row.client_id = client_id
        if reviewed_at is not None:
            row.reviewed_at = reviewed_at

    async def delete(self, registration_id: int) -> None:
        self.rows.pop(registration_id, None)

    async def awaiting_review(self, *, person_id: int, client_id: int) -> bool:
        return self.waiting(client_id=client_id, person_id=person_id)

    def waiting(self, *, client_id: int, person_id: int | None = None) -> bool:
        """Whether a registration of the client (by this person) waits for ALTUM's review."""
        return any(
            row.client_id == client_id
            and row.status is RegistrationStatus.AWAITING_REVIEW
            and person_id in (None, row.pending.person_id)
            for row in self.rows.values()
        )


class FakeCompanyRegister:
    def __init__(self, *entries: RegisterEntry) -> None:
        self.entries = {entry.regcode: entry for entry in entries}

    async def find(self, regcode: str) -> RegisterEntry | None:
        return self.entries.get(regcode)


# --- ALTUM's side: a client's users, consultant, deals, invoices; API tokens; the feed -----


class FakeClientUsers:
    """Memberships as ALTUM administers them: the same rows as `FakeClients.memberships`."""

    def __init__(
        self, clients: FakeClients, persons: FakePersons, accounts: FakeTelegramAccounts
    ) -> None:
        self._clients, self._persons, self._accounts = clients, persons, accounts

    def _user(self, membership: FakeMembership) -> ClientUser | None:
        person = self._persons.rows.get(membership.person_id)
        if person is None:
            return None
        return ClientUser(
            id=membership.id,
            client_id=membership.client_id,
            person_id=person.id,
            personal_code=person.personal_code,
            given_name=person.given_name,
            family_name=person.family_name,
            role=str(membership.role),
            status=str(membership.status),
            is_signatory=membership.is_signatory,
            linked=any(a.person_id == person.id for a in self._accounts.rows.values()),
            created_at=membership.created_at,
        )

    def _users(self, **where: int) -> list[ClientUser]:
        found = (
            self._user(m)
            for m in sorted(self._clients.memberships, key=lambda m: m.id)
            if all(getattr(m, key) == value for key, value in where.items())
        )
        return [user for user in found if user is not None]

    async def of_client(self, client_id: int) -> list[ClientUser]:
        return self._users(client_id=client_id)

    async def get(self, client_id: int, user_id: int) -> ClientUser | None:
        return next(iter(self._users(client_id=client_id, id=user_id)), None)

    async def find(self, *, client_id: int, person_id: int) -> ClientUser | None:
        return next(iter(self._users(client_id=client_id, person_id=person_id)), None)

    async def of_person(self, person_id: int) -> list[ClientUser]:
        return self._users(person_id=person_id)

    async def add(self, *, client_id: int, person_id: int, role: str, is_signatory: bool) -> int:
        return self._clients.add_member(
            person_id=person_id, client_id=client_id, role=role, is_signatory=is_signatory
        )

    async def update(self, user_id: int, *, role: str, status: str) -> None:
        membership = next(m for m in self._clients.memberships if m.id == user_id)
        membership.role, membership.status = Role(role), MembershipStatus(status)

    async def remove(self, *, client_id: int, person_id: int) -> None:
        self._clients.memberships = [
            m
            for m in self._clients.memberships
            if (m.client_id, m.person_id) != (client_id, person_id)
        ]

    async def active_people(self, client_id: int) -> list[int]:
        client = self._clients.rows.get(client_id)
        if client is None or not client.active:
            return []
        return [
            m.person_id
            for m in sorted(self._clients.memberships, key=lambda m: m.id)
            if m.client_id == client_id and m.status is MembershipStatus.ACTIVE
        ]


class FakeConsultants:
    def __init__(self) -> None:
        self.rows: dict[int, Consultant] = {}

    async def get(self, client_id: int) -> Consultant | None:
        return self.rows.get(client_id)

    async def put(self, client_id: int, consultant: Consultant, *, now: datetime) -> None:
        self.rows[client_id] = replace(consultant, name=consultant.name[:200])


class FakeDeals:
    def __init__(self, clients: FakeClients) -> None:
        self.rows: dict[int, DealRecord] = {}
        self._ids = itertools.count(1)
        self._clients = clients

    async def get(self, client_id: int, number: str) -> DealRecord | None:
        found = (d for d in self.rows.values() if (d.client_id, d.number) == (client_id, number))
        return next(found, None)

    async def of_client(self, client_id: int) -> list[DealRecord]:
        deals = (d for d in self.rows.values() if d.client_id == client_id)
        return sorted(deals, key=lambda d: (d.data.start_date, d.id))

    async def put_many(self, writes: Sequence[DealWrite]) -> list[tuple[DealRecord, bool] | None]:
        return [await self._put(write) for write in writes]

    async def _put(self, write: DealWrite) -> tuple[DealRecord, bool] | None:
        client_id, number, now = write.client_id, write.number, write.now
        if client_id not in self._clients.rows:
            return None
        data = replace(write.data, product=write.data.product[:200])
        old = await self.get(client_id, number)
        if old is not None:
            updated_at = old.updated_at if data == old.data else now
            self.rows[old.id] = replace(old, data=data, updated_at=updated_at)
            return self.rows[old.id], False
        deal = DealRecord(next(self._ids), client_id, number, data, created_at=now, updated_at=now)
        self.rows[deal.id] = deal
        return deal, True


class FakeInvoices:
    def __init__(
        self,
        deals: FakeDeals | None = None,
        people: Callable[[int], Awaitable[list[int]]] | None = None,
    ) -> None:
        self.rows: dict[int, InvoiceRecord] = {}
        self._ids = itertools.count(1)
        self._deals = deals
        self._people_of = people  # the client's active users (FakeClientUsers.active_people)

    async def _people(self, client_id: int) -> list[int]:
        assert self._people_of is not None
        return await self._people_of(client_id)

    async def get(self, deal: DealRecord, number: str) -> InvoiceRecord | None:
        found = (i for i in self.rows.values() if (i.deal_id, i.number) == (deal.id, number))
        return next(found, None)

    async def of_deal(self, deal: DealRecord) -> list[InvoiceRecord]:
        invoices = (i for i in self.rows.values() if i.deal_id == deal.id)
        return sorted(invoices, key=lambda i: (i.data.due_date, i.id))

    async def put_many(
        self, writes: Sequence[InvoiceWrite], *, with_people: bool = False
    ) -> list[InvoicePut | None]:
        return [await self._put(write, with_people=with_people) for write in writes]

    async def _put(self, write: InvoiceWrite, *, with_people: bool) -> InvoicePut | None:
        assert self._deals is not None
        deal = await self._deals.get(write.client_id, write.deal_number)
        if deal is None:
            return None
        people = await self._people(write.client_id) if with_people else None
        old = await self.get(deal, write.number)
        if old is not None:
            changed = write.data != old.data
            updated_at = write.now if changed else old.updated_at
            self.rows[old.id] = replace(old, data=write.data, updated_at=updated_at)
            return InvoicePut(self.rows[old.id], created=False, changed=changed, people=people)
        invoice = InvoiceRecord(
            next(self._ids),
            deal.id,
            write.number,
            deal.data.currency,
            write.data,
            write.now,
            write.now,
        )
        self.rows[invoice.id] = invoice
        return InvoicePut(invoice, created=True, changed=True, people=people)


@dataclass
class FakeToken:
    record: ApiTokenRecord
    token_hash: str


class FakeApiAnswers:
    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], StoredAnswer] = {}

    async def claim(
        self, *, token_id: int, key: str, fingerprint: str, now: datetime
    ) -> StoredAnswer | None:
        if (token_id, key) in self.rows:
            return self.rows[(token_id, key)]
        self.rows[(token_id, key)] = StoredAnswer(fingerprint, 0, "", now)
        return None

    async def reclaim(self, *, token_id: int, key: str, fingerprint: str, now: datetime) -> None:
        self.rows[(token_id, key)] = StoredAnswer(fingerprint, 0, "", now)

    async def keep(self, *, token_id: int, key: str, status: int, body: str) -> None:
        self.rows[(token_id, key)] = replace(self.rows[(token_id, key)], status=status, body=body)

    async def purge(self, *, older_than: datetime) -> int:
        old = [k for k, answer in self.rows.items() if answer.created_at <= older_than]
        for k in old:
            del self.rows[k]
        return len(old)


class FakeApiTokens:
    def __init__(self) -> None:
        self.rows: dict[str, FakeToken] = {}  # by name
        self._ids = itertools.count(1)

    async def add(
        self, *, name: str, token_hash: str, scopes: tuple[str, ...], created_at: datetime
    ) -> ApiTokenRecord:
        if name in self.rows:
            raise TokenNameTaken(name)
        record = ApiTokenRecord(next(self._ids), name, scopes, created_at, last_used_at=None)
        self.rows[name] = FakeToken(record, token_hash)
        return record

    async def by_hash(self, token_hash: str) -> ApiTokenRecord | None:
        found = (t.record for t in self.rows.values() if t.token_hash == token_hash)
        return next(found, None)

    async def touch(self, token_id: int, *, now: datetime) -> None:
        for token in self.rows.values():
            if token.record.id == token_id:
                token.record = replace(token.record, last_used_at=now)

    async def listed(self) -> list[ApiTokenRecord]:
        return [self.rows[name].record for name in sorted(self.rows)]

    async def remove(self, name: str) -> bool:
        return self.rows.pop(name, None) is not None


class FakeFeed:
    """Events wait in `pending` until the unit of work commits; then they get their
    positions, in commit order, as storage/feed.py gives them."""

    def __init__(self) -> None:
        self.pending: list[FeedEvent] = []
        self.events: list[FeedEvent] = []

    async def publish(self, event: FeedEvent) -> None:
        self.pending.append(event)

    def commit(self) -> None:
        for event in self.pending:
            self.events.append(replace(event, position=len(self.events) + 1))
        self.pending = []

    async def after(self, position: int, *, limit: int) -> list[FeedEvent]:
        return [e for e in self.events if (e.position or 0) > position][:limit]


class FakeApplications:
    """Applications in memory; `lock` is `get` (one task at a time in a test)."""

    def __init__(self) -> None:
        self.rows: dict[int, ApplicationRecord] = {}
        self.signature_rows: list[SignatureRecord] = []
        self.confirmations: dict[str, tuple[SignatureConfirmation, bool]] = {}  # hash: (c, used)
        self._ids = itertools.count(1)

    async def add(self, application: NewApplication) -> ApplicationRecord:
        record = ApplicationRecord(
            id=next(self._ids),
            client_id=application.client_id,
            form_id=application.form_id,
            form_version=application.form_version,
            status=ApplicationStatus.DRAFT,
            answers={},
            prepared_by=application.prepared_by,
            created_at=application.now,
            updated_at=application.now,
            deal_number=application.deal_number,
        )
        self.rows[record.id] = record
        return record

    async def get(self, client_id: int, application_id: int) -> ApplicationRecord | None:
        found = self.rows.get(application_id)
        return found if found is not None and found.client_id == client_id else None

    async def by_id(self, application_id: int) -> ApplicationRecord | None:
        return self.rows.get(application_id)

    async def lock(self, client_id: int, application_id: int) -> ApplicationRecord | None:
        return await self.get(client_id, application_id)

    async def save(self, application: ApplicationRecord) -> None:
        self.rows[application.id] = application

    async def delete(self, client_id: int, application_id: int) -> None:
        if await self.get(client_id, application_id) is not None:
            del self.rows[application_id]
            self.signature_rows = [
                s for s in self.signature_rows if s.application_id != application_id
            ]

    async def documents_in_use(self, client_id: int, document_ids: Collection[str]) -> set[str]:
        named = {
            str(ref["document_id"])
            for row in self.rows.values()
            if row.client_id == client_id
            for value in row.answers.values()
            if isinstance(value, list)
            for ref in value
            if isinstance(ref, dict) and "document_id" in ref
        }
        return set(document_ids) & named

    async def page(
        self,
        client_id: int,
        *,
        before: int | None,
        limit: int,
        statuses: frozenset[ApplicationStatus] | None = None,
        deal_number: str | None = None,
        only_forms: frozenset[str] | None = None,
        without_forms: frozenset[str] = frozenset(),
    ) -> ApplicationPage:
        found = sorted(
            (
                a
                for a in self.rows.values()
                if a.client_id == client_id
                and (before is None or a.id < before)
                and (statuses is None or a.status in statuses)
                and (deal_number is None or a.deal_number == deal_number)
                and (only_forms is None or a.form_id in only_forms)
                and a.form_id not in without_forms
            ),
            key=lambda a: -a.id,
        )
        items = found[:limit]
        return ApplicationPage(items, items[-1].id if len(found) > limit else None)

    async def add_signature(self, signature: SignatureRecord) -> None:
        self.signature_rows.append(signature)

    async def signatures(self, application_id: int) -> list[SignatureRecord]:
        return [s for s in self.signature_rows if s.application_id == application_id]

    async def void_signatures(self, application_id: int) -> list[SignatureRecord]:
        voided = [s for s in await self.signatures(application_id) if not s.void]
        self.signature_rows = [
            replace(s, void=True) if s.application_id == application_id else s
            for s in self.signature_rows
        ]
        return voided

    async def add_confirmation(self, confirmation: SignatureConfirmation) -> None:
        self.confirmations = {
            key: (c, used)
            for key, (c, used) in self.confirmations.items()
            if used or c.telegram_user_id != confirmation.telegram_user_id
        }
        self.confirmations[confirmation.token_hash] = (confirmation, False)

    async def confirmation(self, token_hash: str, *, now: datetime) -> SignatureConfirmation | None:
        found = self.confirmations.get(token_hash)
        if found is None or found[1] or found[0].expires_at <= now:
            return None
        return found[0]

    async def use_confirmation(
        self, token_hash: str, *, telegram_user_id: int, now: datetime
    ) -> SignatureConfirmation | None:
        found = await self.confirmation(token_hash, now=now)
        if found is None or found.telegram_user_id != telegram_user_id:
            return None
        self.confirmations[token_hash] = (found, True)
        return found

    async def purge_confirmations(self, *, now: datetime) -> int:
        keep = {k: v for k, v in self.confirmations.items() if not v[1] and v[0].expires_at > now}
        gone, self.confirmations = len(self.confirmations) - len(keep), keep
        return gone


class FakeFeedSignal:
    """Never wakes early: a long poll waits its whole time (recorded) and reads again."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def wait(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeNotifier:
    """Keeps what would be told in chat, in order."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notice: Notice) -> None:
        self.notices.append(notice)


class FakeWaiting:
    """What `waiting` says for every (person, client); nothing unless a test sets it."""

    def __init__(self) -> None:
        self.counts: dict[tuple[int, int], Waiting] = {}

    async def for_person(self, *, person_id: int, client_id: int) -> Waiting:
        return self.counts.get((person_id, client_id), Waiting())


class FakePersonContacts:
    def __init__(self) -> None:
        self.rows: dict[int, PersonContacts] = {}
        self.tokens: dict[str, int] = {}  # a pending e-mail's token hash -> its person

    async def get(self, person_id: int) -> PersonContacts:
        return self.rows.get(person_id, PersonContacts())

    async def set_phone(self, person_id: int, phone: str, *, now: datetime) -> None:
        self.rows[person_id] = replace(await self.get(person_id), phone=phone)

    async def request_email(
        self, person_id: int, email: str, *, token_hash: str, expires_at: datetime, now: datetime
    ) -> None:
        self.tokens = {h: p for h, p in self.tokens.items() if p != person_id}
        self.tokens[token_hash] = person_id
        self.rows[person_id] = replace(
            await self.get(person_id), pending_email=email, pending_expires_at=expires_at
        )

    async def confirm_email(self, token_hash: str, *, now: datetime) -> tuple[int, str] | None:
        person_id = self.tokens.get(token_hash)
        if person_id is None:
            return None
        row = await self.get(person_id)
        if row.pending_email is None or row.pending_expires_at is None:
            return None
        if row.pending_expires_at <= now:
            return None
        del self.tokens[token_hash]
        self.rows[person_id] = replace(
            row, email=row.pending_email, pending_email=None, pending_expires_at=None
        )
        return person_id, row.pending_email


class FakeUnitOfWork:
    """One transaction in memory. Use cases never commit (the caller's unit of work does):
    `committed` tells whether anyone did."""

    def __init__(self, *register: RegisterEntry) -> None:
        self.accounts = FakeTelegramAccounts()
        self.activity = FakeActivityLog()
        self.persons = FakePersons()
        self.login_links = FakeLoginLinks()
        self.login_flows = FakeLoginFlows()
        self.used_assertions = FakeUsedAssertions()
        self.registrations = FakeRegistrations(self.persons)
        self.clients = FakeClients(self.registrations, cascade=self._client_deleted)
        self.company_register = FakeCompanyRegister(*register)
        self.client_users = FakeClientUsers(self.clients, self.persons, self.accounts)
        self.consultants = FakeConsultants()
        self.deals = FakeDeals(self.clients)
        self.invoices = FakeInvoices(self.deals, self.client_users.active_people)
        self.api_tokens = FakeApiTokens()
        self.api_answers = FakeApiAnswers()
        self.feed = FakeFeed()
        self.waiting = FakeWaiting()
        self.applications = FakeApplications()
        self.messages = FakeMessages(self.deals)
        self.person_contacts = FakePersonContacts()
        self.reminders = FakeReminders()
        self.notification_preferences = FakeNotificationPreferences()
        self.committed = False

    async def commit(self) -> None:
        self.feed.commit()
        self.committed = True

    def _client_deleted(self, client_id: int) -> None:
        """What the database's foreign keys do when a client goes: its registrations,
        consultant, deals (with their invoices) and log go too; chats acting for it act for
        none."""
        self.registrations.rows = {
            key: row for key, row in self.registrations.rows.items() if row.client_id != client_id
        }
        self.consultants.rows.pop(client_id, None)
        gone = {deal.id for deal in self.deals.rows.values() if deal.client_id == client_id}
        self.deals.rows = {key: d for key, d in self.deals.rows.items() if key not in gone}
        self.invoices.rows = {
            key: i for key, i in self.invoices.rows.items() if i.deal_id not in gone
        }
        self.activity.events = [e for e in self.activity.events if e.client_id != client_id]
        self.applications.rows = {
            key: a for key, a in self.applications.rows.items() if a.client_id != client_id
        }
        for account in self.accounts.rows.values():
            if account.current_client_id == client_id:
                account.current_client_id = None


# --- identity providers --------------------------------------------------------------------


@dataclass
class FakeIdentityProvider:
    """Sends the browser nowhere; `finish` gives `identity`, or raises `error`."""

    identity: ProviderIdentity | None = None
    error: IdentityError | None = None
    name: str = "fake"
    started: list[str] = field(default_factory=list)

    async def start(self, *, callback_url: str) -> FlowStart:
        self.started.append(callback_url)
        return FlowStart(redirect_url="https://idp.example/authorize", flow_state={"state": "s"})

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity:
        if self.error is not None:
            raise self.error
        assert self.identity is not None, "give the fake an identity or an error"
        return self.identity


# --- files ---------------------------------------------------------------------------------


class BytesSource:
    """A `ByteSource` over bytes, handing them out in chunks; counts what was read."""

    def __init__(self, data: bytes, chunk: int = 64 * 1024) -> None:
        self._data, self._chunk, self.read_bytes = data, chunk, 0

    async def read(self, n: int = -1, /) -> bytes:
        size = self._chunk if n < 0 else min(n, self._chunk)
        piece = self._data[self.read_bytes : self.read_bytes + size]
        self.read_bytes += len(piece)
        return piece


class FakeFileStore:
    """Staged and stored files in memory, under made-up paths."""

    def __init__(self) -> None:
        self.staged: dict[Path, bytes] = {}
        self.stored: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    async def stage(self, source: ports.ByteSource, *, max_bytes: int) -> Staged | None:
        data = b""
        while len(data) <= max_bytes:
            piece = await source.read(max_bytes + 1 - len(data))
            if not piece:
                break
            data += piece
        if len(data) > max_bytes:
            return None
        path = Path(f"/fake/staging/{next(self._ids)}.part")
        self.staged[path] = data
        return Staged(path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    async def commit(self, staged: Staged) -> None:
        self.stored.setdefault(staged.sha256, self.staged.pop(staged.path))

    async def discard(self, staged: Staged) -> None:
        self.staged.pop(staged.path, None)

    def path(self, file: ClientFile) -> Path:
        return Path(f"/fake/sha256/{file.sha256}")

    async def chunks(self, file: ClientFile) -> AsyncIterator[bytes]:
        yield self.stored[file.sha256]

    def keep(self, sha256: str) -> bool:
        return sha256 in self.stored

    def bytes_at(self, path: Path) -> bytes:
        """For the fake inspector and binder: what a staged or stored path holds."""
        if path in self.staged:
            return self.staged[path]
        return self.stored[path.name]


class FakeInspector:
    """Says what a file is by its first bytes (`%PDF-`: a PDF, `\\xff\\xd8`: a JPEG of
    `picture_size`), or refuses with `refusal` when given."""

    def __init__(self, store: FakeFileStore, *, picture_size: tuple[int, int] = (1200, 1600)):
        self.store, self.picture_size = store, picture_size
        self.refusal: Refusal | None = None

    async def inspect(
        self, path: Path, *, declared_name: str | None, rules: DocumentRules
    ) -> Inspection | Refusal:
        if self.refusal is not None:
            return self.refusal
        data = self.store.bytes_at(path)
        if data.startswith(b"%PDF-"):
            kind = DocumentKind.PDF
        elif data.startswith(b"\xff\xd8"):
            kind = DocumentKind.JPEG
        else:
            return Refusal(RefusalCode.NOT_ALLOWED)
        warning = rename_warning(declared_name, kind)
        width, height = self.picture_size if kind is DocumentKind.JPEG else (None, None)
        return Inspection(
            kind=kind,
            name=safe_name(declared_name, kind, rules),
            warnings=(warning,) if warning else (),
            width=width,
            height=height,
        )


class FakePhotoBinder:
    """A "PDF" that names its pages' paths, in order."""

    def __init__(self) -> None:
        self.bound: list[Sequence[Path]] = []

    async def bind(self, pages: Sequence[Path], *, rules: DocumentRules) -> bytes | Refusal:
        self.bound.append(list(pages))
        return b"%PDF-1.7 fake\n" + b"\n".join(str(p).encode() for p in pages) + b"\n%%EOF"

    async def page_count(self, path: Path) -> int:
        return len(self.bound[-1]) if self.bound else 0


class FakePdfWriter:
    """Keeps the documents it was asked to print; the "PDF" names their titles."""

    def __init__(self) -> None:
        self.printed: list[PrintedDocument] = []

    def render(self, document: PrintedDocument) -> bytes:
        self.printed.append(document)
        return b"%PDF-1.7 fake\n" + document.title.encode() + b"\n%%EOF"


# --- mypy: each fake is what its port asks for ---------------------------------------------


def _conforms(
    uow: FakeUnitOfWork,
    provider: FakeIdentityProvider,
    source: BytesSource,
    store: FakeFileStore,
    inspector: FakeInspector,
    binder: FakePhotoBinder,
    notifier: FakeNotifier,
    signal: FakeFeedSignal,
    pdf: FakePdfWriter,
) -> tuple[Any, ...]:
    checked: tuple[
        ports.UnitOfWork,
        ports.IdentityProvider,
        ports.ByteSource,
        ports.FileStore,
        ports.DocumentInspector,
        ports.PhotoBinder,
        ports.Notifier,
        ports.FeedSignal,
        ports.PdfWriter,
    ] = (uow, provider, source, store, inspector, binder, notifier, signal, pdf)
    return checked


# --- messages with ALTUM --------------------------------------------------------------------


class FakeMessages:
    """Threads, messages and documents in memory; every read by client, as in SQL."""

    def __init__(self, deals: FakeDeals) -> None:
        self._deals = deals
        self.threads_: dict[int, ThreadSummary] = {}
        self.rows: dict[int, MessageRecord] = {}
        self.docs: dict[int, DocumentRecord] = {}
        self._ids = itertools.count(1)

    def _deal_number(self, deal_id: int | None) -> str | None:
        deal = self._deals.rows.get(deal_id) if deal_id is not None else None
        return None if deal is None else deal.number

    def _matches(self, thread: ThreadSummary, query: ThreadQuery) -> bool:
        text = (query.text or "").lower()
        bodies = [m.body.lower() for m in self.rows.values() if m.thread_id == thread.id]
        day = thread.last_at.date()
        return (
            (query.status is None or thread.status is query.status)
            and (not query.unread_only or thread.unread > 0)
            and (query.deal_id is None or thread.about.deal_id == query.deal_id)
            and (
                query.application_id is None or thread.about.application_id == query.application_id
            )
            and (query.since is None or day >= query.since)
            and (query.until is None or day <= query.until)
            and (not text or text in thread.subject.lower() or any(text in b for b in bodies))
        )

    async def threads(
        self, client_id: int, query: ThreadQuery, *, offset: int, limit: int
    ) -> Page[ThreadSummary]:
        found = [
            t
            for t in self.threads_.values()
            if t.client_id == client_id and self._matches(t, query)
        ]
        found.sort(key=lambda t: (t.last_at, t.id), reverse=True)
        items = [replace(t, deal_number=self._deal_number(t.about.deal_id)) for t in found]
        return Page(items[offset : offset + limit], len(items) > offset + limit, offset)

    async def thread(self, client_id: int, thread_id: int) -> ThreadSummary | None:
        thread = self.threads_.get(thread_id)
        if thread is None or thread.client_id != client_id:
            return None
        return replace(thread, deal_number=self._deal_number(thread.about.deal_id))

    async def messages(self, client_id: int, thread_id: int) -> list[MessageRecord]:
        return [
            m
            for m in sorted(self.rows.values(), key=lambda m: m.id)
            if (m.client_id, m.thread_id) == (client_id, thread_id)
        ]

    async def message(self, client_id: int, message_id: int) -> MessageRecord | None:
        message = self.rows.get(message_id)
        return message if message is not None and message.client_id == client_id else None

    async def message_by_id(self, message_id: int) -> MessageRecord | None:
        return self.rows.get(message_id)

    async def start_thread(
        self, client_id: int, subject: str, about: Subject, *, now: datetime
    ) -> int:
        thread_id = next(self._ids)
        self.threads_[thread_id] = ThreadSummary(
            thread_id, client_id, subject, MessageStatus.DRAFT, "", now, 0, about
        )
        return thread_id

    async def add_message(
        self,
        client_id: int,
        thread_id: int,
        *,
        status: MessageStatus,
        body: str,
        now: datetime,
        person_id: int | None = None,
        actor: str | None = None,
    ) -> MessageRecord:
        message = MessageRecord(
            next(self._ids), thread_id, client_id, status, body, now, person_id, actor
        )
        self.rows[message.id] = message
        thread = self.threads_[thread_id]
        unread = thread.unread + (1 if status is MessageStatus.RECEIVED else 0)
        self.threads_[thread_id] = replace(
            thread, status=status, last_text=body[:200], last_at=now, unread=unread
        )
        return message

    async def send_draft(self, client_id: int, message_id: int, *, now: datetime) -> bool:
        message = await self.message(client_id, message_id)
        if message is None or message.status is not MessageStatus.DRAFT:
            return False
        self.rows[message_id] = replace(message, status=MessageStatus.SENT, created_at=now)
        thread = self.threads_[message.thread_id]
        self.threads_[thread.id] = replace(thread, status=MessageStatus.SENT, last_at=now)
        return True

    async def mark_read(self, client_id: int, thread_id: int, *, now: datetime) -> int:
        unread = [
            m
            for m in await self.messages(client_id, thread_id)
            if m.status is MessageStatus.RECEIVED and m.read_at is None
        ]
        for message in unread:
            self.rows[message.id] = replace(message, read_at=now)
        if unread:
            self.threads_[thread_id] = replace(self.threads_[thread_id], unread=0)
        return len(unread)

    async def unread(self, client_id: int) -> int:
        return sum(t.unread for t in self.threads_.values() if t.client_id == client_id)

    def _document(self, document: DocumentRecord) -> DocumentRecord:
        message = self.rows.get(document.message_id) if document.message_id else None
        return replace(document, thread_id=message.thread_id if message else None)

    async def add_document(
        self,
        client_id: int,
        attachment: NewAttachment,
        *,
        incoming: bool,
        now: datetime,
        message_id: int | None = None,
        deal_id: int | None = None,
        sent_on: date | None = None,
    ) -> DocumentRecord:
        document = DocumentRecord(
            next(self._ids),
            attachment.file,
            attachment.doc_type,
            attachment.prepared_on,
            incoming,
            now,
            message_id,
            deal_number=self._deal_number(deal_id),
            sent_on=sent_on,
        )
        self.docs[document.id] = document
        return self._document(document)

    async def documents_of(self, client_id: int, thread_id: int) -> list[DocumentRecord]:
        found = [self._document(d) for d in self.docs.values() if d.file.client_id == client_id]
        return [d for d in found if d.thread_id == thread_id]

    async def document(self, client_id: int, document_id: int) -> DocumentRecord | None:
        document = self.docs.get(document_id)
        if document is None or document.file.client_id != client_id:
            return None
        return self._document(document)

    async def document_by_id(self, document_id: int) -> DocumentRecord | None:
        document = self.docs.get(document_id)
        return None if document is None else self._document(document)

    async def documents(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        found = sorted(
            (self._document(d) for d in self.docs.values() if d.file.client_id == client_id),
            key=lambda d: d.id,
            reverse=True,
        )
        return Page(found[offset : offset + limit], len(found) > offset + limit, offset)

    async def drop_documents(self, client_id: int, document_ids: Collection[int]) -> int:
        dropped = [
            d.id
            for d in self.docs.values()
            if d.id in set(document_ids)
            and d.file.client_id == client_id
            and d.message_id is None
            and d.deal_number is None
            and d.sent_on is None
            and not d.incoming
        ]
        for document_id in dropped:
            del self.docs[document_id]
        return len(dropped)

    async def archived(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        found = sorted(
            (
                self._document(d)
                for d in self.docs.values()
                if d.file.client_id == client_id and d.sent_on is not None
            ),
            key=lambda d: (d.sent_on, d.id),
            reverse=True,
        )
        return Page(found[offset : offset + limit], len(found) > offset + limit, offset)


# --- reminders and notification preferences -------------------------------------------------


class FakeReminders:
    """As the SQL twin: one reminder per key, scheduling a key again replaces it."""

    def __init__(self) -> None:
        self.rows: dict[int, Reminder] = {}
        self._next = 1

    async def schedule(self, reminder: NewReminder, *, now: datetime) -> int:
        existing = await self.of_key(reminder.key)
        reminder_id = existing.id if existing is not None else self._next
        if existing is None:
            self._next += 1
        self.rows[reminder_id] = Reminder(
            id=reminder_id,
            key=reminder.key,
            kind=reminder.kind,
            person_id=reminder.person_id,
            client_id=reminder.client_id,
            due_at=reminder.due_at,
            repeat=reminder.repeat,
            max_count=reminder.max_count,
            sent_count=0,
            details=dict(reminder.details),
        )
        return reminder_id

    async def schedule_many(
        self, reminders: Sequence[NewReminder], *, now: datetime, only_missing: bool = False
    ) -> None:
        assert len({reminder.key for reminder in reminders}) == len(reminders), "keys repeat"
        for reminder in reminders:
            if not (only_missing and await self.of_key(reminder.key)):
                await self.schedule(reminder, now=now)

    async def cancel(self, key: str) -> int:
        return self._drop(lambda r: r.key == key)

    async def cancel_prefix(self, prefix: str) -> int:
        return self._drop(lambda r: r.key.startswith(prefix))

    async def cancel_prefix_later(self, prefix: str) -> None:
        self._drop(lambda r: r.key.startswith(prefix))

    def _drop(self, gone: Callable[[Reminder], bool]) -> int:
        ids = [rid for rid, row in self.rows.items() if gone(row)]
        for rid in ids:
            del self.rows[rid]
        return len(ids)

    async def get(self, reminder_id: int) -> Reminder | None:
        return self.rows.get(reminder_id)

    async def of_key(self, key: str) -> Reminder | None:
        return next((r for r in self.rows.values() if r.key == key), None)

    async def claim_due(self, *, now: datetime, limit: int) -> list[Reminder]:
        due = sorted((r for r in self.rows.values() if r.due_at <= now), key=lambda r: r.due_at)
        return due[:limit]

    async def move(self, reminder_id: int, *, due_at: datetime, sent_count: int) -> None:
        row = self.rows[reminder_id]
        self.rows[reminder_id] = replace(row, due_at=due_at, sent_count=sent_count)

    async def delete(self, reminder_id: int) -> None:
        self.rows.pop(reminder_id, None)


class FakeNotificationPreferences:
    def __init__(self) -> None:
        self.rows: dict[int, NotificationPreferences] = {}

    async def get(self, person_id: int) -> NotificationPreferences:
        return self.rows.get(person_id, NotificationPreferences(person_id=person_id))

    async def save(self, preferences: NotificationPreferences, *, now: datetime) -> None:
        self.rows[preferences.person_id] = preferences
