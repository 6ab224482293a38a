"""The push and reminder settings: read once, refused when wrong, handed on as one policy."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_the_defaults_make_the_policy_the_issue_asks_for() -> None:
    settings = Settings(_env_file=None)
    policy = settings.reminder_policy
    assert settings.push_rate_per_second == 25
    assert policy.quiet_hours is not None
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == (time(21, 0), time(8, 0))
    assert (policy.first_delay, policy.repeat, policy.max_count) == (
        timedelta(minutes=60),
        timedelta(hours=24),
        3,
    )
    assert policy.invoice_days_before == 3


def test_no_quiet_hours_is_a_choice() -> None:
    assert Settings(_env_file=None, reminder_quiet_hours="").reminder_policy.quiet_hours is None


@pytest.mark.parametrize(
    "values",
    [
        {"reminder_quiet_hours": "21-08"},
        {"reminder_quiet_hours": "08:00-08:00"},
        {"push_rate_per_second": 31},
        {"push_rate_per_second": 0},
        {"reminder_max_count": 0},
    ],
)
def test_wrong_values_stop_start_up(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **values)  # type: ignore[arg-type]
