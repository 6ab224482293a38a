"""What waits for a person (portal.ports.WaitingWork): the extension point of the main menu's
header. Nothing can wait yet: applications (drafts, signatures) and messages (unread) are
still to come; the sections that bring them replace these zeros with their counts, each one
query along an index on (client, person), since the header is read on every menu."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import Waiting


class SqlWaiting:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_person(self, *, person_id: int, client_id: int) -> Waiting:
        return Waiting()
