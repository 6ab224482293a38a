"""The application lifecycle as a hypothesis state machine over the use cases (in memory):
any order of edits, sending for signing, signing, refusing, submitting and withdrawing by two
«with at least 1» signatories and a user who is no representative. Whatever happens, nothing
is submitted without two valid signatures on the submitted content, the non-representative
never signs, void signatures never count, and a submission happens at most once and is final."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from fakes import FakeNotifier, FakeUnitOfWork
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from service_support import NOW, company, identity
from test_service_applications import FORMS, _filled, _setup_people

from portal import applications as apps
from portal.company_register import Officer
from portal.identity import ProviderIdentity
from portal.model import (
    OPEN,
    ApplicationStatus,
    Decision,
    FormIncomplete,
    MayNotSign,
    NotEditable,
    RuleNotMet,
)

JANIS, PETERIS, DACE = 1, 2, 3  # chats
T = TypeVar("T")
REFUSALS = (NotEditable, MayNotSign, RuleNotMet, FormIncomplete)


def officer(name: str, code: str) -> Officer:
    return Officer(
        name=name,
        code_masked=code,
        position="BOARD_MEMBER",
        governing_body="EXECUTIVE_BOARD",
        representation_type="WITH_AT_LEAST",
        representation_with_at_least=1,
    )


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.uow = FakeUnitOfWork(
            company(
                officer("Kalniņš Jānis", "030379-*****"), officer("Ozols Pēteris", "329876-*****")
            )
        )
        self.notifier = FakeNotifier()
        self.people = self.run(_setup_people(self.uow, self.people_identities()))
        self.app = self.run(_filled(self.uow, self.notifier, DACE))
        self.submissions = 0

    @staticmethod
    def people_identities() -> dict[int, ProviderIdentity]:
        return {
            JANIS: identity(
                subject="PK:03037915671",
                personal_codes=("03037915671",),
                given_name="Jānis",
                family_name="Kalniņš",
                assertion_id="a-1",
            ),
            PETERIS: identity(
                subject="PK:32987612345",
                personal_codes=("32987612345",),
                given_name="Pēteris",
                family_name="Ozols",
                assertion_id="a-2",
            ),
            DACE: identity(
                subject="PK:11026516780",
                personal_codes=("11026516780",),
                given_name="Dace",
                family_name="Egle",
                assertion_id="a-3",
            ),
        }

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def teardown(self) -> None:
        self.loop.close()

    def opened(self) -> apps.Opened:
        return self.run(
            apps.open_application(
                uow=self.uow, forms=FORMS, telegram_user_id=DACE, application_id=self.app
            )
        )

    def common(self, chat: int) -> dict[str, object]:
        return {
            "uow": self.uow,
            "notifier": self.notifier,
            "forms": FORMS,
            "telegram_user_id": chat,
            "application_id": self.app,
            "now": NOW,
            "counts": "others",
        }

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]), cents=st.integers(1, 8_500_000))
    def edit(self, chat: int, cents: int) -> None:
        opened = self.opened()
        answers = {**opened.answers, "amount": Decimal(cents) / 100}
        try:
            self.run(
                apps.save_answers(
                    answers=answers,
                    current_field=None,
                    **self.common(chat),  # type: ignore[arg-type]
                )
            )
        except NotEditable:
            assert opened.application.status not in OPEN

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]))
    def send(self, chat: int) -> None:
        with contextlib.suppress(*REFUSALS):
            self.run(apps.send_for_signing(**self.common(chat)))  # type: ignore[arg-type]

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]), refuse=st.booleans())
    def decide(self, chat: int, refuse: bool) -> None:
        digest = apps.hash_of(self.opened())
        try:
            self.run(
                apps.decide(
                    content_hash_seen=digest,
                    decision=Decision.REFUSED if refuse else Decision.SIGNED,
                    reason="no" if refuse else None,
                    **self.common(chat),  # type: ignore[arg-type]
                )
            )
        except MayNotSign:
            assert chat == DACE
        except REFUSALS:
            pass

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]))
    def submit(self, chat: int) -> None:
        try:
            _record, first = self.run(apps.submit(**self.common(chat)))  # type: ignore[arg-type]
        except REFUSALS:
            return
        self.submissions += int(first)
        event("submitted" if first else "submitted again")

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]))
    def both_sign_and_submit(self, chat: int) -> None:
        """The happy path as one step, so that submissions meet the other steps often."""
        self.decide(JANIS, refuse=False)
        self.decide(PETERIS, refuse=False)
        self.submit(chat)

    @rule(chat=st.sampled_from([JANIS, PETERIS, DACE]))
    def withdraw(self, chat: int) -> None:
        with contextlib.suppress(NotEditable):
            self.run(apps.withdraw(**self.common(chat)))  # type: ignore[arg-type]

    @invariant()
    def submitted_only_with_the_rule_met_on_its_content(self) -> None:
        record = self.run(self.uow.applications.by_id(self.app))
        assert record is not None
        signatures = self.run(self.uow.applications.signatures(self.app))
        dace = self.people[DACE]
        assert all(not (s.person_id == dace and s.decision is Decision.SIGNED) for s in signatures)
        if record.status is ApplicationStatus.SUBMITTED:
            valid = {
                s.person_id
                for s in signatures
                if not s.void
                and s.decision is Decision.SIGNED
                and s.content_hash == record.content_hash
            }
            assert valid == {self.people[JANIS], self.people[PETERIS]}
            assert record.content_hash == apps.hash_of(self.opened())
        assert self.submissions == (1 if record.status is ApplicationStatus.SUBMITTED else 0)


Lifecycle.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
TestLifecycle = Lifecycle.TestCase


def test_the_flow_a_notice_reaches_signers() -> None:
    """A smoke check of the machine's set-up: the preparer's send asks both signatories."""
    machine = Lifecycle()
    try:
        machine.send(DACE)
        asked = {getattr(n, "person_id", None) for n in machine.notifier.notices}
        assert asked == {machine.people[JANIS], machine.people[PETERIS]}
    finally:
        machine.teardown()
