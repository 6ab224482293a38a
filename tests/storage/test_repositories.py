from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from storage_support import sent_statements

from portal.accounts import choose_language
from portal.languages import UnsupportedLanguage
from portal.model import TelegramAccount
from storage.database import Database
from storage.repositories import NewMessage, SqlUnitOfWork


async def test_an_update_is_claimed_once(database: Database) -> None:
    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=500)
    async with database.transaction() as session:
        assert not await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=500)
        # Another bot's update with the same id is another update.
        assert await SqlUnitOfWork(session).processed_updates.claim(bot_id=2, update_id=500)


async def test_a_rolled_back_claim_leaves_the_update_unprocessed(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=7)
            raise RuntimeError("handler failed")
    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=7)


async def test_language_choice_is_stored_and_audited(database: Database) -> None:
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        await choose_language(
            uow=uow, telegram_user_id=42, first_name="Anna", username=None, language="en"
        )
        with pytest.raises(UnsupportedLanguage):
            await choose_language(
                uow=uow, telegram_user_id=42, first_name="Anna", username=None, language="xx"
            )
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        assert await uow.accounts.get(42) == TelegramAccount(
            telegram_user_id=42, first_name="Anna", language="en"
        )
        from sqlalchemy import select

        from storage.models import ActivityEventRow

        actions = list(await session.scalars(select(ActivityEventRow.action)))
    assert actions == ["account.created", "account.language_changed"]


async def test_conversation_state_round_trip(database: Database) -> None:
    async with database.transaction() as session:
        states = SqlUnitOfWork(session).conversations
        await states.save("k", "LanguageDialog:choosing", {"draft": "ā"})
    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).conversations.get("k") == (
            "LanguageDialog:choosing",
            {"draft": "ā"},
        )


async def test_accounts_and_states_are_preloaded_in_one_statement(database: Database) -> None:
    linked = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        await uow.accounts.save(TelegramAccount(1, "Anna", language="lv", linked_at=linked))
        await uow.accounts.save(TelegramAccount(2, "Jānis", telegram_language="en"))
        await uow.conversations.save("a", "Registration:email", {"draft": {"ā": [1, 2]}})
        await uow.conversations.save("b", None, {})
    with sent_statements(database) as statements:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            states = await uow.preload(telegram_user_ids=[1, 2, 3], conversation_keys=["a", "c"])
            assert len(statements) == 1
            assert states == {
                "a": ("Registration:email", {"draft": {"ā": [1, 2]}}),
                "c": (None, {}),
            }
            anna, janis, nobody = [await uow.accounts.get(i) for i in (1, 2, 3)]
            assert len(statements) == 1  # all three from the preload
            assert anna == TelegramAccount(1, "Anna", language="lv", linked_at=linked)
            assert janis == TelegramAccount(2, "Jānis", telegram_language="en")
            assert nobody is None
            # Either part alone, and nothing at all.
            assert await uow.preload(telegram_user_ids=[1], conversation_keys=["b"]) == {
                "b": (None, {})
            }
            assert await uow.preload(telegram_user_ids=[], conversation_keys=[]) == {}
            assert len(statements) == 2  # account 1 was cached: only the state was read


async def test_the_sweeper_takes_only_messages_whose_lease_ran_out(database: Database) -> None:
    async with database.transaction() as session:
        outbox = SqlUnitOfWork(session).outbox
        await outbox.add(  # fresh: leased to its writer for a minute
            kind="telegram", items=[NewMessage(1, {"n": 1})], lease=timedelta(seconds=60)
        )
        [abandoned] = await outbox.add(
            kind="telegram", items=[NewMessage(1, {"n": 2})], lease=timedelta(seconds=-1)
        )
    async with database.transaction() as session:
        due = await SqlUnitOfWork(session).outbox.claim_due(limit=10, lease=timedelta(seconds=60))
    assert [row.id for row in due] == [abandoned.id]
    async with database.transaction() as session:
        again = await SqlUnitOfWork(session).outbox.claim_due(limit=10, lease=timedelta(seconds=60))
    assert again == []  # leased to the first sweeper now


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_concurrent_claims_of_one_update_let_exactly_one_through(
    database_url: str,
) -> None:
    """Two replicas receiving the same update: the second waits for the first and skips."""
    first, second = Database(database_url), Database(database_url)
    try:
        results: list[bool] = []

        async def claim(database: Database, hold: float) -> None:
            async with database.transaction() as session:
                results.append(
                    await SqlUnitOfWork(session).processed_updates.claim(bot_id=1, update_id=99)
                )
                await asyncio.sleep(hold)

        await asyncio.gather(claim(first, 0.3), claim(second, 0))
        assert sorted(results) == [False, True]
    finally:
        await first.dispose()
        await second.dispose()


