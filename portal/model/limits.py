"""How long what the portal hands out keeps working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MAX_LOGIN_LINK_MINUTES = 10  # a login link is a bearer secret while it lives: never longer


@dataclass(frozen=True, slots=True)
class TimeLimits:
    """How long what the portal hands out keeps working. Built once from the settings
    (`bot.settings.Settings.limits`) and passed to the use cases and to the texts that
    name them, so a limit is configured in one place."""

    login_link: timedelta  # the one-time link /login sends
    login_flow: timedelta  # the browser's round trip through the identity provider
    confirmation: timedelta  # the e-mail link that confirms a registration

    def __post_init__(self) -> None:
        for name in ("login_link", "login_flow", "confirmation"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if self.login_link > timedelta(minutes=MAX_LOGIN_LINK_MINUTES):
            raise ValueError(f"a login link lives at most {MAX_LOGIN_LINK_MINUTES} minutes")
