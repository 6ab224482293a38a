"""Signature reminders follow the signing: sending for signing schedules one per signer still
needed (never the sender, never a non-representative), a signature or a refusal ends that
signer's, and an edit, a withdrawal or the rule being met ends them all. In memory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fakes import FakeNotifier, FakeUnitOfWork
from service_support import NOW, company
from test_service_application_lifecycle import DACE, JANIS, PETERIS, Lifecycle, officer
from test_service_applications import FORMS, _filled, _setup_people

from portal import applications as apps
from portal.model import Decision, ReminderKind, ReminderPolicy

POLICY = ReminderPolicy(quiet_hours=None, first_delay=timedelta(minutes=30), max_count=2)


async def test_reminders_start_with_sending_and_end_with_each_decision_or_change() -> None:
    uow = FakeUnitOfWork(
        company(officer("Kalniņš Jānis", "030379-*****"), officer("Ozols Pēteris", "329876-*****"))
    )
    notifier = FakeNotifier()
    people = await _setup_people(uow, Lifecycle.people_identities())
    app = await _filled(uow, notifier, DACE)

    def common(chat: int) -> dict[str, object]:
        return {
            "uow": uow,
            "notifier": notifier,
            "forms": FORMS,
            "telegram_user_id": chat,
            "application_id": app,
            "now": NOW,
            "counts": "others",
        }

    def reminded() -> dict[int, object]:
        return {r.person_id: r.due_at for r in uow.reminders.rows.values()}

    async def sign(chat: int, decision: Decision = Decision.SIGNED) -> apps.SigningState:
        opened = await apps.open_application(
            uow=uow, forms=FORMS, telegram_user_id=chat, application_id=app
        )
        return await apps.decide(
            content_hash_seen=apps.hash_of(opened)[:16],
            decision=decision,
            reason=None if decision is Decision.SIGNED else "Not this month",
            **common(chat),  # type: ignore[arg-type]
        )

    # Dace prepares and sends; she signs nothing, so only the two board members are reminded,
    # first half an hour later, as the signature kind with the form's title.
    await apps.send_for_signing(reminders=POLICY, **common(DACE))  # type: ignore[arg-type]
    assert reminded() == {
        people[JANIS]: NOW + POLICY.first_delay,
        people[PETERIS]: NOW + POLICY.first_delay,
    }
    assert {r.kind for r in uow.reminders.rows.values()} == {ReminderKind.SIGNATURE}
    assert {r.details["title"] for r in uow.reminders.rows.values()} == {
        "Naudas līdzekļu izsniegšana"
    }
    # Jānis signs: his reminder ends, Pēteris's stays.
    await sign(JANIS)
    assert set(reminded()) == {people[PETERIS]}
    # An edit voids the signature and ends every reminder; sending again starts them over.
    opened = await apps.open_application(
        uow=uow, forms=FORMS, telegram_user_id=DACE, application_id=app
    )
    await apps.save_answers(
        answers={**opened.answers, "amount": Decimal("12000")},
        current_field=None,
        **common(DACE),  # type: ignore[arg-type]
    )
    assert reminded() == {}
    await apps.send_for_signing(reminders=POLICY, **common(DACE))  # type: ignore[arg-type]
    assert set(reminded()) == {people[JANIS], people[PETERIS]}
    # A refusal ends the refuser's; the rule met ends the rest.
    await sign(PETERIS, Decision.REFUSED)
    assert set(reminded()) == {people[JANIS]}
    await apps.withdraw(**common(DACE))  # type: ignore[arg-type]
    assert reminded() == {}
    app = await _filled(uow, notifier, DACE)  # a withdrawn one is final: a new one
    await apps.send_for_signing(reminders=POLICY, **common(DACE))  # type: ignore[arg-type]
    await sign(JANIS)
    state = await sign(PETERIS)
    assert state.met and reminded() == {}
    # Without a policy (a runtime with reminders off), nothing is scheduled.
    other = await _filled(uow, notifier, DACE)
    await apps.send_for_signing(**{**common(DACE), "application_id": other})  # type: ignore[arg-type]
    assert reminded() == {}