async def test_reminders_cancelled_later_go_before_their_next_use_or_the_commit(
    database: Database,
) -> None:
    from portal.model import NewReminder, ReminderKind
    from storage.models import Person

    now = datetime(2027, 3, 1, 9, tzinfo=UTC)

    def reminder(key: str, person_id: int) -> NewReminder:
        return NewReminder(
            key=key,
            kind=ReminderKind.INVOICE_DUE,
            person_id=person_id,
            client_id=None,
            due_at=now,
            max_count=1,
            details={},
        )

    async with database.transaction() as session:
        person = Person(personal_code="12058410000", given_name="Anna", family_name="Bērziņa")
        session.add(person)
        await session.flush()
        reminders = SqlUnitOfWork(session).reminders
        for key in ("inv:1:A_1:due", "inv:1:A_1:late", "inv:1:AB1:due", "inv:2:B:due", "x:1"):
            await reminders.schedule(reminder(key, person.id), now=now)
        person_id = person.id
    async with database.transaction() as session:
        reminders = SqlUnitOfWork(session).reminders
        await reminders.cancel_prefix_later("inv:1:A_1:")  # "_" is no wildcard
        await reminders.cancel_prefix_later("inv:2:")
        # The next use sees them gone; a reminder scheduled again after them stays.
        assert await reminders.of_key("inv:1:A_1:due") is None
        await reminders.schedule(reminder("inv:2:B:due", person_id), now=now)
        await reminders.cancel_prefix_later("x:")  # left to the COMMIT
    async with database.transaction() as session:
        reminders = SqlUnitOfWork(session).reminders
        left = {
            key
            for key in ("inv:1:A_1:due", "inv:1:A_1:late", "inv:1:AB1:due", "inv:2:B:due", "x:1")
            if await reminders.of_key(key) is not None
        }
        assert left == {"inv:1:AB1:due", "inv:2:B:due"}
    with pytest.raises(RuntimeError):  # rolled back: what it left to cancel is forgotten
        async with database.transaction() as session:
            await SqlUnitOfWork(session).reminders.cancel_prefix_later("inv:")
            raise RuntimeError("handler failed")
    async with database.transaction() as session:
        assert await SqlUnitOfWork(session).reminders.of_key("inv:2:B:due") is not None


async def test_reminders_scheduled_anew_are_spared_by_their_pending_cancellation(
    database: Database,
) -> None:
    """An invoice cancelled and scheduled anew (every user, both kinds) costs no statement of its
    own: its pending cancellation spares the keys scheduled after it and takes the rest at
    COMMIT, with the batch's others, and the schedules left go in one INSERT after it. A key
    scheduled again gets the new time and details, its count starts over; one cancelled again
    after that goes after all."""
    from portal.model import NewReminder, ReminderKind
    from storage.models import Person

    now = datetime(2027, 3, 1, 9, tzinfo=UTC)

    def reminder(key: str, person_id: int, hours: int) -> NewReminder:
        return NewReminder(
            key=key,
            kind=ReminderKind.INVOICE_OVERDUE,
            person_id=person_id,
            client_id=None,
            due_at=now + timedelta(hours=hours),
            max_count=1,
            details={"invoice": f"R-{hours}", "amount": "1,50 €"},
        )

    async with database.transaction() as session:
        people = [
            Person(personal_code=code, given_name="Anna", family_name="Bērziņa")
            for code in ("12058410000", "12058410001")
        ]
        session.add_all(people)
        await session.flush()
        anna, janis = (person.id for person in people)
        reminders = SqlUnitOfWork(session).reminders
        await reminders.schedule(reminder("inv:1:due:a", anna, 1), now=now)
        await reminders.schedule(reminder("inv:1:stale:a", anna, 1), now=now)
        first = await reminders.of_key("inv:1:due:a")
        assert first is not None
        await reminders.move(first.id, due_at=now, sent_count=1)
    with sent_statements(database) as statements:
        async with database.transaction() as session:
            reminders = SqlUnitOfWork(session).reminders
            before = len(statements)
            await reminders.cancel_prefix_later("inv:1:")
            await reminders.cancel_prefix_later("inv:2:")
            await reminders.schedule_many(
                [reminder("inv:1:due:a", anna, 5), reminder("inv:1:due:j", janis, 6)], now=now
            )
            await reminders.schedule_many([reminder("inv:2:due:a", anna, 7)], now=now)
            await reminders.cancel_prefix_later("inv:2:")  # written again, now paid
            await reminders.schedule_many([], now=now)
            assert statements[before:] == []  # all of it waits for the COMMIT
        # At COMMIT: the cancellations together, then the schedules that are left together
        # (one statement of both rows, not one execution a row).
        assert [s.split()[0] for s in statements[before:]] == ["DELETE", "INSERT"]
        assert statements[before + 1].split(" ON CONFLICT")[0].count("), (") == 1
    async with database.transaction() as session:
        reminders = SqlUnitOfWork(session).reminders
        again, new = await reminders.of_key("inv:1:due:a"), await reminders.of_key("inv:1:due:j")
        assert await reminders.of_key("inv:1:stale:a") is None
        assert await reminders.of_key("inv:2:due:a") is None
    assert again is not None and new is not None
    assert (again.id, again.due_at, again.sent_count) == (first.id, now + timedelta(hours=5), 0)
    assert again.details == {"invoice": "R-5", "amount": "1,50 €"}
    assert (new.person_id, new.due_at, new.kind) == (
        janis,
        now + timedelta(hours=6),
        ReminderKind.INVOICE_OVERDUE,
    )


