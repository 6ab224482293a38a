"""«Saziņa»'s repository on SQLite and PostgreSQL: the list's order and paging, every search
condition (text in subjects and messages, with `%` and `_` taken literally; status, period,
deal, unread only), reads scoped by client, drafts sent once, unread counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from storage_support import put_deal

from portal.documents import DocumentKind
from portal.model import (
    ClientFile,
    ClientKind,
    DealData,
    DealStatus,
    MessageStatus,
    NewAttachment,
    NewClient,
    Subject,
    ThreadQuery,
)
from storage.database import Database
from storage.repositories import SqlUnitOfWork

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DEAL = DealData(
    product="Aizdevums",
    amount=Decimal(1000),
    currency="EUR",
    balance=Decimal(1000),
    start_date=date(2025, 1, 1),
    end_date=None,
    status=DealStatus.ACTIVE,
)


def new_client(number: int) -> NewClient:
    return NewClient(
        kind=ClientKind.LEGAL_ENTITY,
        name=f"SIA Klients {number}",
        registration_number=None,
        personal_code=None,
        legal_form="SIA",
        address=None,
        email="b@example.lv",
        phone="+37120000000",
        representation_rule="individually",
        representation_with_at_least=None,
        voice_password_hash="-",
        terms_version="-",
        terms_accepted_at=T0,
    )


async def test_list_search_scope_drafts_and_unread(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            own, other = (
                await uow.clients.create(new_client(1)),
                await uow.clients.create(new_client(2)),
            )
            put = await put_deal(uow.deals, own, "K-1", DEAL, now=T0)
            assert put is not None
            deal = put[0]
            ids = []
            for n, (subject, body, status) in enumerate(
                [
                    ("Rēķins 100% apmaksāts", "pirmā", MessageStatus.SENT),
                    ("Grafiks", "maksājumu_datums", MessageStatus.RECEIVED),
                    ("Akts", "melnraksts", MessageStatus.DRAFT),
                    ("Cits", "100 procenti", MessageStatus.RECEIVED),
                ]
            ):
                moment = T0 + timedelta(days=n)
                about = Subject(deal_id=deal.id) if n == 1 else Subject()
                thread = await uow.messages.start_thread(own, subject, about, now=moment)
                await uow.messages.add_message(own, thread, status=status, body=body, now=moment)
                ids.append(thread)
            theirs = await uow.messages.start_thread(other, "Svešs", Subject(), now=T0)
            await uow.messages.add_message(
                other, theirs, status=MessageStatus.RECEIVED, body="x", now=T0
            )
            file = ClientFile(own, "cd" * 32, 4096, DocumentKind.PDF, "akts.pdf")
            message = (await uow.messages.messages(own, ids[2]))[0]
            document = await uow.messages.add_document(
                own,
                NewAttachment(file=file, doc_type="acceptance", prepared_on=date(2026, 10, 1)),
                incoming=False,
                now=T0,
                message_id=message.id,
            )

        async with database.transaction() as session:
            messages = SqlUnitOfWork(session).messages

            async def found(query: ThreadQuery, offset: int = 0, limit: int = 8) -> list[int]:
                page = await messages.threads(own, query, offset=offset, limit=limit)
                return [t.id for t in page.items]

            assert await found(ThreadQuery()) == ids[::-1]  # newest first
            first = await messages.threads(own, ThreadQuery(), offset=0, limit=3)
            assert first.has_more and len(first.items) == 3
            assert await found(ThreadQuery(), offset=3, limit=3) == [ids[0]]
            assert await found(ThreadQuery(text="100%")) == [ids[0]]  # '%' is literal
            assert await found(ThreadQuery(text="_datums")) == [ids[1]]  # in a message
            assert await found(ThreadQuery(text="GRAFIKS")) == [ids[1]]
            assert await found(ThreadQuery(status=MessageStatus.DRAFT)) == [ids[2]]
            assert await found(ThreadQuery(unread_only=True)) == [ids[3], ids[1]]
            assert await found(ThreadQuery(deal_id=deal.id)) == [ids[1]]
            since = (T0 + timedelta(days=2)).date()
            assert await found(ThreadQuery(since=since)) == [ids[3], ids[2]]
            assert await found(ThreadQuery(until=T0.date())) == [ids[0]]
            summary = await messages.thread(own, ids[1])
            assert summary is not None and summary.deal_number == "K-1"
            assert await messages.thread(own, theirs) is None
            assert await messages.thread(other, theirs) is not None
            assert await messages.document(other, document.id) is None
            assert (await messages.documents_of(own, ids[2]))[0].file == file
            assert await messages.unread(own) == 2 and await messages.unread(other) == 1
            assert await messages.mark_read(other, ids[1], now=T0) == 0  # not theirs
            assert await messages.mark_read(own, ids[1], now=T0) == 1
            assert await messages.unread(own) == 1
            draft = (await messages.messages(own, ids[2]))[0]
            assert await messages.send_draft(other, draft.id, now=T0) is False
            assert await messages.send_draft(own, draft.id, now=T0) is True
            assert await messages.send_draft(own, draft.id, now=T0) is False
    finally:
        await database.dispose()
