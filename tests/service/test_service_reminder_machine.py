"""A hypothesis state machine over reminders with fakes and a clock that only moves forward:
whatever is scheduled, cancelled, snoozed or turned off, and whenever the scheduler runs, no
reminder is told in quiet hours, none of a kind turned off, none after its key was cancelled,
and none more often than its count allows (a snoozed one does not count)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fakes import FakeNotifier, FakeUnitOfWork
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from service_support import client_of, linked

from portal import quiet_hours
from portal.model import NewReminder, ReminderDue, ReminderKind, ReminderPolicy
from portal.reminders import fire_due, snooze

QUIET = quiet_hours.parse("21:00-08:00")
POLICY = ReminderPolicy(quiet_hours=QUIET)
START = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
KEYS = [f"signature:{n}:" for n in range(3)]
T = TypeVar("T")


class Reminders(RuleBasedStateMachine):
    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """The fakes are async; the state machine's rules are not."""
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.loop.close()

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.uow, self.notifier = FakeUnitOfWork(), FakeNotifier()
        self.person = self.run(linked(self.uow)).person.id
        self.client = self.run(client_of(self.uow, self.person, "Ozolkalna Koks"))
        self.now = START
        self.max_count: dict[str, int] = {}
        self.cancelled: set[str] = set()
        self.snoozes: Counter[str] = Counter()
        self.told: list[tuple[datetime, str, str]] = []  # when, key, kind
        self.off_when_told: list[bool] = []

    @rule(
        key=st.sampled_from(KEYS),
        kind=st.sampled_from(list(ReminderKind)),
        delay=st.integers(0, 48 * 60),
        repeat=st.sampled_from([None, 60, 24 * 60]),
        count=st.integers(1, 3),
    )
    def schedule(
        self, key: str, kind: ReminderKind, delay: int, repeat: int | None, count: int
    ) -> None:
        self.run(
            self.uow.reminders.schedule(
                NewReminder(
                    key=key,
                    kind=kind,
                    person_id=self.person,
                    client_id=self.client,
                    due_at=self.now + timedelta(minutes=delay),
                    repeat=None if repeat is None else timedelta(minutes=repeat),
                    max_count=count,
                ),
                now=self.now,
            )
        )
        self.max_count[key] = count
        self.cancelled.discard(key)
        self.told = [t for t in self.told if t[1] != key]  # a new schedule counts anew
        self.snoozes[key] = 0

    @rule(key=st.sampled_from(KEYS))
    def cancel(self, key: str) -> None:
        self.run(self.uow.reminders.cancel_prefix(key))
        self.cancelled.add(key)

    @rule(kind=st.sampled_from(list(ReminderKind)), on=st.booleans())
    def prefer(self, kind: ReminderKind, on: bool) -> None:
        prefs = self.run(self.uow.notification_preferences.get(self.person))
        enabled = prefs.enabled | {kind} if on else prefs.enabled - {kind}
        self.run(
            self.uow.notification_preferences.save(replace(prefs, enabled=enabled), now=self.now)
        )

    @rule(key=st.sampled_from(KEYS))
    def snooze_it(self, key: str) -> None:
        row = self.run(self.uow.reminders.of_key(key))
        if row is None:
            return
        self.run(
            snooze(
                uow=self.uow, person_id=self.person, reminder_id=row.id, policy=POLICY, now=self.now
            )
        )
        if row.sent_count > 0:
            self.snoozes[key] += 1

    @rule(minutes=st.integers(1, 36 * 60))
    def time_passes_and_the_scheduler_runs(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        before = len(self.notifier.notices)
        enabled = self.run(self.uow.notification_preferences.get(self.person)).enabled
        self.run(fire_due(uow=self.uow, notifier=self.notifier, policy=POLICY, now=self.now))
        for notice in self.notifier.notices[before:]:
            assert isinstance(notice, ReminderDue)
            row = next(r for r in self.uow.reminders.rows.values() if r.id == notice.reminder_id)
            self.told.append((self.now, row.key, notice.kind))
            assert ReminderKind(notice.kind) in enabled

    @invariant()
    def never_in_quiet_hours(self) -> None:
        assert not any(quiet_hours.is_quiet(at, QUIET) for at, _, _ in self.told)

    @invariant()
    def never_more_than_its_count(self) -> None:
        counts = Counter(key for _, key, _ in self.told)
        for key, count in counts.items():
            assert count <= self.max_count[key] + self.snoozes[key]

    @invariant()
    def nothing_after_a_cancel(self) -> None:
        for key in self.cancelled:
            assert self.run(self.uow.reminders.of_key(key)) is None


Reminders.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestReminders = Reminders.TestCase
