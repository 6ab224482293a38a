"""Repositories over one session. They never commit: the unit of work does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import Action, ActivityEvent, TelegramAccount
from storage.activity_pending import ACTIVITY, insert_activity
from storage.applications import SqlApplications
from storage.backoffice import (
    SqlApiAnswers,
    SqlApiTokens,
    SqlClientUsers,
    SqlConsultants,
    SqlDeals,
    SqlInvoices,
)
from storage.company_register import SqlCompanyRegister
from storage.feed import SqlFeed
from storage.messages import SqlMessages
from storage.models import (
    ActivityEventRow,
    ConversationState,
    OutboxMessage,
    ProcessedUpdate,
    TelegramAccountRow,
)
from storage.people import (
    SqlClients,
    SqlLoginFlows,
    SqlLoginLinks,
    SqlPersons,
    SqlRegistrations,
    SqlUsedAssertions,
)
from storage.profile import SqlPersonContacts
from storage.reminders import SqlNotificationPreferences, SqlReminders
from storage.waiting import SqlWaiting


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for whichever dialect the session speaks."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def utcnow() -> datetime:
    return datetime.now(UTC)


State = tuple[str | None, dict[str, Any]]  # a conversation's FSM state and data


class SqlTelegramAccounts:
    """Every update reads its account (for the language): Core queries, cached per unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._cache: dict[int, TelegramAccount | None] = {}

    async def get(self, telegram_user_id: int) -> TelegramAccount | None:
        if telegram_user_id not in self._cache:
            table = TelegramAccountRow.__table__
            row = (
                await self._session.execute(
                    select(*self._columns).where(table.c.telegram_user_id == telegram_user_id)
                )
            ).first()
            self._cache[telegram_user_id] = None if row is None else self._account(row)
        account = self._cache[telegram_user_id]
        return None if account is None else replace(account)

    def missing(self, telegram_user_ids: list[int]) -> list[int]:
        """Of these accounts, those not read yet in this unit of work."""
        return [i for i in dict.fromkeys(telegram_user_ids) if i not in self._cache]

    def select_many(self, telegram_user_ids: list[int]) -> Select[Any]:
        table = TelegramAccountRow.__table__
        return select(*self._columns).where(table.c.telegram_user_id.in_(telegram_user_ids))

    def remember(self, telegram_user_ids: list[int], rows: Iterable[Any]) -> None:
        """Cache what `select_many` found for these ids: an id with no row has no account."""
        self._cache.update(dict.fromkeys(telegram_user_ids))
        for row in rows:
            self._cache[row.telegram_user_id] = self._account(row)

    async def find_by_person(self, person_id: int) -> TelegramAccount | None:
        table = TelegramAccountRow.__table__
        row = (
            await self._session.execute(
                select(*self._columns).where(table.c.person_id == person_id)
            )
        ).first()
        if row is None:
            return None
        account = self._account(row)
        self._cache[account.telegram_user_id] = replace(account)
        return account

    _columns = tuple(
        TelegramAccountRow.__table__.c[name]
        for name in (
            "telegram_user_id",
            "first_name",
            "username",
            "language",
            "person_id",
            "current_client_id",
            "linked_at",
            "telegram_language",
        )
    )

    @staticmethod
    def _account(row: Any) -> TelegramAccount:
        return TelegramAccount(
            telegram_user_id=row.telegram_user_id,
            first_name=row.first_name,
            username=row.username,
            language=row.language,
            person_id=row.person_id,
            current_client_id=row.current_client_id,
            linked_at=row.linked_at,
            telegram_language=row.telegram_language,
        )

    async def save(self, account: TelegramAccount) -> None:
        values = {
            "first_name": account.first_name[:200],
            "username": account.username,
            "language": account.language,
            "person_id": account.person_id,
            "current_client_id": account.current_client_id,
            "linked_at": account.linked_at,
            "telegram_language": account.telegram_language,
        }
        statement = _insert(self._session, TelegramAccountRow).values(
            telegram_user_id=account.telegram_user_id, **values
        )
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["telegram_user_id"], set_=values)
        )
        self._cache[account.telegram_user_id] = replace(account)


