"""Applications (the portal's «Pieteikumi»): a form filled for a client, its signatures and its
status as ALTUM decides it (docs/architecture.md, "Applications and signing")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from portal.model.errors import Conflict
from portal.model.notices import Notice


class ApplicationStatus(StrEnum):
    DRAFT = "draft"  # «Melnraksts»: being filled, editable
    SENT_FOR_SIGNING = "sent_for_signing"  # «Nosūtīts parakstīšanai»
    SUBMITTED = "submitted"  # «Iesniegts»: sent to ALTUM
    IN_REVIEW = "in_review"  # «Izskatīšanā»
    INFO_NEEDED = "info_needed"  # «Nepieciešama papildu informācija»
    APPROVED = "approved"  # «Apstiprināts»
    REJECTED = "rejected"  # «Noraidīts»
    WITHDRAWN = "withdrawn"  # «Atsaukts»: the preparer took it back before submission


# What the client side may still change; everything after submission is ALTUM's.
OPEN = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.SENT_FOR_SIGNING})
# What ALTUM may set through the back-office API, once the application reached it.
ALTUM_STATUSES = frozenset(
    {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.INFO_NEEDED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
    }
)


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    id: int
    client_id: int
    form_id: str
    form_version: int
    status: ApplicationStatus
    answers: dict[str, Any]  # `encode_answers` JSON: the whole draft, skips and hidden kept
    prepared_by: int  # person id
    created_at: datetime
    updated_at: datetime
    deal_number: str | None = None
    current_field: str | None = None  # where the dialog stopped: a draft resumes there
    content_hash: str | None = None  # fixed when sent for signing or submitted
    submitted_at: datetime | None = None
    comment: str | None = None  # ALTUM's last comment with a status
    revision: int = 0  # bumped on every change: a signature names the revision it saw


@dataclass(frozen=True, slots=True)
class NewApplication:
    client_id: int
    form_id: str
    form_version: int
    prepared_by: int
    deal_number: str | None
    now: datetime


class Decision(StrEnum):
    SIGNED = "signed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    application_id: int
    person_id: int
    decision: Decision
    content_hash: str  # what was signed (or refused): the canonical content's SHA-256
    at: datetime
    reason: str | None = None
    void: bool = False  # an edit after it voided it


@dataclass(frozen=True, slots=True)
class ApplicationPage:
    items: list[ApplicationRecord]
    next_before: int | None  # keyset: the id to page on from, None at the end


@dataclass(frozen=True, slots=True)
class Signer:
    """A linked user of the client whom the Company Register lets sign, with their rule."""

    person_id: int
    name: str
    rule_kind: str  # individually | with_all | with_at_least
    needed: int  # how many must sign together when this one signs (this one included)


@dataclass(frozen=True, slots=True)
class SignatureConfirmation:
    """A signature waiting for a fresh identity confirmation at the provider: a one-time link
    (only its SHA-256 kept) bound to the Telegram user, the application and the exact content."""

    token_hash: str
    telegram_user_id: int
    application_id: int
    client_id: int
    content_hash: str
    submit: bool  # a sole signatory's «Parakstīt un iesniegt»: submitted once signed
    created_at: datetime
    expires_at: datetime


class ApplicationNotFound(Exception):
    """No such application of the chat's current client (or a stale button)."""


class NotEditable(Exception):
    """The application is no longer open for that (submitted, withdrawn, signing moved on)."""


class MayNotSign(Exception):
    """The Company Register does not make this person a signatory of the client."""


class RuleNotMet(Exception):
    """Submission needs signatures the representation rule still lacks."""


class FormIncomplete(Exception):
    """The server's own check of the whole form found problems (field ids in `fields`)."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class NotThePerson(Exception):
    """The identity provider confirmed someone else than the person linked to this chat."""


class StatusNotAllowed(Conflict):
    def __init__(self, detail: str) -> None:
        super().__init__("status_not_allowed", detail)


# --- notices ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationStatusChanged(Notice):
    client_name: str = ""
    application_id: int = 0
    form_title_lv: str = ""
    form_title_en: str = ""
    status: ApplicationStatus = ApplicationStatus.SUBMITTED
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureRequested(Notice):
    """To a signer: the summary and «Parakstīt» / «Atteikt»."""

    client_name: str = ""
    application_id: int = 0
    form_title_lv: str = ""
    form_title_en: str = ""
    prepared_by: str = ""
    # (label lv, label en, value lv, value en) of the summary
    lines: tuple[tuple[str, str, str, str], ...] = ()
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class SignaturesVoided(Notice):
    client_name: str = ""
    application_id: int = 0
    form_title_lv: str = ""
    form_title_en: str = ""
    withdrawn: bool = False  # the preparer took it back (else: it was edited)


@dataclass(frozen=True, slots=True)
class SignatureDecided(Notice):
    """To the preparer: someone signed or refused (with the reason)."""

    application_id: int = 0
    form_title_lv: str = ""
    form_title_en: str = ""
    signer: str = ""
    decision: Decision = Decision.SIGNED
    reason: str | None = None
    rule_met: bool = False


@dataclass(frozen=True, slots=True)
class ApplicationSubmitted(Notice):
    client_name: str = ""
    application_id: int = 0
    form_title_lv: str = ""
    form_title_en: str = ""
    amount: Decimal | None = None
    document: StoredDocument | None = None  # the submitted application's PDF, sent with it


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A file the bot made and keeps in the content store, to be sent as a document."""

    sha256: str
    name: str
