"""Applications through the use cases alone: the Company Register's signing rule (alone, with
at least N, with all; refusals; non-representatives), and a disbursement request that cannot
be submitted without the signatures it needs, is submitted once, and is never signed by a
user the register does not make a signatory. In memory, no database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fakes import FakeNotifier, FakeUnitOfWork
from service_support import ANNA, LIMITS, NOW, REGCODE, board_member, company, identity, linked

from integrations.forms import load_forms
from portal import applications as apps
from portal import confirming
from portal.company_register import RepresentationRule
from portal.forms import Value, answer, skip
from portal.identity import IdentityError, ProviderIdentity
from portal.model import (
    ApplicationStatus,
    ApplicationSubmitted,
    ClientKind,
    DealData,
    DealStatus,
    DealWrite,
    Decision,
    EventType,
    MayNotSign,
    NewClient,
    NotThePerson,
    Role,
    RuleNotMet,
)
from portal.signing import SigningRule
from portal.tokens import digest as digest_of

FORMS = load_forms()
ALONE = RepresentationRule("individually")
WITH_ONE = RepresentationRule("with_at_least", 1)
WITH_ALL = RepresentationRule("with_all")


def test_the_rule_alone_with_at_least_n_and_with_all() -> None:
    rule = SigningRule(
        {1: ALONE, 2: WITH_ONE, 3: WITH_ONE, 4: WITH_ALL}, signatories=4, counts="others"
    )
    assert rule.met([1]) and not rule.met([2]) and rule.met([2, 3])
    assert rule.met([4, 2, 3])  # two «with 1» suffice, whoever else signs
    assert not rule.met([4]) and not rule.met([99, 2])  # 99 is no signatory: never counts
    assert rule.pending([2]) == (1, 3, 4)
    assert rule.pending([2], refused=[3]) == (1, 4)
    assert rule.pending([2, 3]) == ()
    everyone = SigningRule({1: WITH_ALL, 2: WITH_ALL}, signatories=3, counts="others")
    assert not everyone.met([1, 2])  # the register names a third the client has not linked
    total = SigningRule({2: WITH_ONE, 3: WITH_ONE}, signatories=2, counts="total")
    assert total.met([2])  # "at least 1" counting everyone: one is enough


async def _setup_people(
    uow: FakeUnitOfWork, people: Mapping[int, ProviderIdentity]
) -> dict[int, int]:
    """Ozolkalna (from the register) with a deal, and these chats' people as its users (the
    first a main user), each chat acting for it; their person ids by chat."""
    client_id = await uow.clients.create(
        NewClient(
            kind=ClientKind.LEGAL_ENTITY,
            name='SIA "Ozolkalna Koks"',
            registration_number=REGCODE,
            personal_code=None,
            legal_form="SIA",
            address=None,
            email="",
            phone="",
            representation_rule="individually",
            representation_with_at_least=None,
            voice_password_hash=None,
            terms_version=None,
            terms_accepted_at=None,
        )
    )
    ids: dict[int, int] = {}
    for index, (chat, who) in enumerate(people.items()):
        person = (await linked(uow, chat, who)).person
        ids[chat] = person.id
        role = Role.MAIN if index == 0 else Role.ADDITIONAL
        await uow.clients.add_membership(
            person_id=person.id, client_id=client_id, role=role, is_signatory=index == 0
        )
        account = await uow.accounts.get(chat)
        assert account is not None
        account.current_client_id = client_id
        await uow.accounts.save(account)
    deal = DealData(
        product="Apgrozāmo līdzekļu aizdevums",
        amount=Decimal("125000.00"),
        currency="EUR",
        balance=Decimal("80000.50"),
        start_date=date(2025, 3, 1),
        end_date=None,
        status=DealStatus.ACTIVE,
    )
    await uow.deals.put_many([DealWrite(client_id, "K-1", deal, actor="api:test", now=NOW)])
    return ids


DACE = identity(
    subject="PK:11026516780",
    personal_codes=("11026516780",),
    given_name="Dace",
    family_name="Egle",
    assertion_id="assertion-2",
)


async def _setup(uow: FakeUnitOfWork) -> tuple[int, int]:
    """Anna (signs alone) and Dace (no representative) users of Ozolkalna, which has a deal."""
    ids = await _setup_people(uow, {42: ANNA, 43: DACE})
    return ids[42], ids[43]


async def _filled(uow: FakeUnitOfWork, notifier: FakeNotifier, chat: int) -> int:
    form = FORMS.current("disbursement")
    record = await apps.start_application(
        uow=uow, telegram_user_id=chat, form=form, now=NOW, deal_number="K-1"
    )
    context = await apps.form_context(uow=uow, application=record, now=NOW)
    answers: dict[str, Value | None] = {}
    tomorrow = (NOW + timedelta(days=1)).strftime("%d.%m.%Y")
    for field, raw in (
        ("amount", "12 500"),
        ("target_iban", "LV80BANK0000435195001"),
        ("planned_date", tomorrow),
        ("purpose", "Raw timber for the spring season."),
    ):
        result = answer(form, answers, field, raw, context=context)
        assert isinstance(result, dict), result
        answers = result
    done = skip(form, answers, "supporting_documents")
    assert isinstance(done, dict)
    await apps.save_answers(
        uow=uow,
        notifier=notifier,
        forms=FORMS,
        telegram_user_id=chat,
        application_id=record.id,
        answers=done,
        current_field=None,
        now=NOW,
        counts="others",
    )
    return record.id


async def test_a_sole_signatory_signs_and_submits_once_and_a_non_representative_never_signs() -> (
    None
):
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    notifier = FakeNotifier()
    anna, dace = await _setup(uow)
    app = await _filled(uow, notifier, 43)  # Dace prepares

    kwargs = {
        "uow": uow,
        "notifier": notifier,
        "forms": FORMS,
        "application_id": app,
        "counts": "others",
    }
    with pytest.raises(RuleNotMet):
        await apps.submit(telegram_user_id=43, now=NOW, **kwargs)  # type: ignore[arg-type]
    opened = await apps.open_application(
        uow=uow, forms=FORMS, telegram_user_id=42, application_id=app
    )
    digest = apps.hash_of(opened)
    with pytest.raises(MayNotSign):
        await apps.decide(
            telegram_user_id=43,
            content_hash_seen=digest[:16],
            decision=Decision.SIGNED,
            now=NOW,
            **kwargs,  # type: ignore[arg-type]
        )
    state = await apps.decide(
        telegram_user_id=42,
        content_hash_seen=digest[:16],
        decision=Decision.SIGNED,
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )
    assert state.met and state.signed == (anna,) and apps.pending_signers(state) == ()
    record, first = await apps.submit(telegram_user_id=43, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert first and record.status is ApplicationStatus.SUBMITTED
    assert record.content_hash == digest
    _again, second = await apps.submit(telegram_user_id=42, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert not second
    await uow.commit()
    assert [e.type for e in uow.feed.events] == ["signature.added", "application.submitted"]
    assert uow.feed.events[-1].type == EventType.APPLICATION_SUBMITTED
    told = [n for n in notifier.notices if isinstance(n, ApplicationSubmitted)]
    assert sorted(n.person_id or 0 for n in told) == sorted([anna, dace])
    assert told[0].amount == Decimal("12500.00")


async def test_a_signature_waits_for_the_provider_to_confirm_the_very_person() -> None:
    uow = FakeUnitOfWork(company(board_member("Bērziņa Anna", "120584-*****")))
    notifier = FakeNotifier()
    anna, _dace = await _setup(uow)
    app = await _filled(uow, notifier, 43)
    opened = await apps.open_application(
        uow=uow, forms=FORMS, telegram_user_id=42, application_id=app
    )
    digest = apps.hash_of(opened)
    ask = {
        "uow": uow,
        "forms": FORMS,
        "application_id": app,
        "now": NOW,
        "minutes": 5,
        "counts": "others",
    }
    with pytest.raises(MayNotSign):  # Dace is refused before any link is made
        await confirming.request_confirmation(
            telegram_user_id=43,
            content_hash_seen=digest[:16],
            submit=False,
            **ask,  # type: ignore[arg-type]
        )
    issued = await confirming.request_confirmation(
        telegram_user_id=42,
        content_hash_seen=digest[:16],
        submit=True,
        **ask,  # type: ignore[arg-type]
    )
    assert issued.expires_at == NOW + timedelta(minutes=5)
    _c, what = await confirming.what_is_signed(uow=uow, forms=FORMS, token=issued.token, now=NOW)
    assert (
        what.content_hash == digest
        and ("Summa", "Amount", "12 500,00 EUR", "12,500.00 EUR") in what.lines
    )
    later = NOW + timedelta(minutes=6)
    with pytest.raises(IdentityError):  # past its minutes
        await confirming.what_is_signed(uow=uow, forms=FORMS, token=issued.token, now=later)

    begin = {"uow": uow, "token": issued.token, "provider": "fake", "flow_state": {}}
    with pytest.raises(IdentityError):  # someone else's Telegram account uses nothing up
        await confirming.begin_confirmation(
            telegram_user_id=43,
            now=NOW,
            limits=LIMITS,
            **begin,  # type: ignore[arg-type]
        )
    session = await confirming.begin_confirmation(
        telegram_user_id=42,
        now=NOW,
        limits=LIMITS,
        **begin,  # type: ignore[arg-type]
    )
    with pytest.raises(IdentityError):  # once only
        await confirming.begin_confirmation(
            telegram_user_id=42,
            now=NOW,
            limits=LIMITS,
            **begin,  # type: ignore[arg-type]
        )
    flow = await uow.login_flows.consume(digest_of(session), now=NOW)
    assert flow is not None and confirming.is_signature(flow)
    assert confirming.provider_state(flow) == {}

    with pytest.raises(NotThePerson):  # the provider confirmed Dace, not Anna
        await confirming.confirm_signature(
            uow=uow,
            notifier=notifier,
            forms=FORMS,
            flow=flow,
            identity=DACE,
            now=NOW,
            counts="others",
        )
    assert await uow.applications.signatures(app) == []
    confirmed = await confirming.confirm_signature(
        uow=uow, notifier=notifier, forms=FORMS, flow=flow, identity=ANNA, now=NOW, counts="others"
    )
    assert confirmed.submitted and confirmed.state.signed == (anna,)
    assert await uow.applications.purge_confirmations(now=NOW) == 1


async def test_a_natural_person_client_signs_for_themselves_alone() -> None:
    uow = FakeUnitOfWork()
    anna = (await linked(uow, 42, ANNA)).person
    client_id = await uow.clients.create(
        NewClient(
            kind=ClientKind.NATURAL_PERSON,
            name="Anna Bērziņa",
            registration_number=None,
            personal_code=anna.personal_code,
            legal_form=None,
            address=None,
            email="",
            phone="",
            representation_rule=None,
            representation_with_at_least=None,
            voice_password_hash=None,
            terms_version=None,
            terms_accepted_at=None,
        )
    )
    await uow.clients.add_membership(
        person_id=anna.id, client_id=client_id, role=Role.MAIN, is_signatory=True
    )
    rule = await apps.signing_rule(uow=uow, client_id=client_id, counts="others")
    assert rule.rules == {anna.id: RepresentationRule("individually")}
    assert rule.met([anna.id]) and rule.pending([]) == (anna.id,)
