"""The applications repository (portal.ports.Applications)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.model import (
    ApplicationPage,
    ApplicationRecord,
    ApplicationStatus,
    Decision,
    NewApplication,
    SignatureConfirmation,
    SignatureRecord,
)
from storage.application_models import (
    Application,
    ApplicationSignature,
    SignatureConfirmationRow,
)


def _record(row: Application) -> ApplicationRecord:
    return ApplicationRecord(
        id=row.id,
        client_id=row.client_id,
        form_id=row.form_id,
        form_version=row.form_version,
        status=ApplicationStatus(row.status),
        answers=dict(row.answers or {}),
        prepared_by=row.prepared_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deal_number=row.deal_number,
        current_field=row.current_field,
        content_hash=row.content_hash,
        submitted_at=row.submitted_at,
        comment=row.comment,
        revision=row.revision,
    )


def _signature(row: ApplicationSignature) -> SignatureRecord:
    return SignatureRecord(
        application_id=row.application_id,
        person_id=row.person_id,
        decision=Decision(row.decision),
        content_hash=row.content_hash,
        at=row.at,
        reason=row.reason,
        void=row.void,
    )


def _one_query(*, scoped: bool, lock: bool) -> Any:
    query = select(Application).where(Application.id == bindparam("application_id"))
    if scoped:
        query = query.where(Application.client_id == bindparam("client_id"))
    if lock:
        query = query.with_for_update()
    # Always read the row as it is now (a locked read must see the winner's commit).
    return query.execution_options(populate_existing=True)


# One application by id, client-scoped or not, locked or not. Built once: every step of a
# form reads its application twice, and building the query cost about as much as running it.
_ONE = {
    (scoped, lock): _one_query(scoped=scoped, lock=lock)
    for scoped in (True, False)
    for lock in (True, False)
}


class SqlApplications:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, application: NewApplication) -> ApplicationRecord:
        row = Application(
            client_id=application.client_id,
            form_id=application.form_id,
            form_version=application.form_version,
            deal_number=application.deal_number,
            status=ApplicationStatus.DRAFT.value,
            answers={},
            prepared_by=application.prepared_by,
            revision=0,
            created_at=application.now,
            updated_at=application.now,
        )
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def _one(
        self, client_id: int | None, application_id: int, *, lock: bool = False
    ) -> ApplicationRecord | None:
        query = _ONE[client_id is not None, lock]
        params = {"application_id": application_id}
        if client_id is not None:
            params["client_id"] = client_id
        row = (await self._session.scalars(query, params)).first()
        return None if row is None else _record(row)

    async def get(self, client_id: int, application_id: int) -> ApplicationRecord | None:
        return await self._one(client_id, application_id)

    async def by_id(self, application_id: int) -> ApplicationRecord | None:
        return await self._one(None, application_id)

    async def lock(self, client_id: int, application_id: int) -> ApplicationRecord | None:
        return await self._one(client_id, application_id, lock=True)

    async def save(self, application: ApplicationRecord) -> None:
        await self._session.execute(
            update(Application)
            .where(Application.id == application.id)
            .values(
                status=application.status.value,
                answers=application.answers,
                current_field=application.current_field,
                content_hash=application.content_hash,
                revision=application.revision,
                comment=application.comment,
                updated_at=application.updated_at,
                submitted_at=application.submitted_at,
            )
            .execution_options(synchronize_session=False)
        )

    async def delete(self, client_id: int, application_id: int) -> None:
        await self._session.execute(
            delete(Application)
            .where(Application.id == application_id, Application.client_id == client_id)
            .execution_options(synchronize_session=False)
        )

    async def documents_in_use(self, client_id: int, document_ids: Collection[str]) -> set[str]:
        """A client has tens of applications, not thousands: their answers are read and the
        attachments' `document_id`s picked out (the form engine's JSON, `encode_answers`)."""
        wanted = set(document_ids)
        if not wanted:
            return set()
        named: set[str] = set()
        for answers in await self._session.scalars(
            select(Application.answers).where(Application.client_id == client_id)
        ):
            named |= _document_ids(answers)
        return wanted & named

    async def page(
        self,
        client_id: int,
        *,
        before: int | None,
        limit: int,
        statuses: frozenset[ApplicationStatus] | None = None,
        deal_number: str | None = None,
        only_forms: frozenset[str] | None = None,
        without_forms: frozenset[str] = frozenset(),
    ) -> ApplicationPage:
        query = select(Application).where(Application.client_id == client_id)
        if only_forms is not None:
            query = query.where(Application.form_id.in_(sorted(only_forms)))
        if without_forms:
            query = query.where(Application.form_id.not_in(sorted(without_forms)))
        if before is not None:
            query = query.where(Application.id < before)
        if statuses is not None:
            query = query.where(Application.status.in_(sorted(s.value for s in statuses)))
        if deal_number is not None:
            query = query.where(Application.deal_number == deal_number)
        rows = list(
            await self._session.scalars(query.order_by(Application.id.desc()).limit(limit + 1))
        )
        items = [_record(row) for row in rows[:limit]]
        return ApplicationPage(items, items[-1].id if len(rows) > limit else None)

    async def add_signature(self, signature: SignatureRecord) -> None:
        self._session.add(
            ApplicationSignature(
                application_id=signature.application_id,
                person_id=signature.person_id,
                decision=signature.decision.value,
                content_hash=signature.content_hash,
                reason=signature.reason,
                void=signature.void,
                at=signature.at,
            )
        )
        await self._session.flush()

    async def signatures(self, application_id: int) -> list[SignatureRecord]:
        query = (
            select(ApplicationSignature)
            .where(ApplicationSignature.application_id == application_id)
            .order_by(ApplicationSignature.id)
            .execution_options(populate_existing=True)
        )
        return [_signature(row) for row in await self._session.scalars(query)]

    async def void_signatures(self, application_id: int) -> list[SignatureRecord]:
        voided = [s for s in await self.signatures(application_id) if not s.void]
        if voided:
            await self._session.execute(
                update(ApplicationSignature)
                .where(
                    ApplicationSignature.application_id == application_id,
                    ApplicationSignature.void.is_(False),
                )
                .values(void=True)
                .execution_options(synchronize_session=False)
            )
        return voided

    async def add_confirmation(self, confirmation: SignatureConfirmation) -> None:
        await self._session.execute(
            delete(SignatureConfirmationRow)
            .where(
                SignatureConfirmationRow.telegram_user_id == confirmation.telegram_user_id,
                SignatureConfirmationRow.used_at.is_(None),
            )
            .execution_options(synchronize_session=False)
        )
        self._session.add(
            SignatureConfirmationRow(
                token_hash=confirmation.token_hash,
                telegram_user_id=confirmation.telegram_user_id,
                application_id=confirmation.application_id,
                client_id=confirmation.client_id,
                content_hash=confirmation.content_hash,
                submit=confirmation.submit,
                created_at=confirmation.created_at,
                expires_at=confirmation.expires_at,
            )
        )
        await self._session.flush()

    @staticmethod
    def _confirmation(row: SignatureConfirmationRow) -> SignatureConfirmation:
        return SignatureConfirmation(
            token_hash=row.token_hash,
            telegram_user_id=row.telegram_user_id,
            application_id=row.application_id,
            client_id=row.client_id,
            content_hash=row.content_hash,
            submit=row.submit,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    async def confirmation(self, token_hash: str, *, now: datetime) -> SignatureConfirmation | None:
        row = (
            await self._session.scalars(
                select(SignatureConfirmationRow).where(
                    SignatureConfirmationRow.token_hash == token_hash,
                    SignatureConfirmationRow.used_at.is_(None),
                    SignatureConfirmationRow.expires_at > now,
                )
            )
        ).first()
        return None if row is None else self._confirmation(row)

    async def use_confirmation(
        self, token_hash: str, *, telegram_user_id: int, now: datetime
    ) -> SignatureConfirmation | None:
        row = (
            await self._session.scalars(
                update(SignatureConfirmationRow)
                .where(
                    SignatureConfirmationRow.token_hash == token_hash,
                    SignatureConfirmationRow.telegram_user_id == telegram_user_id,
                    SignatureConfirmationRow.used_at.is_(None),
                    SignatureConfirmationRow.expires_at > now,
                )
                .values(used_at=now)
                .returning(SignatureConfirmationRow)
                .execution_options(synchronize_session=False)
            )
        ).first()
        return None if row is None else self._confirmation(row)

    async def purge_confirmations(self, *, now: datetime) -> int:
        result = await self._session.execute(
            delete(SignatureConfirmationRow)
            .where(
                (SignatureConfirmationRow.used_at.is_not(None))
                | (SignatureConfirmationRow.expires_at <= now)
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _document_ids(value: Any) -> set[str]:
    """Every `document_id` in an answers' JSON (an attachment answer is a list of objects)."""
    if isinstance(value, dict):
        found = {str(value["document_id"])} if "document_id" in value else set()
        for item in value.values():
            found |= _document_ids(item)
        return found
    if isinstance(value, list):
        return set().union(*(_document_ids(item) for item in value))
    return set()
