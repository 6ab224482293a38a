"""The event feed: what happened on the client side, for ALTUM's systems to read.

Use cases publish events in their transaction; positions are given at commit, in commit order
(storage/feed.py), so a reader that resumes after the last position it handled misses nothing
and sees nothing twice. Events carry ids only: the objects are fetched through the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.model import EventType, FeedEvent
from portal.ports import UnitOfWork


async def publish(
    *,
    uow: UnitOfWork,
    type: EventType,
    now: datetime,
    client_id: int | None = None,
    **ids: Any,
) -> None:
    await uow.feed.publish(
        FeedEvent(type=str(type), occurred_at=now, client_id=client_id, data=dict(ids))
    )


async def read(*, uow: UnitOfWork, after: int, limit: int) -> list[FeedEvent]:
    """The events after position `after`, in order, at most `limit`."""
    return await uow.feed.after(max(after, 0), limit=max(1, limit))
