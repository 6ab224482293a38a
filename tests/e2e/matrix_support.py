"""The authorization matrix's objects: a deal, an application, a thread with ALTUM's message
and its document, of client A and of client B, made through the back-office API and the
portal's own use cases; B's application and a draft of B's through the repositories, as
nobody in the matrix's chats acts for B, which is the point."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from api_support import Api
from messages_support import file_samples
from sqlalchemy import select

from integrations.forms import load_forms
from portal import applications as apps
from portal.forms import FormKind
from portal.model import ApplicationStatus, MessageStatus, NewApplication
from storage.database import Database
from storage.models import Membership
from storage.repositories import SqlUnitOfWork

DEAL = {
    "product": "Apgrozāmo līdzekļu aizdevums",
    "amount": "125000",
    "currency": "EUR",
    "balance": "80000",
    "start_date": "2025-03-01",
    "end_date": "2030-02-28",
    "status": "active",
}


async def _thread(api: Api, client_id: int, mark: str) -> dict[str, Any]:
    posted = await api.post(
        f"/clients/{client_id}/messages",
        {
            "subject": f"{mark}: trūkst dokumentu",
            "body": f"{mark}: lūdzu, atsūtiet parakstītu pavadvēstuli.",
            "attachments": [
                {
                    "name": f"{mark}-grafiks.pdf",
                    "content_base64": base64.b64encode(
                        file_samples.pdf(text="Maksajumu grafiks")
                    ).decode(),
                    "doc_type": "contract",
                    "prepared_on": "2026-12-01",
                }
            ],
        },
    )
    assert posted.status == 201, posted.body
    return dict(posted.body)


async def make_objects(
    database_url: str,
    api: Api,
    *,
    clients: dict[str, int],
    main_users: dict[str, int],
    anna_telegram_id: int,
    marks: dict[str, str],
) -> dict[str, int]:
    """`a_*`/`b_*` ids by name; `main_users` are the client users (membership ids) that
    prepare each client's application; each client's texts carry its mark (its name), so a
    chat shown another client's object is seen to be."""
    objects: dict[str, int] = {}
    for side, client_id in clients.items():
        deal = await api.put(
            f"/clients/{client_id}/deals/K-2025-17",
            {**DEAL, "product": f"{marks[side]} {DEAL['product']}"},
        )
        assert deal.status == 201, deal.body
        posted = await _thread(api, client_id, marks[side])
        objects[f"{side}_thread"] = int(posted["thread_id"])
        objects[f"{side}_message"] = int(posted["id"])
        objects[f"{side}_doc"] = int(posted["documents"][0]["id"])
    form = load_forms().offered(FormKind.APPLICATION)[0]
    now = datetime.now(UTC)
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            for side, client_id in clients.items():
                deal_record = await uow.deals.get(client_id, "K-2025-17")
                assert deal_record is not None
                objects[f"{side}_deal"] = deal_record.id
            # A's draft through the use case, as Anna (she acts for A); B's as its main user.
            started = await apps.start_application(
                uow=uow, telegram_user_id=anna_telegram_id, form=form, now=now
            )
            assert started.client_id == clients["a"]
            objects["a_app"] = started.id
            person_id = await session.scalar(
                select(Membership.person_id).where(Membership.id == main_users["b"])
            )
            assert person_id is not None
            b_app = await uow.applications.add(
                NewApplication(clients["b"], form.id, form.version, person_id, None, now)
            )
            objects["b_app"] = b_app.id
            # B's submitted application: a quick upload may be about one, but not from A's chats.
            b_sent = await uow.applications.add(
                NewApplication(clients["b"], form.id, form.version, person_id, None, now)
            )
            await uow.applications.save(
                replace(b_sent, status=ApplicationStatus.SUBMITTED, submitted_at=now)
            )
            objects["b_sent_app"] = b_sent.id
            # A draft of B's user in B's thread: «Send the draft» names it from A's chats.
            draft = await uow.messages.add_message(
                clients["b"],
                objects["b_thread"],
                status=MessageStatus.DRAFT,
                body=f"{marks['b']}: melnraksts",
                now=now,
                person_id=person_id,
            )
            objects["b_draft"] = draft.id
    finally:
        await database.dispose()
    return objects
