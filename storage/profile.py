"""A person's own contacts (portal.ports.PersonContactsStore)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import PersonContacts
from storage.profile_models import PersonContactRow


class SqlPersonContacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, person_id: int) -> PersonContacts:
        row = await self._session.get(PersonContactRow, person_id)
        if row is None:
            return PersonContacts()
        return PersonContacts(
            email=row.email,
            phone=row.phone,
            pending_email=row.pending_email,
            pending_expires_at=row.pending_expires_at,
        )

    async def _row(self, person_id: int, now: datetime) -> PersonContactRow:
        row = await self._session.get(PersonContactRow, person_id)
        if row is None:
            row = PersonContactRow(person_id=person_id, updated_at=now)
            self._session.add(row)
        return row

    async def set_phone(self, person_id: int, phone: str, *, now: datetime) -> None:
        row = await self._row(person_id, now)
        row.phone, row.updated_at = phone, now
        await self._session.flush()

    async def request_email(
        self, person_id: int, email: str, *, token_hash: str, expires_at: datetime, now: datetime
    ) -> None:
        row = await self._row(person_id, now)
        row.pending_email, row.pending_token_hash = email, token_hash
        row.pending_expires_at, row.updated_at = expires_at, now
        await self._session.flush()

    async def confirm_email(self, token_hash: str, *, now: datetime) -> tuple[int, str] | None:
        # One conditional UPDATE … RETURNING: of two concurrent openings one takes it.
        row = PersonContactRow
        taken = (
            await self._session.execute(
                update(row)
                .where(
                    row.pending_token_hash == token_hash,
                    row.pending_expires_at > now,
                    row.pending_email.is_not(None),
                )
                .values(
                    email=row.pending_email,
                    email_confirmed_at=now,
                    pending_email=None,
                    pending_token_hash=None,
                    pending_expires_at=None,
                    updated_at=now,
                )
                .returning(row.person_id, row.email)
                .execution_options(synchronize_session=False)
            )
        ).first()
        return None if taken is None else (int(taken.person_id), str(taken.email))
