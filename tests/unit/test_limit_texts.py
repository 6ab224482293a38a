"""Texts that name a time limit say the configured one, in the right Latvian form, and the
limits come from the settings alone (IDENTITY_LOGIN_LINK_MINUTES was not wired before)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import create_i18n
from bot.settings import Settings
from dialogs.login import link_message, refusal_text
from dialogs.registration_texts import confirmation_email
from portal.identity import Refusal
from portal.model import TimeLimits


def limits(*, link: int = 10, hours: int = 24) -> TimeLimits:
    return TimeLimits(
        login_link=timedelta(minutes=link),
        login_flow=timedelta(minutes=10),
        confirmation=timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("minutes", "latvian", "english"),
    [
        (1, "vienu reizi, 1 minūti un", "once, for 1 minute, and"),
        (3, "vienu reizi, 3 minūtes un", "once, for 3 minutes, and"),
        (10, "vienu reizi, 10 minūtes un", "once, for 10 minutes, and"),
    ],
)
def test_the_login_link_says_how_long_it_works(minutes: int, latvian: str, english: str) -> None:
    i18n = create_i18n()
    with i18n.context():
        with i18n.use_locale("lv"):
            assert latvian in link_message(limits(link=minutes))
            expired = refusal_text(Refusal.EXPIRED_LINK, limits(link=minutes))
            assert f"vecāka par {minutes} minūt" in expired
        with i18n.use_locale("en"):
            assert english in link_message(limits(link=minutes))
            assert f"older than {minutes} minute" in refusal_text(
                Refusal.EXPIRED_LINK, limits(link=minutes)
            )


@pytest.mark.parametrize(
    ("hours", "latvian", "english"),
    [
        (1, "pēc 1 stundas", "in 1 hour."),
        (21, "pēc 21 stundas", "in 21 hours."),
        (48, "pēc 48 stundām", "in 48 hours."),
    ],
)
def test_the_confirmation_email_says_when_its_link_expires(
    hours: int, latvian: str, english: str
) -> None:
    i18n = create_i18n()
    with i18n.context():
        with i18n.use_locale("lv"):
            assert latvian in confirmation_email("SIA X", "https://x/confirm/t", hours=hours)[1]
        with i18n.use_locale("en"):
            assert english in confirmation_email("SIA X", "https://x/confirm/t", hours=hours)[1]


def test_every_limit_comes_from_the_settings() -> None:
    settings = Settings.model_validate(
        {
            "identity": {"login_link_minutes": 3, "login_flow_minutes": 15},
            "registration": {"confirmation_hours": 48},
        }
    )
    assert settings.limits == TimeLimits(
        login_link=timedelta(minutes=3),
        login_flow=timedelta(minutes=15),
        confirmation=timedelta(hours=48),
    )
