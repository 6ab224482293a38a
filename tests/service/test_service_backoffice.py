"""ALTUM's back office through the use cases alone: granting a person access, blocking and
restoring it, and upserting deals and invoices that tell the client's users. In memory, no
database; the notifier keeps what the chat would be told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, client_of, linked

from portal.client_users import change_user, grant_access
from portal.clients import current_client
from portal.deals import put_deal, put_invoice
from portal.model import (
    AccessBlocked,
    AccessGranted,
    AccessRestored,
    Action,
    DealAdded,
    DealData,
    DealStatus,
    Invalid,
    InvoiceAdded,
    InvoiceData,
    MembershipStatus,
    NotFound,
    Role,
    UserExists,
)

ACTOR = "api:crm"
JANIS_CODE = "010170-00002"  # not yet logged in anywhere


DEAL = DealData(
    product="Aizdevums apgrozāmajiem līdzekļiem",
    amount=Decimal("50000.00"),
    currency="EUR",
    balance=Decimal("42000.00"),
    start_date=date(2026, 1, 15),
    end_date=date(2029, 1, 15),
    status=DealStatus.ACTIVE,
)


def deal(**changes: Any) -> DealData:
    return replace(DEAL, **changes)


async def test_access_granted_by_personal_code_waits_for_the_person_to_log_in() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    user = await grant_access(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        personal_code=JANIS_CODE,
        role=Role.ADDITIONAL,
        is_signatory=False,
        actor=ACTOR,
        now=NOW,
    )
    assert (user.personal_code, user.role, user.status, user.linked) == (
        "01017000002",
        "additional",
        "active",
        False,
    )
    assert notifier.notices == [
        AccessGranted(person_id=user.person_id, client_name="Ozolkalna Koks", role=Role.ADDITIONAL)
    ]
    event = uow.activity.events[-1]
    assert (event.action, event.actor, event.details) == (
        Action.USER_ADDED,
        ACTOR,
        {"user": user.id, "role": "additional"},
    )
    with pytest.raises(UserExists) as exists:  # the same person twice
        await grant_access(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            personal_code="01017000002",
            role=Role.MAIN,
            is_signatory=True,
            actor=ACTOR,
            now=NOW,
        )
    assert exists.value.user_id == user.id
    assert len(notifier.notices) == 1


async def test_access_is_refused_for_a_wrong_code_or_an_unknown_client() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    with pytest.raises(Invalid) as invalid:  # the checksum is wrong
        await grant_access(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            personal_code="010170-00003",
            role=Role.ADDITIONAL,
            is_signatory=False,
            actor=ACTOR,
            now=NOW,
        )
    assert invalid.value.field == "personal_code"
    with pytest.raises(NotFound):
        await grant_access(
            uow=uow,
            notifier=notifier,
            client_id=client_id + 1,
            personal_code=JANIS_CODE,
            role=Role.ADDITIONAL,
            is_signatory=False,
            actor=ACTOR,
            now=NOW,
        )
    assert [u.person_id for u in await uow.client_users.of_client(client_id)] == [anna.id]
    assert notifier.notices == []


async def test_blocking_a_user_takes_the_client_from_their_chat_at_once_and_tells_them() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks", role=Role.ADDITIONAL)
    account = await uow.accounts.get(42)
    assert account is not None
    account.current_client_id = client_id
    await uow.accounts.save(account)
    (user,) = await uow.client_users.of_client(client_id)

    blocked = await change_user(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        user_id=user.id,
        status=MembershipStatus.BLOCKED,
        role=None,
        actor=ACTOR,
        now=NOW,
    )
    assert blocked.status == "blocked"
    assert await current_client(uow=uow, telegram_user_id=42) is None  # the next tap
    restored = await change_user(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        user_id=user.id,
        status=MembershipStatus.ACTIVE,
        role=None,
        actor=ACTOR,
        now=NOW,
    )
    assert restored.status == "active"
    assert notifier.notices == [
        AccessBlocked(person_id=anna.id, client_name="Ozolkalna Koks"),
        AccessRestored(person_id=anna.id, client_name="Ozolkalna Koks"),
    ]
    assert [e.action for e in uow.activity.events[-3:]] == [
        Action.USER_CHANGED,
        Action.CLIENT_ACCESS_LOST,  # the chat's next tap found no access
        Action.USER_CHANGED,
    ]
    events = len(uow.activity.events)
    unchanged = await change_user(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        user_id=user.id,
        status=MembershipStatus.ACTIVE,
        role=Role.ADDITIONAL,
        actor=ACTOR,
        now=NOW,
    )
    assert unchanged == restored and len(uow.activity.events) == events
    assert len(notifier.notices) == 2


async def test_a_new_deal_is_told_to_every_active_user_and_an_update_to_nobody() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    janis = await grant_access(
        uow=uow,
        notifier=FakeNotifier(),
        client_id=client_id,
        personal_code=JANIS_CODE,
        role=Role.ADDITIONAL,
        is_signatory=False,
        actor=ACTOR,
        now=NOW,
    )
    await uow.client_users.update(janis.id, role=janis.role, status=MembershipStatus.BLOCKED)

    record, created = await put_deal(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        number="AL-2026-0001",
        data=deal(product="  Aizdevums   apgrozāmajiem  līdzekļiem "),
        actor=ACTOR,
        now=NOW,
    )
    assert created and record.data.product == "Aizdevums apgrozāmajiem līdzekļiem"
    assert notifier.notices == [  # Anna only: the other user is blocked
        DealAdded(
            person_id=anna.id,
            client_name="Ozolkalna Koks",
            number="AL-2026-0001",
            product="Aizdevums apgrozāmajiem līdzekļiem",
            amount=Decimal("50000.00"),
            currency="EUR",
            start_date=date(2026, 1, 15),
            end_date=date(2029, 1, 15),
        )
    ]
    later = NOW + timedelta(days=30)
    again, created = await put_deal(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        number="AL-2026-0001",
        data=deal(balance=Decimal("40000")),
        actor=ACTOR,
        now=later,
    )
    assert not created and (again.id, again.data.balance, again.updated_at) == (
        record.id,
        Decimal("40000"),
        later,
    )
    assert len(notifier.notices) == 1
    assert [e.action for e in uow.activity.events[-2:]] == [Action.DEAL_ADDED, Action.DEAL_UPDATED]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": date(2025, 1, 1)}, "end_date"),
        ({"amount": Decimal("100.001")}, "amount"),
        ({"balance": Decimal("-1")}, "balance"),
        ({"currency": "eur"}, "currency"),
        ({"product": "   "}, "product"),
    ],
)
async def test_a_deal_the_rules_refuse_is_not_kept_and_nobody_is_told(
    changes: dict[str, object], field: str
) -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    with pytest.raises(Invalid) as invalid:
        await put_deal(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            number="AL-2026-0001",
            data=deal(**changes),
            actor=ACTOR,
            now=NOW,
        )
    assert invalid.value.field == field
    assert uow.deals.rows == {} and notifier.notices == []


async def test_a_new_invoice_is_told_in_its_deals_currency() -> None:
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    await put_deal(
        uow=uow,
        notifier=FakeNotifier(),
        client_id=client_id,
        number="AL-2026-0001",
        data=deal(currency="USD"),
        actor=ACTOR,
        now=NOW,
    )
    due = date(2026, 2, 15)
    unpaid = InvoiceData(amount=Decimal("1250.5"), due_date=due, paid=False, paid_on=None)
    with pytest.raises(Invalid) as invalid:
        await put_invoice(
            uow=uow,
            notifier=notifier,
            client_id=client_id,
            deal_number="AL-2026-0001",
            number="R-1",
            data=InvoiceData(amount=Decimal(1), due_date=due, paid=False, paid_on=due),
            actor=ACTOR,
            now=NOW,
        )
    assert invalid.value.field == "paid_on"
    invoice, created = await put_invoice(
        uow=uow,
        notifier=notifier,
        client_id=client_id,
        deal_number="AL-2026-0001",
        number="R-1",
        data=unpaid,
        actor=ACTOR,
        now=NOW,
    )
    assert created and (invoice.currency, invoice.data.amount) == ("USD", Decimal("1250.50"))
    assert notifier.notices == [
        InvoiceAdded(
            person_id=anna.id,
            client_name="Ozolkalna Koks",
            deal_number="AL-2026-0001",
            number="R-1",
            amount=Decimal("1250.50"),
            currency="USD",
            due_date=due,
        )
    ]


async def test_a_deal_or_invoice_of_a_client_not_there_is_the_clients_404_first() -> None:
    """The deal's upsert finds its client itself: no row, no client. Its 404 comes before a
    broken body's 422, as for every other request of a client's, and nothing is written."""
    uow, notifier = FakeUnitOfWork(), FakeNotifier()
    anna = (await linked(uow)).person
    client_id = await client_of(uow, anna.id, "Ozolkalna Koks")
    absent = client_id + 1
    for data in (deal(), deal(currency="euro")):
        with pytest.raises(NotFound) as missing:
            await put_deal(
                uow=uow,
                notifier=notifier,
                client_id=absent,
                number="AL-1",
                data=data,
                actor=ACTOR,
                now=NOW,
            )
        assert missing.value.what == "client"
    due = date(2026, 2, 15)

    async def invoice(client: int, paid_on: date | None) -> None:
        await put_invoice(
            uow=uow,
            notifier=notifier,
            client_id=client,
            deal_number="AL-1",
            number="R-1",
            data=InvoiceData(amount=Decimal(1), due_date=due, paid=False, paid_on=paid_on),
            actor=ACTOR,
            now=NOW,
        )

    for paid_on in (None, due):  # an unpaid invoice with a payment date is a broken body
        with pytest.raises(NotFound) as missing:
            await invoice(absent, paid_on)
        assert missing.value.what == "client"
    with pytest.raises(NotFound) as missing:  # the client is there, the deal is not
        await invoice(client_id, None)
    assert missing.value.what == "deal"
    assert uow.deals.rows == {} and uow.invoices.rows == {} and notifier.notices == []
