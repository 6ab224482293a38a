"""Idempotency keys for the back-office API's POSTs.

ALTUM's systems retry a request whose answer they lost (a timeout, a dropped connection),
and a POST done twice writes twice: a second message to the client, told to every user
again. Sent with the same `Idempotency-Key`, a retry is answered as the first request was and
changes nothing. A key is its token's own and kept for a day; used again for another request
in that day, it is refused. Only answers given are kept: a refused request wrote nothing, and
its retry is decided anew.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from portal.model import Invalid, StoredAnswer
from portal.ports import UnitOfWork

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
_KEY = re.compile(r"[!-~]{1,255}")  # visible ASCII, as any client library sends it


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise Invalid(HEADER, "1-255 visible ASCII characters, e.g. a UUID")
    return key


def fingerprint(request: Mapping[str, object]) -> str:
    """What was asked, as validated (the operation, its path, query and body): a retry sends
    the same, however its JSON is spaced or ordered. Fed to the digest piece by piece, not as
    one JSON text: a body may carry a file of megabytes (base64), and the request's
    transaction waits for this (one pass: 29-45 ms for 20 MB here; 198 ms as one JSON text)."""
    digest = hashlib.sha256()
    _feed(digest, request)
    return digest.hexdigest()


def _feed(digest: Any, value: object) -> None:
    """Each piece tagged and its length given, so that no two requests feed the same bytes."""
    if isinstance(value, Mapping):
        digest.update(b"{%d:" % len(value))
        for name in sorted(value):
            _feed(digest, str(name))
            _feed(digest, value[name])
    elif isinstance(value, list | tuple):
        digest.update(b"[%d:" % len(value))
        for item in value:
            _feed(digest, item)
    elif isinstance(value, str):
        text = value.encode()
        digest.update(b"s%d:" % len(text))
        digest.update(text)
    else:
        scalar = json.dumps(value, default=str).encode()
        digest.update(b"v%d:" % len(scalar))
        digest.update(scalar)


async def claim(
    *, uow: UnitOfWork, token_id: int, key: str, fingerprint: str, now: datetime
) -> StoredAnswer | None:
    """None: the key is this request's now, to `remember` its answer by. Else the answer the
    key's first request was given; `Invalid` when that was another request."""
    stored = await uow.api_answers.claim(
        token_id=token_id, key=key, fingerprint=fingerprint, now=now
    )
    if stored is None:
        return None
    if stored.created_at <= now - KEPT:  # not yet swept away: as if it were
        await uow.api_answers.reclaim(token_id=token_id, key=key, fingerprint=fingerprint, now=now)
        return None
    if stored.fingerprint != fingerprint:
        raise Invalid(HEADER, "was used for another request within the last 24 hours")
    return stored


async def remember(*, uow: UnitOfWork, token_id: int, key: str, status: int, body: str) -> None:
    """In the request's own transaction: kept exactly when what it wrote is."""
    await uow.api_answers.keep(token_id=token_id, key=key, status=status, body=body)


async def purge(*, uow: UnitOfWork, now: datetime) -> int:
    return await uow.api_answers.purge(older_than=now - KEPT)
