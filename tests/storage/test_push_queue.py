"""The push queue's claim on both databases, with the clock in the test's hands: slots
spaced for the rate, one push a chat in a second, a chat's order, the longest-waiting chat
first, a pause after a 429; and pushes kept apart from replies in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.delivery.outbox import PUSH, TELEGRAM, OutboxSender
from bot.delivery.payloads import to_payload
from bot.delivery.telegram import create_bot
from dialogs.outgoing import Outgoing
from storage.database import Database
from storage.models import OutboxMessage
from storage.push import Pace, PushQueue
from storage.repositories import NewMessage, Outbox

T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
PACE = Pace(rate=10, horizon=timedelta(seconds=1), lease=timedelta(seconds=30))


async def add_pushes(database: Database, chats: list[int]) -> None:
    items = [
        NewMessage(chat, to_payload(SendMessage(chat_id=chat, text=f"{chat}/{n}")))
        for n, chat in enumerate(chats)
    ]
    async with database.transaction() as session:
        await Outbox(session).add(kind=PUSH, items=items, lease=timedelta(0))


async def claim(database: Database, now: datetime) -> list[tuple[float, int | None, str]]:
    async with database.transaction() as session:
        slots = await PushQueue(session).claim(now=now, pace=PACE)
    return [
        ((s.at - T0).total_seconds(), s.message.chat_id, s.message.payload["params"]["text"])
        for s in slots
    ]


async def sent(database: Database, texts: list[str]) -> None:
    async with database.transaction() as session:
        outbox = Outbox(session)
        rows = await session.scalars(select(OutboxMessage))
        ids = [row.id for row in rows if row.payload["params"]["text"] in texts]
        await outbox.mark_sent(ids)


async def test_slots_keep_the_rate_a_chat_a_second_and_its_order(database_url: str) -> None:
    database = Database(database_url)
    try:
        await add_pushes(database, [1, 1, 2, 3, 1, 4])
        first = await claim(database, T0)
        step = 1.04 / 10
        # One a chat (chat 1's oldest only), in the order queued, spaced for 10 a second.
        assert [(round(at / step), chat, text) for at, chat, text in first] == [
            (0, 1, "1/0"),
            (1, 2, "2/2"),
            (2, 3, "3/3"),
            (3, 4, "4/5"),
        ]
        # The slots are taken: another process claiming now gets none of them.
        assert await claim(database, T0) == []
        # Chat 1's next push waits while its first is in flight, then a second after it.
        await sent(database, ["1/0", "2/2", "3/3", "4/5"])
        later = await claim(database, T0 + timedelta(seconds=0.5))
        assert [(chat, text) for _, chat, text in later] == [(1, "1/1")]
        assert later[0][0] >= 1.04
    finally:
        await database.dispose()


async def test_a_chat_never_pushed_to_goes_before_one_just_served(database_url: str) -> None:
    database = Database(database_url)
    try:
        await add_pushes(database, [1])
        await claim(database, T0)
        await sent(database, ["1/0"])
        await add_pushes(database, [1, 2])  # chat 1's second push was queued first
        again = await claim(database, T0 + timedelta(seconds=2))
        assert [chat for _, chat, _ in again] == [2, 1]
    finally:
        await database.dispose()


async def test_a_pause_holds_every_claim_and_a_release_gives_the_push_back(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await add_pushes(database, [1, 2])
        assert len(await claim(database, T0)) == 2
        async with database.transaction() as session:
            queue = PushQueue(session)
            await queue.pause(until=T0 + timedelta(seconds=5))
            ids = list(await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
            await queue.release(ids[:1], at=T0 + timedelta(seconds=5))
        assert await claim(database, T0 + timedelta(seconds=3)) == []
        resumed = await claim(database, T0 + timedelta(seconds=5.1))
        assert [chat for _, chat, _ in resumed] == [1]  # chat 2's is still leased
        assert resumed[0][0] >= 5.0
    finally:
        await database.dispose()


async def test_pushes_and_replies_keep_the_callers_order_and_their_ways(database_url: str) -> None:
    database = Database(database_url)
    bot = create_bot("123:token", "http://127.0.0.1:9")
    try:
        sender = OutboxSender(database, bot, lease=timedelta(seconds=60))
        outgoing = Outgoing(chat_id=5)
        outgoing.send("reply")
        outgoing.push_to(6, "push")
        outgoing.send("another reply")
        async with database.transaction() as session:
            rows = await sender.queue(Outbox(session), outgoing.queued)
        assert [(row.kind, row.payload["params"]["text"]) for row in rows] == [
            (TELEGRAM, "reply"),
            (PUSH, "push"),
            (TELEGRAM, "another reply"),
        ]
        # The sweeper takes over replies whose lease ran out, never a push (whose lease is
        # over at once: it is anyone's to claim, but only at the push sender's pace).
        async with database.transaction() as session:
            taken = await Outbox(session).claim_due(limit=10, lease=timedelta(seconds=1))
        assert taken == []
    finally:
        await database.dispose()
        await bot.session.close()
