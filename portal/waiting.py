"""What waits for the person the chat acts as, at the client it acts for (the main menu)."""

from __future__ import annotations

from dataclasses import replace

from portal.applications import awaiting_signature
from portal.model import ClientAccess, Waiting
from portal.ports import UnitOfWork
from portal.signing import Counts


async def what_waits(
    *, uow: UnitOfWork, person_id: int, access: ClientAccess | None, counts: Counts
) -> Waiting:
    """Counts at the current client (checked by the caller); nothing without one. Who is to
    sign follows the register's rule as `counts` (REGISTRATION_AT_LEAST_COUNTS) reads it."""
    if access is None:
        return Waiting()
    counted = await uow.waiting.for_person(person_id=person_id, client_id=access.client_id)
    # Who must sign follows the Company Register's rule, which no single query knows.
    signatures = await awaiting_signature(
        uow=uow, person_id=person_id, client_id=access.client_id, counts=counts
    )
    return replace(counted, signatures=counted.signatures + signatures)
