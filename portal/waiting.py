"""What waits for the person the chat acts as, at the client it acts for (the main menu)."""

from __future__ import annotations

from dataclasses import replace

from portal.applications import awaiting_signature
from portal.model import ClientAccess, Waiting
from portal.ports import UnitOfWork


async def what_waits(*, uow: UnitOfWork, person_id: int, access: ClientAccess | None) -> Waiting:
    """Counts at the current client (checked by the caller); nothing without one."""
    if access is None:
        return Waiting()
    counted = await uow.waiting.for_person(person_id=person_id, client_id=access.client_id)
    # Who must sign follows the Company Register's rule, which no single query knows.
    signatures = await awaiting_signature(uow=uow, person_id=person_id, client_id=access.client_id)
    return replace(counted, signatures=counted.signatures + signatures)
