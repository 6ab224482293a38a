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


# --- what an event of the client's log says («Informācija») ---------------------------------

_ACTIONS: dict[str, Callable[[], str]] = {
    "user.added": lambda: _("gave access to a user"),
    "user.changed": lambda: _("changed a user"),
    "deal.added": lambda: _("new deal"),
    "deal.updated": lambda: _("deal updated"),
    "invoice.added": lambda: _("new invoice"),
    "invoice.updated": lambda: _("invoice updated"),
    "client.registered": lambda: _("registration submitted"),
    "client.confirmed": lambda: _("registration confirmed by e-mail"),
    "client.opened": lambda: _("client opened in the bot"),
    "client.consultant_set": lambda: _("consultant assigned"),
    "client.registration_approved": lambda: _("registration approved"),
    "client.registration_rejected": lambda: _("registration rejected"),
    "client.switched": lambda: _("started acting for the client"),
    "client.access_lost": lambda: _("lost access to the client"),
    "person.linked": lambda: _("logged in to the bot"),
    "person.unlinked": lambda: _("logged out of the bot"),
    "questionnaire.submitted": lambda: _("submitted a questionnaire"),
    "reminder.snoozed": lambda: _("postponed a reminder to the morning"),
    "application.started": lambda: _("started an application"),
    "application.edited": lambda: _("changed an application"),
    "application.discarded": lambda: _("deleted a draft application"),
    "application.sent_for_signing": lambda: _("sent an application for signing"),
    "signature.added": lambda: _("signed an application"),
    "signature.refused": lambda: _("refused to sign an application"),
    "signature.voided": lambda: _("signatures voided by a change"),
    "application.submitted": lambda: _("submitted an application to ALTUM"),
    "application.withdrawn": lambda: _("withdrew an application"),
    "application.status_set": lambda: _("application status changed"),
    "message.drafted": lambda: _("saved a message draft"),
    "message.sent": lambda: _("sent a message to ALTUM"),
    "message.received": lambda: _("message from ALTUM"),
    "message.read": lambda: _("read ALTUM's messages"),
    "document.uploaded": lambda: _("sent a document"),
    "document.archived": lambda: _("document added to the archive"),
}


def action_text(action: str, details: Mapping[str, Any]) -> str:
    """What happened, in words: `user.changed` with a new status says which."""
    what = _ACTIONS.get(action)
    text = what() if what else action
    status = details.get("status")
    if action == "user.changed" and isinstance(status, Mapping):
        if status.get("to") == "blocked" and status.get("from") != "blocked":
            text = _("blocked a user")
        elif status.get("to") == "active" and status.get("from") == "blocked":
            text = _("restored a user")
    if action == "person.linked" and (means := login_means_text(details)):
        text = f"{text} ({means})"
    number = details.get("invoice") or details.get("deal")
    if isinstance(number, str) and action.startswith(("deal.", "invoice.")):
        text = f"{text} {number}"
    return text
