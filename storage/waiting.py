"""What waits for a person (portal.ports.WaitingWork): the counts of the main menu's header
that one query each can give. Signatures need the Company Register's rule and are counted by
`portal.applications.awaiting_signature`. The header is read on every menu, so each count
runs along an index: drafts on (client, status, id), unread on (client, last message)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import ApplicationStatus, Waiting
from storage.application_models import Application
from storage.message_models import MessageThread


class SqlWaiting:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_person(self, *, person_id: int, client_id: int) -> Waiting:
        drafts = (
            select(func.count())
            .select_from(Application)
            .where(
                Application.client_id == client_id,
                Application.status == ApplicationStatus.DRAFT.value,
                Application.prepared_by == person_id,
                # Something typed: a form opened and left untouched is no work waiting.
                Application.revision > 0,
            )
            .scalar_subquery()
        )
        unread = (
            select(func.coalesce(func.sum(MessageThread.unread), 0))
            .where(MessageThread.client_id == client_id, MessageThread.unread > 0)
            .scalar_subquery()
        )
        row = (await self._session.execute(select(drafts, unread))).one()
        return Waiting(drafts=int(row[0]), unread=int(row[1]))
