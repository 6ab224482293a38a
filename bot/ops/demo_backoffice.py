"""The demo's back-office data, loaded through the same use cases the API calls: SIA
"Ozolkalna Koks" as an ALTUM client with Anna Bērziņa as its main user, a consultant, two
active deals and a closed one, invoices paid, due and overdue, a message from ALTUM asking for
a document; and a demo API token."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from api import scopes
from bot.delivery.notifier import ChatNotifier
from bot.delivery.outbox import PUSH
from bot.delivery.payloads import to_payload
from bot.i18n import create_i18n
from portal import api_tokens, client_admin, client_users, deals, messages
from portal.model import (
    Conflict,
    Consultant,
    DealData,
    DealStatus,
    InvoiceData,
    Role,
    ThreadQuery,
)
from storage.database import Database
from storage.repositories import NewMessage, SqlUnitOfWork

OZOLKALNS = "40103999940"
ANNA = "120584-12349"  # the demo identity provider's Anna Bērziņa
ACTOR = "api:demo"
TOKEN_NAME = "demo"  # noqa: S105 - the token's name, not a secret


def _deals(today: date) -> list[tuple[str, DealData, list[tuple[str, InvoiceData]]]]:
    def invoice(amount: str, due_in_days: int, *, paid: bool = False) -> InvoiceData:
        due_date = today + timedelta(days=due_in_days)
        return InvoiceData(
            amount=Decimal(amount),
            due_date=due_date,
            paid=paid,
            paid_on=due_date - timedelta(days=2) if paid else None,
        )

    return [
        (
            "AL-2024-0153",
            DealData(
                product="Apgrozāmo līdzekļu aizdevums",
                amount=Decimal("150000.00"),
                currency="EUR",
                balance=Decimal("112500.00"),
                start_date=today - timedelta(days=420),
                end_date=today + timedelta(days=1040),
                status=DealStatus.ACTIVE,
            ),
            [
                ("R-2024-0153-11", invoice("3187.50", -45, paid=True)),
                ("R-2024-0153-12", invoice("3187.50", -12)),  # overdue
                ("R-2024-0153-13", invoice("3187.50", 18)),  # due
            ],
        ),
        (
            "IA-2025-0041",
            DealData(
                product="Investīciju aizdevums",
                amount=Decimal("420000.00"),
                currency="EUR",
                balance=Decimal("405000.00"),
                start_date=today - timedelta(days=95),
                end_date=today + timedelta(days=2460),
                status=DealStatus.ACTIVE,
            ),
            [
                ("R-2025-0041-03", invoice("5250.00", -30, paid=True)),
                ("R-2025-0041-04", invoice("5250.00", 25)),
            ],
        ),
        (
            "MK-2019-0387",
            DealData(
                product="Mikrokredīts",
                amount=Decimal("15000.00"),
                currency="EUR",
                balance=Decimal("0.00"),
                start_date=today - timedelta(days=2100),
                end_date=today - timedelta(days=300),
                status=DealStatus.CLOSED,
            ),
            [("R-2019-0387-60", invoice("262.10", -305, paid=True))],
        ),
    ]


async def _demo_message(
    uow: SqlUnitOfWork, notifier: ChatNotifier, client_id: int, now: datetime
) -> None:
    """ALTUM asks for a document in «Saziņa» (once): answer it with a photo in the demo."""
    if (await uow.messages.threads(client_id, ThreadQuery(), offset=0, limit=1)).items:
        return
    await messages.altum_message(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        subject="Pieņemšanas-nodošanas akts",
        body=(
            "Labdien! Lūdzu, atsūtiet parakstīto pieņemšanas-nodošanas aktu par darījumu "
            "AL-2024-0153. Varat to nofotografēt un atsūtīt šeit."
        ),
        actor=ACTOR,
        now=now,
    )


async def load(database_url: str) -> str:
    """Load (or refresh) the demo's back-office data; returns a fresh demo API token."""
    database = Database(database_url)
    i18n = create_i18n()
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            notifier = ChatNotifier(uow, i18n)
            found = await client_admin.find_clients(uow=uow, registration_number=OZOLKALNS)
            client = found[0] if found else None
            if client is None:
                client = await client_admin.open_client(
                    uow=uow,
                    registration_number=OZOLKALNS,
                    email="birojs@ozolkalns.lv",
                    phone="+37164100000",
                    actor=ACTOR,
                    now=now,
                )
            with contextlib.suppress(Conflict):  # loaded before
                await client_users.grant_access(
                    uow=uow,
                    notifier=notifier,
                    client_id=client.id,
                    personal_code=ANNA,
                    role=Role.MAIN,
                    is_signatory=True,
                    actor=ACTOR,
                    now=now,
                )
            await client_admin.set_consultant(
                uow=uow,
                client_id=client.id,
                consultant=Consultant(
                    name="Ieva Kļava", email="ieva.klava@altum.lv", phone="+37167774010"
                ),
                actor=ACTOR,
                now=now,
            )
            for number, data, invoices in _deals(now.date()):
                await deals.put_deal(
                    uow=uow,
                    notifier=notifier,
                    client_id=client.id,
                    number=number,
                    data=data,
                    actor=ACTOR,
                    now=now,
                )
                for invoice_number, invoice in invoices:
                    await deals.put_invoice(
                        uow=uow,
                        notifier=notifier,
                        client_id=client.id,
                        deal_number=number,
                        number=invoice_number,
                        data=invoice,
                        actor=ACTOR,
                        now=now,
                    )
            await _demo_message(uow, notifier, client.id, now)
            if notifier.outgoing.queued:  # sent by the bot's push sender once it runs
                await uow.outbox.add(
                    kind=PUSH,
                    items=[
                        NewMessage(chat_id=q.chat_id, payload=to_payload(q.method))
                        for q in notifier.outgoing.queued
                    ],
                    lease=timedelta(0),
                )
            await api_tokens.revoke_token(uow=uow, name=TOKEN_NAME)  # its secret is not kept
            _token, secret = await api_tokens.create_token(
                uow=uow, name=TOKEN_NAME, scopes=tuple(sorted(scopes())), now=now
            )
        return secret
    finally:
        await database.dispose()
