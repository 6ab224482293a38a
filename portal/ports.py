"""Every port: what the use cases need from the outside world, as Protocols.

`storage/` implements the unit of work with its repositories (the Company Register's last
import among them), `integrations/identity/` the identity providers, `integrations/files/`
the file store, inspector and binder; `tests/fakes.py` implements all of them in memory.
Ports import only records (`portal.model`) and rules, never a use case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from portal.company_register import RegisterEntry
from portal.documents import DocumentRules, Inspection, Refusal
from portal.identity import FlowStart, NaturalPerson, ProviderIdentity
from portal.model import (
    ActivityEvent,
    ClientAccess,
    ClientFile,
    LoginFlowRecord,
    NewClient,
    PendingRegistration,
    PersonRecord,
    Staged,
    TelegramAccount,
)

# --- the unit of work and its repositories -------------------------------------------------


class TelegramAccounts(Protocol):
    async def get(self, telegram_user_id: int) -> TelegramAccount | None:
        """A copy: changes count only once `save`d."""

    async def save(self, account: TelegramAccount) -> None: ...

    async def find_by_person(self, person_id: int) -> TelegramAccount | None: ...


class ActivityLog(Protocol):
    async def record(self, event: ActivityEvent) -> None: ...


class Persons(Protocol):
    async def get(self, person_id: int) -> PersonRecord | None: ...

    async def find_by_code(self, personal_code: str) -> PersonRecord | None:
        """By the current code or an earlier one."""

    async def save(self, person: NaturalPerson, *, person_id: int | None) -> int:
        """Insert or update; the current code and the earlier ones; returns the id."""


class LoginLinks(Protocol):
    async def add(
        self, *, token_hash: str, telegram_user_id: int, created_at: datetime, expires_at: datetime
    ) -> None: ...

    async def peek(self, token_hash: str, *, now: datetime) -> int | None:
        """The Telegram user a valid, unused link belongs to."""

    async def consume(self, token_hash: str, *, telegram_user_id: int, now: datetime) -> bool:
        """Mark a valid link of this user used, atomically: of two concurrent calls one wins.
        Another user's link is left as it was."""

    async def revoke_unused(self, telegram_user_id: int, *, now: datetime) -> None: ...

    async def purge(self, *, now: datetime) -> int: ...


class LoginFlows(Protocol):
    async def add(self, flow: LoginFlowRecord) -> None: ...

    async def consume(self, session_hash: str, *, now: datetime) -> LoginFlowRecord | None: ...

    async def purge(self, *, now: datetime) -> int: ...


class UsedAssertions(Protocol):
    async def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember the key; False if it was seen before (a replay)."""


class Clients(Protocol):
    async def accessible(self, person_id: int) -> list[ClientAccess]:
        """Active memberships at active clients, by client name."""

    async def access(self, person_id: int, client_id: int) -> ClientAccess | None: ...

    async def exists(
        self, *, registration_number: str | None = None, personal_code: str | None = None
    ) -> bool: ...

    async def create(self, client: NewClient) -> int:
        """Raises `portal.model.AlreadyRegistered` when the number is taken."""

    async def add_membership(
        self, *, person_id: int, client_id: int, role: str, is_signatory: bool
    ) -> None: ...


class Registrations(Protocol):
    async def add(self, registration: PendingRegistration) -> int: ...

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        """Delete and return an unexpired registration: a link confirms once."""

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None: ...

    async def purge(self, *, now: datetime) -> int: ...


class CompanyRegister(Protocol):
    """The last imported copy of the Company Register."""

    async def find(self, regcode: str) -> RegisterEntry | None: ...


class UnitOfWork(Protocol):
    """One transaction. Repositories never commit; whoever opened the unit of work does."""

    @property
    def accounts(self) -> TelegramAccounts: ...

    @property
    def activity(self) -> ActivityLog: ...

    @property
    def persons(self) -> Persons: ...

    @property
    def login_links(self) -> LoginLinks: ...

    @property
    def login_flows(self) -> LoginFlows: ...

    @property
    def used_assertions(self) -> UsedAssertions: ...

    @property
    def clients(self) -> Clients: ...

    @property
    def registrations(self) -> Registrations: ...

    @property
    def company_register(self) -> CompanyRegister: ...


# --- identity providers --------------------------------------------------------------------


class IdentityProvider(Protocol):
    """One browser round trip: `start` sends the person away, `finish` reads the callback.

    `callback_url` is where the provider sends the browser back to. `params` are the
    callback's query and form parameters together. `finish` checks everything it can
    (state, nonce, signature, issuer, audience, validity) and raises
    `portal.identity.IdentityError`.
    """

    name: str

    async def start(self, *, callback_url: str) -> FlowStart: ...

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity: ...


# --- files ---------------------------------------------------------------------------------


class ByteSource(Protocol):
    """Where the bytes come from; aiohttp's `StreamReader` (`response.content`) is one."""

    async def read(self, n: int = -1, /) -> bytes:
        """Up to `n` bytes; b"" at the end."""


class FileStore(Protocol):
    async def stage(self, source: ByteSource, *, max_bytes: int) -> Staged | None:
        """Copy the source to a temporary file, reading at most `max_bytes` + 1 bytes; None
        (and nothing left behind) when there were more than `max_bytes`."""

    async def commit(self, staged: Staged) -> None:
        """Durably keep the staged file under its hash (once per content); it is gone from
        staging afterwards."""

    async def discard(self, staged: Staged) -> None:
        """Delete a staged file that was not committed; nothing happens if it was."""

    def path(self, file: ClientFile) -> Path:
        """Where a stored file is, for sending it on (Telegram's `sendDocument`)."""

    def chunks(self, file: ClientFile) -> AsyncIterator[bytes]:
        """A stored file's bytes, checked against its hash at the end."""


class DocumentInspector(Protocol):
    async def inspect(
        self, path: Path, *, declared_name: str | None, rules: DocumentRules
    ) -> Inspection | Refusal: ...


class PhotoBinder(Protocol):
    async def bind(self, pages: Sequence[Path], *, rules: DocumentRules) -> bytes | Refusal:
        """One PDF with a page per picture, in order."""

    async def page_count(self, path: Path) -> int: ...