class SqlActivityLog:
    """Events wait in the session until just before its COMMIT, then go in one INSERT for
    the whole transaction (storage/activity_pending.py): the back-office API writes an event
    with every change, and a batch of its requests shares one transaction (api/batch.py), so
    N events cost one statement and one round trip instead of N. A read of the log in the
    same transaction inserts them first. Inside a savepoint an event is inserted at once, so
    that rolling back to the savepoint takes it back."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: ActivityEvent) -> None:
        row = {
            "client_id": event.client_id,
            "person_id": event.person_id,
            "telegram_user_id": event.telegram_user_id,
            "action": str(event.action),
            "details": event.details,
            "occurred_at": event.occurred_at,
            "actor": event.actor,
        }
        session = self._session
        if session.in_nested_transaction():
            await self._insert([row])
        else:
            ACTIVITY.pending(session).append(row)

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        await self._session.run_sync(insert_activity, rows)

    async def _insert_pending(self) -> None:
        await ACTIVITY.flush(self._session)

    async def of_client(
        self,
        client_id: int,
        *,
        since: datetime | None,
        actions: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ActivityEvent], int]:
        await self._insert_pending()
        # Along ix_activity_events_client_time: the client's rows, newest first.
        where = [ActivityEventRow.client_id == client_id]
        if since is not None:
            where.append(ActivityEventRow.occurred_at >= since)
        if actions is not None:
            where.append(ActivityEventRow.action.in_(list(actions)))
        total = await self._session.scalar(select(func.count()).where(*where))
        rows = await self._session.scalars(
            select(ActivityEventRow)
            .where(*where)
            .order_by(ActivityEventRow.occurred_at.desc(), ActivityEventRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            ActivityEvent(
                action=Action(row.action),
                telegram_user_id=row.telegram_user_id,
                person_id=row.person_id,
                client_id=row.client_id,
                details=row.details,
                occurred_at=row.occurred_at,
                actor=row.actor,
            )
            for row in rows
        ], int(total or 0)


# Built once: the statement every update starts with (a fresh one costs a cache-key walk).
_CLAIM = {
    name: module.insert(ProcessedUpdate)
    .values(
        bot_id=bindparam("bot_id"),
        update_id=bindparam("update_id"),
        processed_at=bindparam("processed_at"),
    )
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


_CLAIM_AND_LOCK = text(
    """
    WITH claimed AS (
        INSERT INTO processed_updates (bot_id, update_id, processed_at)
        SELECT :bot_id, id, :now FROM unnest(CAST(:update_ids AS BIGINT[])) AS id
        ON CONFLICT (bot_id, update_id) DO NOTHING
        RETURNING update_id
    ), locked AS (
        SELECT count(pg_advisory_xact_lock(id)) AS taken
        FROM (SELECT unnest(CAST(:lock_ids AS BIGINT[])) AS id ORDER BY 1) AS ordered
    )
    SELECT claimed.update_id FROM locked CROSS JOIN claimed
    """
).bindparams(bindparam("now", type_=DateTime(timezone=True)))


class ProcessedUpdates:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, *, bot_id: int, update_id: int) -> bool:
        """Record the update as processed in this transaction; False if it already was.

        On PostgreSQL a concurrent claim of the same id waits for the first transaction and
        then finds the row, so two replicas never both handle one update.
        """
        connection = await self._session.connection()  # Core: the ORM would bulk-insert
        result = await connection.execute(
            _CLAIM[connection.dialect.name],
            {"bot_id": bot_id, "update_id": update_id, "processed_at": utcnow()},
        )
        return bool(result.rowcount)

    async def claim_many(
        self, *, bot_id: int, update_ids: list[int], then_lock: list[int] | None = None
    ) -> set[int]:
        """`claim` for several updates in one statement: the ids that were not yet processed.

        `then_lock`: PostgreSQL advisory lock ids (`Database.lock_ids`), taken in the same
        statement, which saves a round trip per transaction. Nothing is read in this
        statement, so its snapshot, taken before the locks, does not matter.
        """
        if not update_ids:
            return set()
        connection = await self._session.connection()
        now = utcnow()
        if then_lock:
            result = await connection.execute(
                _CLAIM_AND_LOCK,
                {"bot_id": bot_id, "update_ids": update_ids, "now": now, "lock_ids": then_lock},
            )
            return set(result.scalars())
        statement = (
            _insert(self._session, ProcessedUpdate)
            .values(
                [
                    {"bot_id": bot_id, "update_id": update_id, "processed_at": now}
                    for update_id in update_ids
                ]
            )
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
            .returning(ProcessedUpdate.update_id)
        )
        return set((await connection.execute(statement)).scalars())

    async def forget(self, *, bot_id: int, update_id: int) -> None:
        """Unmark one update, so that it is handled once more (a quarantined one, replayed)."""
        await self._session.execute(
            delete(ProcessedUpdate).where(
                ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == update_id
            )
        )

    async def forget_older_than(self, age: timedelta, *, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - age
        result = await self._session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An outbox row on its way out."""

    id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int = 0
    kind: str = "telegram"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An outbox row to add. `scrubbed` is the payload without its live secrets, which
    replaces it once the row is sent or failed; after `expires_at` it is not sent at all."""

    chat_id: int | None
    payload: dict[str, Any]
    scrubbed: dict[str, Any] | None = None
    expires_at: datetime | None = None


# Once a row is done, what it keeps: the scrubbed payload if it has one.
_DONE = {
    "payload": func.coalesce(OutboxMessage.scrubbed_payload, OutboxMessage.payload),
    "scrubbed_payload": None,
    "locked_until": None,
}


def _pending() -> list[Any]:
    return [OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)]


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, kind: str, items: list[NewMessage], lease: timedelta
    ) -> list[PendingMessage]:
        """Queue side effects in order, in one statement. The lease says: this process
        delivers them right after commit; the sweeper of any process takes them over only
        once the lease ran out."""
        if not items:
            return []
        now = utcnow()
        connection = await self._session.connection()  # Core: the ORM's bulk insert costs more
        result = await connection.execute(
            insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True),
            [
                {
                    "kind": kind,
                    "chat_id": item.chat_id,
                    "payload": item.payload,
                    "scrubbed_payload": item.scrubbed,
                    "created_at": now,
                    "expires_at": item.expires_at,
                    "locked_until": now + lease,
                    "attempts": 0,
                }
                for item in items
            ],
        )
        return [
            PendingMessage(id=row_id, chat_id=item.chat_id, payload=item.payload, kind=kind)
            for row_id, item in zip(result.scalars(), items, strict=True)
        ]

    async def claim_due(self, *, limit: int, lease: timedelta) -> list[PendingMessage]:
        """Take pending messages whose lease ran out, oldest first, and lease them to us
        (not those whose secret is dead by now: housekeeping drops them)."""
        now = utcnow()
        query = (
            select(OutboxMessage)
            .where(
                *_pending(),
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
                OutboxMessage.kind != "push",  # pushes are paced: bot/delivery/push.py
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await self._session.scalars(query))
        if rows:
            await self._session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(locked_until=now + lease)
            )
        return [
            PendingMessage(
                id=r.id, chat_id=r.chat_id, payload=r.payload, attempts=r.attempts, kind=r.kind
            )
            for r in rows
        ]

    async def mark_sent(self, ids: list[int]) -> None:
        """Sent: a secret in the payload is no longer kept (the scrubbed payload replaces it)."""
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(sent_at=utcnow(), **_DONE)
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(failed_at=utcnow(), last_error=error[:2000], **_DONE)
        )

    async def retry_later(self, message_id: int, error: str, delay: timedelta) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                attempts=OutboxMessage.attempts + 1,
                last_error=error[:2000],
                locked_until=utcnow() + delay,
            )
        )

    async def pending_count(self) -> int:
        rows = await self._session.scalars(select(OutboxMessage.id).where(and_(*_pending())))
        return len(list(rows))

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait to be sent (neither sent nor given up) and when the oldest of
        them was queued: one query along the pending index, for the operators' metrics."""
        row = (
            await self._session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
                )
            )
        ).one()
        return int(row[0]), row[1]

    async def purge_sent_older_than(self, age: timedelta, *, now: datetime | None = None) -> int:
        return await self._delete(OutboxMessage.sent_at < (now or utcnow()) - age)

    async def purge_failed_older_than(self, age: timedelta, *, now: datetime | None = None) -> int:
        return await self._delete(OutboxMessage.failed_at < (now or utcnow()) - age)

    async def purge_stale(self, *, older_than: timedelta, now: datetime | None = None) -> int:
        """Pending rows no longer worth sending: their secret is dead (`expires_at`), or they
        have waited longer than `older_than` (a chat or mail server gone for good)."""
        now = now or utcnow()
        return await self._delete(
            *_pending(),
            or_(OutboxMessage.expires_at <= now, OutboxMessage.created_at < now - older_than),
        )

    async def _delete(self, *conditions: Any) -> int:
        result = await self._session.execute(delete(OutboxMessage).where(*conditions))
        return int(result.rowcount)  # type: ignore[attr-defined]


