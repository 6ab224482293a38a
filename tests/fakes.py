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
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
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
    ClientAccess,
    ClientFile,
    LoginFlowRecord,
    NewClient,
    PendingRegistration,
    PersonRecord,
    Role,
    Staged,
    TelegramAccount,
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
    person_id: int
    client_id: int
    role: Role
    is_signatory: bool
    active: bool = True


@dataclass
class FakeClient:
    id: int
    client: NewClient
    active: bool = True


class FakeClients:
    def __init__(self) -> None:
        self.rows: dict[int, FakeClient] = {}
        self.memberships: list[FakeMembership] = []
        self._ids = itertools.count(1)

    def _access(self, membership: FakeMembership) -> ClientAccess | None:
        row = self.rows.get(membership.client_id)
        if row is None or not row.active or not membership.active:
            return None
        return ClientAccess(
            client_id=row.id,
            name=row.client.name,
            kind=row.client.kind,
            role=membership.role,
            is_signatory=membership.is_signatory,
            registration_number=row.client.registration_number,
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
        self.memberships.append(FakeMembership(person_id, client_id, Role(role), is_signatory))

    def membership(self, person_id: int, client_id: int) -> FakeMembership:
        """For tests: block one, look at one."""
        return next(
            m for m in self.memberships if (m.person_id, m.client_id) == (person_id, client_id)
        )


class FakeRegistrations:
    def __init__(self) -> None:
        self.rows: dict[int, PendingRegistration] = {}
        self._ids = itertools.count(1)

    async def add(self, registration: PendingRegistration) -> int:
        registration_id = next(self._ids)
        self.rows[registration_id] = replace(registration, id=registration_id)
        return registration_id

    def _find(self, token_hash: str, now: datetime) -> PendingRegistration | None:
        found = (r for r in self.rows.values() if r.token_hash == token_hash and r.expires_at > now)
        return next(found, None)

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        return self._find(token_hash, now)

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        pending = self._find(token_hash, now)
        if pending is not None and pending.id is not None:
            del self.rows[pending.id]
        return pending

    async def purge(self, *, now: datetime) -> int:
        expired = [key for key, row in self.rows.items() if row.expires_at <= now]
        for key in expired:
            del self.rows[key]
        return len(expired)


class FakeCompanyRegister:
    def __init__(self, *entries: RegisterEntry) -> None:
        self.entries = {entry.regcode: entry for entry in entries}

    async def find(self, regcode: str) -> RegisterEntry | None:
        return self.entries.get(regcode)


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
        self.clients = FakeClients()
        self.registrations = FakeRegistrations()
        self.company_register = FakeCompanyRegister(*register)
        self.committed = False

    async def commit(self) -> None:
        self.committed = True


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


# --- mypy: each fake is what its port asks for ---------------------------------------------


def _conforms(
    uow: FakeUnitOfWork,
    provider: FakeIdentityProvider,
    source: BytesSource,
    store: FakeFileStore,
    inspector: FakeInspector,
    binder: FakePhotoBinder,
) -> tuple[Any, ...]:
    checked: tuple[
        ports.UnitOfWork,
        ports.IdentityProvider,
        ports.ByteSource,
        ports.FileStore,
        ports.DocumentInspector,
        ports.PhotoBinder,
    ] = (uow, provider, source, store, inspector, binder)
    return checked
