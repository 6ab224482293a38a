"""What the use cases need from the outside world; `storage/` and `integrations/` implement it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from portal.accounts import TelegramAccount
    from portal.activity import ActivityEvent
    from portal.clients import ClientAccess, NewClient
    from portal.company_register import CompanyRegister
    from portal.identity import NaturalPerson
    from portal.linking import LoginFlowRecord, PersonRecord
    from portal.registration import PendingRegistration


class TelegramAccounts(Protocol):
    async def get(self, telegram_user_id: int) -> TelegramAccount | None: ...

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
        """Raises `portal.clients.AlreadyRegistered` when the number is taken."""

    async def add_membership(
        self, *, person_id: int, client_id: int, role: str, is_signatory: bool
    ) -> None: ...


class Registrations(Protocol):
    async def add(self, registration: PendingRegistration) -> int: ...

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        """Delete and return an unexpired registration: a link confirms once."""

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None: ...

    async def purge(self, *, now: datetime) -> int: ...


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