class ConversationStates:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]]:
        table = ConversationState.__table__
        row = (
            await self._session.execute(
                select(table.c.state, table.c.data).where(table.c.key == key)
            )
        ).first()
        if row is None:
            return None, {}
        return row.state, dict(row.data or {})

    @staticmethod
    def select_many(keys: list[str]) -> Select[Any]:
        table = ConversationState.__table__
        return select(table.c.key, table.c.state, table.c.data).where(table.c.key.in_(keys))

    @staticmethod
    def found(keys: list[str], rows: Iterable[Any]) -> dict[str, State]:
        """What `select_many` found, by key; a key with no row reads as no state."""
        states: dict[str, State] = {key: (None, {}) for key in keys}
        for row in rows:
            states[row.key] = (row.state, dict(row.data or {}))
        return states

    async def save(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        values = {"state": state, "data": data, "updated_at": utcnow()}
        statement = _insert(self._session, ConversationState).values(key=key, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_=values)
        )


_ACCOUNT_COLUMNS = SqlTelegramAccounts._columns
_STATE_COLUMNS = tuple(ConversationState.__table__.c[name] for name in ("key", "state", "data"))


def _padded(
    query: Select[Any], *, before: tuple[Any, ...] = (), after: tuple[Any, ...] = ()
) -> Select[Any]:
    """`query` with typed NULLs for the other part's columns, so that two parts line up in a
    UNION ALL (and JSON and timestamps still come back as Python values)."""
    return query.with_only_columns(
        *(cast(null(), column.type).label(column.name) for column in before),
        *query.selected_columns,
        *(cast(null(), column.type).label(column.name) for column in after),
    )


