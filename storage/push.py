"""The push sender's claim: outbox rows of kind "push" handed out as send times that keep a
global rate and one message a second per chat, for every process on the database together.

All processes take their slots under the lock of `push_pace`'s one row, so two never get the
same slot; a claimed row is leased to its process until a while after its slot, so a process
killed before sending leaves it to the next claim once the lease has run out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.reminder_models import PushChat, PushPace
from storage.repositories import PendingMessage

PUSH = "push"


@dataclass(frozen=True, slots=True)
class Pace:
    rate: float  # pushes a second, all processes together
    per_chat: timedelta = timedelta(seconds=1)
    horizon: timedelta = timedelta(milliseconds=500)  # how far ahead one claim takes slots
    lease: timedelta = timedelta(seconds=30)  # after its slot: then another process may send
    # How late after its slot a push may still go; a later one is put back for a new slot.
    # Slots are spaced by that much more, so that no second (nor any chat's) gets one more
    # than allowed even when pushes go late within it.
    punctuality: timedelta = timedelta(milliseconds=40)

    @property
    def step(self) -> timedelta:
        return (timedelta(seconds=1) + self.punctuality) / self.rate

    @property
    def chat_gap(self) -> timedelta:
        return self.per_chat + self.punctuality


@dataclass(frozen=True, slots=True)
class Slot:
    at: datetime
    message: PendingMessage


class PushQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def claim(self, *, now: datetime, pace: Pace, limit: int = 200) -> list[Slot]:
        """Slots within `pace.horizon` from now for the oldest waiting pushes, one chat's in
        its order and none of a chat sooner than `per_chat` after its previous one."""
        lock = select(PushPace.next_at).where(PushPace.id == 1)
        if self._postgres:
            lock = lock.with_for_update()
        next_at = (await self._session.execute(lock)).scalar_one()
        start = max(next_at, now)
        end = now + pace.horizon
        if start >= end:
            return []
        step = pace.step
        wanted = min(limit, int((end - start) / step) + 1)
        # The oldest waiting pushes, ids and chats only: far more than the slots, since a
        # chat's later pushes and the chats not ready yet are passed over.
        waiting = (
            await self._session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id)
                .where(
                    OutboxMessage.kind == PUSH,
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
                )
                .order_by(OutboxMessage.id)
                .limit(max(500, wanted * 10))
            )
        ).all()
        if not waiting:
            return []
        chats = {chat for _, chat in waiting if chat is not None}
        found = await self._session.execute(
            select(PushChat.chat_id, PushChat.next_at).where(PushChat.chat_id.in_(chats))
        )
        ready: dict[int | None, datetime] = {row[0]: row[1] for row in found}
        busy = set(
            await self._session.scalars(  # a chat with a push in flight waits for it
                select(OutboxMessage.chat_id).where(
                    OutboxMessage.kind == PUSH,
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                    OutboxMessage.locked_until >= now,
                    OutboxMessage.chat_id.in_(chats),
                )
            )
        )
        first: dict[int | None, int] = {}
        for row_id, chat in waiting:  # only a chat's oldest waiting push: its order is kept
            if chat not in busy:
                first.setdefault(chat, row_id)
        # Longest waiting chat first: one never pushed to (or not for a while) before one
        # that just had its push, so that every chat's backlog drains at the same pace.
        never = datetime.min.replace(tzinfo=start.tzinfo)
        candidates = sorted(first.items(), key=lambda item: (ready.get(item[0], never), item[1]))
        chosen: list[tuple[datetime, int]] = []
        at = start
        for chat, row_id in candidates:
            if len(chosen) >= wanted:
                break
            send_at = max(at, ready.get(chat, at))
            if send_at >= end:
                continue
            at = send_at + step
            chosen.append((send_at, row_id))
        if not chosen:
            return []
        ids = [row_id for _, row_id in chosen]
        rows = {
            row.id: row
            for row in await self._session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids))
            )
        }
        slots = [Slot(send_at, _pending(rows[row_id])) for send_at, row_id in chosen]
        await self._session.execute(update(PushPace).where(PushPace.id == 1).values(next_at=at))
        await self._session.execute(  # until a lease after the last of them
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(locked_until=chosen[-1][0] + pace.lease)
        )
        values = [
            {"chat_id": s.message.chat_id, "next_at": s.at + pace.chat_gap}
            for s in slots
            if s.message.chat_id is not None
        ]
        if values:
            insert = postgresql.insert if self._postgres else sqlite.insert
            statement = insert(PushChat).values(values)
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=[PushChat.chat_id],
                    set_={"next_at": statement.excluded.next_at},
                )
            )
        return slots

    async def pause(self, *, until: datetime) -> None:
        """Telegram said 429: no process sends a push before `until`."""
        await self._session.execute(
            update(PushPace).where(PushPace.id == 1, PushPace.next_at < until).values(next_at=until)
        )

    async def release(self, ids: list[int], *, at: datetime) -> None:
        """Claimed but not sent (a pause came first): claimable again from `at`."""
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(locked_until=at)
        )

    async def waiting(self, *, now: datetime) -> bool:
        """Whether any push could be claimed now (a read, without the pace's lock)."""
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.kind == PUSH,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .limit(1)
        )
        return (await self._session.scalar(query)) is not None

    async def forget_chats(self, *, before: datetime) -> int:
        result = await self._session.execute(delete(PushChat).where(PushChat.next_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]


def _pending(row: OutboxMessage) -> PendingMessage:
    return PendingMessage(
        id=row.id, chat_id=row.chat_id, payload=row.payload, attempts=row.attempts, kind=row.kind
    )
