"""Every hash of a stored file that something in the database names, for the file sweeper
(`bot/ops/file_sweeper.py`): a stored file none of these name is no one's any more.

What names a stored file, each written by:
- `client_documents.sha256`: a client's document (uploads, ALTUM's messages, the archive);
  deleted with the client (a rejected registration), by «Atcelt» on a draft, …
- `applications.answers`: a form's attachment answers (`AttachmentRef.sha256`), drafts and
  submitted ones alike;
- `conversation_states.data`: a file a conversation holds before any row does — a pending
  «Kas tas ir?» upload, a message's attachments, photo pages being collected
  (`dialogs/message_common.file_entry` and every other `sha256` in a state);
- `outbox.payload` of rows not sent yet: a queued sendDocument of a stored file
  (`STORED<sha256>/<name>`, `dialogs/outgoing.stored_document`), e.g. a submitted
  application's PDF, which no other row names, or a push that uploads a document.

The JSON columns are searched for anything shaped like a hash, wherever it sits: a new key
holding a file is honoured without a change here, and a string that only looks like a hash
keeps a file longer, never deletes one. All four are read in ONE statement, so in one
snapshot (PostgreSQL's READ COMMITTED takes one per statement): a transaction that moves a
file's name from a conversation to a row is seen entirely before or entirely after.
"""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import Text, cast, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.application_models import Application
from storage.message_models import ClientDocument
from storage.models import ConversationState, OutboxMessage

# A run of hex digits at least a hash long; every hash-long stretch of it counts (a name can
# run straight into a hash: no boundary is assumed).
_HEX_RUN = re.compile(r"[0-9a-f]{64,}")


async def referenced_files(session: AsyncSession) -> set[str]:
    """The hashes of the stored files some row names now."""
    statement = union_all(
        select(ClientDocument.sha256.label("text")),
        select(cast(Application.answers, Text).label("text")),
        select(cast(ConversationState.data, Text).label("text")),
        select(cast(OutboxMessage.payload, Text).label("text")).where(
            OutboxMessage.sent_at.is_(None)
        ),
    )
    found: set[str] = set()
    result = await session.stream(statement)
    # Streamed, and searched in a thread a batch at a time: years of applications' answers
    # are neither held in memory at once nor scanned on the event loop.
    async for rows in result.partitions(500):
        found |= await asyncio.to_thread(_hashes_of, [text for (text,) in rows if text])
    return found


def _hashes_of(texts: list[str]) -> set[str]:
    return set().union(*map(hashes_in, texts)) if texts else set()


def hashes_in(text: str) -> set[str]:
    """Everything in the text that could be a stored file's hash."""
    return {
        run[start : start + 64] for run in _HEX_RUN.findall(text) for start in range(len(run) - 63)
    }