async def test_activity_waits_for_the_commit_and_goes_with_a_client_deleted_after_it(
    database: Database,
) -> None:
    """Events wait in the session and go in one INSERT at COMMIT; a read of the log sees them
    before; a client deleted later in the same transaction (another request of an API batch)
    takes its events with it, as when they were inserted at once, instead of failing the
    COMMIT on the foreign key."""
    from sqlalchemy import func, select

    from portal.model import Action, ActivityEvent
    from storage.models import ActivityEventRow, Client

    now = datetime(2027, 3, 1, 9, tzinfo=UTC)

    def event(client_id: int, actor: str) -> ActivityEvent:
        return ActivityEvent(
            action=Action.DEAL_UPDATED, client_id=client_id, actor=actor, occurred_at=now
        )

    async def count(session: Any, actor: str) -> int:
        query = select(func.count()).select_from(ActivityEventRow)
        return int(await session.scalar(query.where(ActivityEventRow.actor == actor)) or 0)

    async with database.transaction() as session:
        kept, gone = (Client(kind="legal_entity", name=name) for name in ("SIA Kept", "SIA Gone"))
        session.add_all([kept, gone])
        await session.flush()
        uow = SqlUnitOfWork(session)
        for actor in ("api:a", "api:a", "api:b"):
            await uow.activity.record(event(kept.id, actor))
        await uow.activity.record(event(gone.id, "api:gone"))
        assert await count(session, "api:a") == 0  # waiting for the COMMIT
        events, total = await uow.activity.of_client(
            kept.id, since=None, actions=None, offset=0, limit=10
        )
        assert total == 3 and [e.actor for e in events].count("api:a") == 2
        await uow.activity.record(event(gone.id, "api:gone"))
        await uow.clients.delete(gone.id)
    async with database.transaction() as session:
        assert [await count(session, a) for a in ("api:a", "api:b", "api:gone")] == [2, 1, 0]


async def test_reminders_waiting_for_the_commit_go_with_a_client_deleted_after_them(
    database: Database,
) -> None:
    """A batch of API requests may schedule an invoice's reminders and then reject the
    client's registration: the reminders are written before the client is deleted, and go
    with it, as they would have without the wait; a read sees the waiting ones."""
    from sqlalchemy import func, select

    from portal.model import NewReminder, ReminderKind
    from storage.models import Client, Person
    from storage.reminder_models import ReminderRow

    now = datetime(2027, 3, 1, 9, tzinfo=UTC)

    def reminder(key: str, person_id: int, client_id: int) -> NewReminder:
        return NewReminder(
            key=key,
            kind=ReminderKind.INVOICE_DUE,
            person_id=person_id,
            client_id=client_id,
            due_at=now,
            max_count=1,
            details={},
        )

    async with database.transaction() as session:
        person = Person(personal_code="12058410000", given_name="Anna", family_name="Bērziņa")
        kept, gone = (Client(kind="legal_entity", name=name) for name in ("SIA Kept", "SIA Gone"))
        session.add_all([person, kept, gone])
        await session.flush()
        reminders = SqlUnitOfWork(session).reminders
        await reminders.cancel_prefix_later("inv:")
        await reminders.schedule_many(
            [reminder("inv:kept", person.id, kept.id), reminder("inv:gone", person.id, gone.id)],
            now=now,
        )
        assert await session.scalar(select(func.count()).select_from(ReminderRow)) == 0
        assert await reminders.of_key("inv:kept") is not None  # a read writes them first
        await reminders.schedule_many([reminder("inv:gone2", person.id, gone.id)], now=now)
        await SqlUnitOfWork(session).clients.delete(gone.id)
    async with database.transaction() as session:
        keys = set(await session.scalars(select(ReminderRow.key)))
    assert keys == {"inv:kept"}