class SqlUnitOfWork:
    """The portal's unit of work over one open transaction (see `Database.transaction`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._accounts = SqlTelegramAccounts(session)
        self._activity = SqlActivityLog(session)
        self.processed_updates = ProcessedUpdates(session)
        self.outbox = Outbox(session)
        self.conversations = ConversationStates(session)
        self.persons = SqlPersons(session)
        self.login_links = SqlLoginLinks(session)
        self.login_flows = SqlLoginFlows(session)
        self.used_assertions = SqlUsedAssertions(session)
        self.clients = SqlClients(session)
        self.registrations = SqlRegistrations(session)
        self.company_register = SqlCompanyRegister(session)
        self.client_users = SqlClientUsers(session)
        self.consultants = SqlConsultants(session)
        self.deals = SqlDeals(session)
        self.invoices = SqlInvoices(session)
        self.api_tokens = SqlApiTokens(session)
        self.api_answers = SqlApiAnswers(session)
        self.waiting = SqlWaiting(session)
        self.person_contacts = SqlPersonContacts(session)
        self.feed = SqlFeed(session)
        self.applications = SqlApplications(session)
        self.messages = SqlMessages(session)
        self.reminders = SqlReminders(session)
        self.notification_preferences = SqlNotificationPreferences(session)

    @property
    def accounts(self) -> SqlTelegramAccounts:
        return self._accounts

    async def preload(
        self, *, telegram_user_ids: list[int], conversation_keys: list[str]
    ) -> dict[str, State]:
        """What every update reads first, for a batch of them in one query: the people's
        accounts (then cached for `accounts.get`) and these conversations' states.

        One UNION ALL instead of two SELECTs: a round trip less for every batch, on
        PostgreSQL a link less in the chain each update waits through."""
        accounts, keys = self._accounts.missing(telegram_user_ids), conversation_keys
        queries: list[Select[Any]] = []
        if accounts:
            queries.append(_padded(self._accounts.select_many(accounts), after=_STATE_COLUMNS))
        if keys:
            queries.append(_padded(self.conversations.select_many(keys), before=_ACCOUNT_COLUMNS))
        if not queries:
            return {}
        query = queries[0] if len(queries) == 1 else union_all(*queries)
        rows = list(await self.session.execute(query))
        self._accounts.remember(accounts, (row for row in rows if row.key is None))
        return self.conversations.found(keys, (row for row in rows if row.key is not None))

    @property
    def activity(self) -> SqlActivityLog:
        return self._activity
