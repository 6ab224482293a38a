"""The activity log's events of a transaction wait in its session and go in one multi-row
INSERT just before its COMMIT (`SqlActivityLog` in storage/repositories.py puts them here).

Whatever would make an event's row invalid once they wait must insert them first: a read of
the log (`SqlActivityLog.of_client`) and the deletion of a client (`SqlClients.delete`), whose
events the database would otherwise find naming a client that no longer exists; inserted
first, they go with it (ON DELETE CASCADE) as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from storage.models import ActivityEventRow
from storage.until_commit import UntilCommit

_TABLE: Any = ActivityEventRow.__table__
# RETURNING makes SQLAlchemy send N rows as one multi-row INSERT ("insertmanyvalues") rather
# than N executions of a one-row one (asyncpg's executemany: one statement each).
_RECORD = insert(_TABLE).returning(_TABLE.c.id)


def insert_activity(session: Session, rows: list[dict[str, Any]]) -> None:
    # Pending ORM rows first: the client or person an event names must exist.
    if session.new or session.dirty or session.deleted:
        session.flush()
    session.execute(_RECORD, rows)


# The events waiting for the COMMIT (`SqlActivityLog.record`); `ACTIVITY.flush` inserts them now.
ACTIVITY: UntilCommit[list[dict[str, Any]]] = UntilCommit("activity_pending", list, insert_activity)
