"""The main menu header's counts as the database gives them: a person's own drafts at the
client and the client's unread messages from ALTUM, nobody else's and no other client's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from portal.identity import NaturalPerson
from portal.model import (
    ApplicationStatus,
    ClientKind,
    MessageStatus,
    NewApplication,
    NewClient,
    Subject,
    Waiting,
)
from storage.database import Database
from storage.repositories import SqlUnitOfWork

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def company(number: str) -> NewClient:
    return NewClient(
        kind=ClientKind.LEGAL_ENTITY,
        name=f"SIA {number}",
        registration_number=number,
        personal_code=None,
        legal_form="SIA",
        address=None,
        email="",
        phone="",
        representation_rule=None,
        representation_with_at_least=None,
        voice_password_hash=None,
        terms_version=None,
        terms_accepted_at=NOW,
    )


async def test_drafts_are_the_persons_own_and_unread_the_clients(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            anna = await uow.persons.save(
                NaturalPerson("12058412349", "Anna", "Bērziņa"), person_id=None
            )
            janis = await uow.persons.save(
                NaturalPerson("03037912344", "Jānis", "Kalniņš"), person_id=None
            )
            ours = await uow.clients.create(company("40103999940"))
            theirs = await uow.clients.create(company("40003000001"))
            for client_id, who in ((ours, anna), (ours, anna), (ours, janis), (theirs, anna)):
                draft = await uow.applications.add(
                    NewApplication(client_id, "micro_loan", 1, who, None, NOW)
                )
                await uow.applications.save(replace(draft, revision=1))  # an answer given
            # Opened and left with nothing typed: not counted.
            await uow.applications.add(NewApplication(ours, "micro_loan", 1, anna, None, NOW))
            submitted = await uow.applications.add(
                NewApplication(ours, "micro_loan", 1, anna, None, NOW)
            )
            await uow.applications.save(replace(submitted, status=ApplicationStatus.SUBMITTED))
            for client_id, received in ((ours, 2), (theirs, 5)):
                thread = await uow.messages.start_thread(client_id, "Dokumenti", Subject(), now=NOW)
                for _ in range(received):
                    await uow.messages.add_message(
                        client_id, thread, status=MessageStatus.RECEIVED, body="…", now=NOW
                    )
        async with database.transaction() as session:
            waiting = SqlUnitOfWork(session).waiting
            assert await waiting.for_person(person_id=anna, client_id=ours) == Waiting(
                drafts=2, unread=2
            )
            assert await waiting.for_person(person_id=janis, client_id=ours) == Waiting(
                drafts=1, unread=2
            )
            assert await waiting.for_person(person_id=anna, client_id=theirs) == Waiting(
                drafts=1, unread=5
            )
    finally:
        await database.dispose()
