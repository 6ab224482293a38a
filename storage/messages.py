"""«Saziņa»'s repository: threads, messages and documents, always looked up by client."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.documents import DocumentKind
from portal.model import (
    ClientFile,
    DocumentRecord,
    MessageRecord,
    MessageStatus,
    NewAttachment,
    Page,
    Subject,
    ThreadQuery,
    ThreadSummary,
)
from storage.backoffice_models import Deal
from storage.message_models import ClientDocument, MessageThread, ThreadMessage

PREVIEW = 200


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlMessages:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- threads -----------------------------------------------------------------------

    @staticmethod
    def _summary(row: MessageThread, deal_number: str | None) -> ThreadSummary:
        return ThreadSummary(
            id=row.id,
            client_id=row.client_id,
            subject=row.subject,
            status=MessageStatus(row.status),
            last_text=row.last_text,
            last_at=row.last_at,
            unread=row.unread,
            about=Subject(deal_id=row.deal_id, application_id=row.application_id),
            deal_number=deal_number,
        )

    def _select(self) -> Any:
        return select(MessageThread, Deal.number).outerjoin(Deal, Deal.id == MessageThread.deal_id)

    async def threads(
        self, client_id: int, query: ThreadQuery, *, offset: int, limit: int
    ) -> Page[ThreadSummary]:
        statement = self._select().where(MessageThread.client_id == client_id)
        if query.status is not None:
            statement = statement.where(MessageThread.status == str(query.status))
        if query.unread_only:
            statement = statement.where(MessageThread.unread > 0)
        if query.deal_id is not None:
            statement = statement.where(MessageThread.deal_id == query.deal_id)
        if query.application_id is not None:
            statement = statement.where(MessageThread.application_id == query.application_id)
        if query.since is not None:
            start = datetime.combine(query.since, time.min, tzinfo=UTC)
            statement = statement.where(MessageThread.last_at >= start)
        if query.until is not None:
            end = datetime.combine(query.until, time.max, tzinfo=UTC)
            statement = statement.where(MessageThread.last_at <= end)
        if query.text:
            pattern = _like(query.text)
            in_body = exists().where(
                ThreadMessage.thread_id == MessageThread.id,
                func.lower(ThreadMessage.body).like(pattern, escape="\\"),
            )
            statement = statement.where(
                or_(func.lower(MessageThread.subject).like(pattern, escape="\\"), in_body)
            )
        statement = (
            statement.order_by(MessageThread.last_at.desc(), MessageThread.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
        rows = list(await self._session.execute(statement))
        items = [self._summary(row[0], row[1]) for row in rows[:limit]]
        return Page(items=items, has_more=len(rows) > limit, offset=offset)

    async def thread(self, client_id: int, thread_id: int) -> ThreadSummary | None:
        row = (
            await self._session.execute(
                self._select().where(
                    MessageThread.client_id == client_id, MessageThread.id == thread_id
                )
            )
        ).first()
        return None if row is None else self._summary(row[0], row[1])

    async def start_thread(
        self, client_id: int, subject: str, about: Subject, *, now: datetime
    ) -> int:
        row = MessageThread(
            client_id=client_id,
            subject=subject,
            deal_id=about.deal_id,
            application_id=about.application_id,
            status=str(MessageStatus.DRAFT),
            last_text="",
            last_at=now,
            unread=0,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    # --- messages ----------------------------------------------------------------------

    @staticmethod
    def _message(row: ThreadMessage) -> MessageRecord:
        return MessageRecord(
            id=row.id,
            thread_id=row.thread_id,
            client_id=row.client_id,
            status=MessageStatus(row.status),
            body=row.body,
            created_at=row.created_at,
            person_id=row.person_id,
            actor=row.actor,
            read_at=row.read_at,
        )

    async def messages(self, client_id: int, thread_id: int) -> list[MessageRecord]:
        rows = await self._session.scalars(
            select(ThreadMessage)
            .where(ThreadMessage.client_id == client_id, ThreadMessage.thread_id == thread_id)
            .order_by(ThreadMessage.id)
        )
        return [self._message(row) for row in rows]

    async def message(self, client_id: int, message_id: int) -> MessageRecord | None:
        row = await self._session.scalar(
            select(ThreadMessage).where(
                ThreadMessage.client_id == client_id, ThreadMessage.id == message_id
            )
        )
        return None if row is None else self._message(row)

    async def message_by_id(self, message_id: int) -> MessageRecord | None:
        row = await self._session.get(ThreadMessage, message_id)
        return None if row is None else self._message(row)

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
        row = ThreadMessage(
            thread_id=thread_id,
            client_id=client_id,
            status=str(status),
            body=body,
            person_id=person_id,
            actor=actor,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        unread = MessageThread.unread + (1 if status is MessageStatus.RECEIVED else 0)
        await self._session.execute(
            update(MessageThread)
            .where(MessageThread.id == thread_id, MessageThread.client_id == client_id)
            .values(status=str(status), last_text=body[:PREVIEW], last_at=now, unread=unread)
        )
        return self._message(row)

    async def send_draft(self, client_id: int, message_id: int, *, now: datetime) -> bool:
        sent = await self._session.execute(
            update(ThreadMessage)
            .where(
                ThreadMessage.client_id == client_id,
                ThreadMessage.id == message_id,
                ThreadMessage.status == str(MessageStatus.DRAFT),
            )
            .values(status=str(MessageStatus.SENT), created_at=now)
            .returning(ThreadMessage.thread_id)
        )
        thread_id = sent.scalar()
        if thread_id is None:
            return False
        await self._session.execute(
            update(MessageThread)
            .where(MessageThread.id == thread_id)
            .values(status=str(MessageStatus.SENT), last_at=now)
        )
        return True

    async def mark_read(self, client_id: int, thread_id: int, *, now: datetime) -> int:
        marked = await self._session.execute(
            update(ThreadMessage)
            .where(
                ThreadMessage.client_id == client_id,
                ThreadMessage.thread_id == thread_id,
                ThreadMessage.status == str(MessageStatus.RECEIVED),
                ThreadMessage.read_at.is_(None),
            )
            .values(read_at=now)
            .returning(ThreadMessage.id)
        )
        count = len(list(marked))
        if count:
            await self._session.execute(
                update(MessageThread)
                .where(MessageThread.id == thread_id, MessageThread.client_id == client_id)
                .values(unread=0)
            )
        return count

    async def unread(self, client_id: int) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(MessageThread.unread), 0)).where(
                MessageThread.client_id == client_id, MessageThread.unread > 0
            )
        )
        return int(total or 0)

    # --- documents ---------------------------------------------------------------------

    def _documents(self) -> Any:
        return (
            select(ClientDocument, ThreadMessage.thread_id, Deal.number)
            .outerjoin(ThreadMessage, ThreadMessage.id == ClientDocument.message_id)
            .outerjoin(Deal, Deal.id == ClientDocument.deal_id)
        )

    @staticmethod
    def _document(row: ClientDocument, thread_id: int | None, deal: str | None) -> DocumentRecord:
        return DocumentRecord(
            id=row.id,
            file=ClientFile(row.client_id, row.sha256, row.size, DocumentKind(row.kind), row.name),
            doc_type=row.doc_type,
            prepared_on=row.prepared_on,
            incoming=row.incoming,
            created_at=row.created_at,
            message_id=row.message_id,
            thread_id=thread_id,
            deal_number=deal,
            sent_on=row.sent_on,
        )

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
        file = attachment.file
        row = ClientDocument(
            client_id=client_id,
            message_id=message_id,
            deal_id=deal_id,
            sha256=file.sha256,
            size=file.size,
            kind=str(file.kind),
            name=file.name[:200],
            doc_type=attachment.doc_type,
            prepared_on=attachment.prepared_on,
            incoming=incoming,
            created_at=now,
            sent_on=sent_on,
        )
        self._session.add(row)
        await self._session.flush()
        found = await self.document(client_id, row.id)
        assert found is not None
        return found

    async def documents_of(self, client_id: int, thread_id: int) -> list[DocumentRecord]:
        rows = await self._session.execute(
            self._documents()
            .where(ClientDocument.client_id == client_id, ThreadMessage.thread_id == thread_id)
            .order_by(ClientDocument.id)
        )
        return [self._document(*row) for row in rows]

    async def document(self, client_id: int, document_id: int) -> DocumentRecord | None:
        row = (
            await self._session.execute(
                self._documents().where(
                    ClientDocument.client_id == client_id, ClientDocument.id == document_id
                )
            )
        ).first()
        return None if row is None else self._document(*row)

    async def document_by_id(self, document_id: int) -> DocumentRecord | None:
        row = (
            await self._session.execute(self._documents().where(ClientDocument.id == document_id))
        ).first()
        return None if row is None else self._document(*row)

    async def documents(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        rows = list(
            await self._session.execute(
                self._documents()
                .where(ClientDocument.client_id == client_id)
                .order_by(ClientDocument.id.desc())
                .offset(offset)
                .limit(limit + 1)
            )
        )
        items = [self._document(*row) for row in rows[:limit]]
        return Page(items=items, has_more=len(rows) > limit, offset=offset)

    async def drop_documents(self, client_id: int, document_ids: Collection[int]) -> int:
        if not document_ids:
            return 0
        result = await self._session.execute(
            delete(ClientDocument)
            .where(
                ClientDocument.client_id == client_id,
                ClientDocument.id.in_(list(document_ids)),
                ClientDocument.message_id.is_(None),
                ClientDocument.deal_id.is_(None),
                ClientDocument.sent_on.is_(None),
                ClientDocument.incoming.is_(False),
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def archived(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        rows = list(
            await self._session.execute(
                self._documents()
                .where(ClientDocument.client_id == client_id, ClientDocument.sent_on.is_not(None))
                .order_by(ClientDocument.sent_on.desc(), ClientDocument.id.desc())
                .offset(offset)
                .limit(limit + 1)
            )
        )
        items = [self._document(*row) for row in rows[:limit]]
        return Page(items=items, has_more=len(rows) > limit, offset=offset)
