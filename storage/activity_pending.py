"""The activity log's events of a transaction wait in its session and go in one multi-row
INSERT just before its COMMIT (`SqlActivityLog` in storage/repositories.py puts them here).

Whatever would make an event's row invalid once they wait must insert them first: a read of
the log (`SqlActivityLog.of_client`) and the deletion of a client (`SqlClients.delete`), whose
events the database would otherwise find naming a client that no longer exists; inserted
first, they go with it (ON DELETE CASCADE) as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from storage.models import ActivityEventRow

ACTIVITY_PENDING = "activity_pending"  # session.info: events waiting for the COMMIT

_TABLE: Any = ActivityEventRow.__table__
# RETURNING makes SQLAlchemy send N rows as one multi-row INSERT ("insertmanyvalues") rather
# than N executions of a one-row one (asyncpg's executemany: one statement each).
_RECORD = insert(_TABLE).returning(_TABLE.c.id)


def insert_activity(session: Session, rows: list[dict[str, Any]]) -> None:
    # Pending ORM rows first: the client or person an event names must exist.
    if session.new or session.dirty or session.deleted:
        session.flush()
    session.execute(_RECORD, rows)


def insert_pending_activity(session: Session) -> None:
    """The events waiting in the session, now (`AsyncSession.run_sync`, or at COMMIT)."""
    pending: list[dict[str, Any]] | None = session.info.pop(ACTIVITY_PENDING, None)
    if pending:
        insert_activity(session, pending)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Runs inside the COMMIT's greenlet, so these statements may use the async driver."""
    insert_pending_activity(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    """A rolled-back transaction's events go with it."""
    if transaction.parent is None:
        session.info.pop(ACTIVITY_PENDING, None)
