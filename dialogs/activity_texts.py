"""Words for the activity log ("klienta veiktās darbības"): how a person logged in.

The login's activity event keeps what the provider said (`portal.linking.login_details`):
`provider`, and from Latvija.lv `authentication_method` (the `AuthenticationMethod` of the
assertion, e.g. `urn:ivis:100001:am-swedbank`, or a bare `SWEDBANK`) and `assurance_level`
(`citizenQAALevel`). The information section shows them with `login_means_text`.

Latvija.lv's method identifiers are not published in full (docs/architecture.md): a method is
recognised by a known word in its last part, and anything else is shown as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from aiogram.utils.i18n import gettext as _

# (word in the identifier, its name); the first match wins, so eIDAS precedes the eID card.
_METHODS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("swedbank", lambda: _("Swedbank internet bank")),
    ("seb", lambda: _("SEB internet bank")),
    ("citadele", lambda: _("Citadele internet bank")),
    ("luminor", lambda: _("Luminor internet bank")),
    ("eidas", lambda: _("eID of another EU country (eIDAS)")),
    ("eid", lambda: _("eID card")),
    ("eparaksts", lambda: _("eParaksts mobile")),
    ("smartid", lambda: _("Smart-ID")),
)
_WORD = re.compile(r"[a-z0-9]+")


def authentication_method_name(method: str) -> str:
    """`urn:ivis:100001:am-swedbank` → «Swedbank internetbanka»; unknown ones as they came."""
    last = method.strip().lower().rsplit(":", 1)[-1].removeprefix("am-")
    words = set(_WORD.findall(last)) | {"".join(_WORD.findall(last))}  # smart-id → smartid
    for word, name in _METHODS:
        if word in words:
            return name()
    return method.strip()


def assurance_level_words(level: str) -> str:
    """`citizenQAALevel` 1–4 (STORK QAA) in words: «4 (augsts)»."""
    words = {
        "1": lambda: _("minimal"),
        "2": lambda: _("low"),
        "3": lambda: _("substantial"),
        "4": lambda: _("high"),
    }.get(level.strip())
    return f"{level.strip()} ({words()})" if words else level.strip()


def login_means_text(details: Mapping[str, Any]) -> str:
    """One line for a login event: the means and the assurance level, whichever are known."""
    method = str(details.get("authentication_method") or "")
    level = str(details.get("assurance_level") or "")
    parts = []
    if method:
        parts.append(
            _("Means of authentication: {means}").format(means=authentication_method_name(method))
        )
    if level:
        parts.append(_("assurance level {level}").format(level=assurance_level_words(level)))
    return ", ".join(parts)
