"""What the use cases need from the outside world; `storage/` and `integrations/` implement it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from portal.accounts import TelegramAccount
    from portal.activity import ActivityEvent


class TelegramAccounts(Protocol):
    async def get(self, telegram_user_id: int) -> TelegramAccount | None: ...

    async def save(self, account: TelegramAccount) -> None: ...


class ActivityLog(Protocol):
    async def record(self, event: ActivityEvent) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. Repositories never commit; whoever opened the unit of work does."""

    @property
    def accounts(self) -> TelegramAccounts: ...

    @property
    def activity(self) -> ActivityLog: ...
