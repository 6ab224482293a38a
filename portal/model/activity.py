"""Audit: every state change leaves an activity event, with who and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    ACCOUNT_CREATED = "account.created"
    LANGUAGE_CHANGED = "account.language_changed"
    LOGIN_LINK_ISSUED = "login.link_issued"
    LINKED = "person.linked"
    UNLINKED = "person.unlinked"
    CLIENT_SWITCHED = "client.switched"
    CLIENT_ACCESS_LOST = "client.access_lost"
    REGISTRATION_SUBMITTED = "client.registration_submitted"
    REGISTERED = "client.registered"
    CONFIRMED = "client.confirmed"
    UPDATE_QUARANTINED = "update.quarantined"
    UPDATE_RETRIED = "update.retried"
    UPDATE_DROPPED = "update.dropped"
    # ALTUM's side, through the back-office API (the actor names the token).
    CLIENT_OPENED = "client.opened"
    CONSULTANT_SET = "client.consultant_set"
    REGISTRATION_APPROVED = "client.registration_approved"
    REGISTRATION_REJECTED = "client.registration_rejected"
    USER_ADDED = "user.added"
    USER_CHANGED = "user.changed"
    DEAL_ADDED = "deal.added"
    DEAL_UPDATED = "deal.updated"
    INVOICE_ADDED = "invoice.added"
    INVOICE_UPDATED = "invoice.updated"
    # Applications (issue 9).
    APPLICATION_STARTED = "application.started"
    APPLICATION_EDITED = "application.edited"
    APPLICATION_DISCARDED = "application.discarded"
    APPLICATION_SENT_FOR_SIGNING = "application.sent_for_signing"
    SIGNATURE_ADDED = "signature.added"
    SIGNATURE_REFUSED = "signature.refused"
    SIGNATURES_VOIDED = "signature.voided"
    APPLICATION_SUBMITTED = "application.submitted"
    APPLICATION_WITHDRAWN = "application.withdrawn"
    APPLICATION_STATUS_SET = "application.status_set"
    # Messages with ALTUM and documents.
    MESSAGE_DRAFTED = "message.drafted"
    MESSAGE_SENT = "message.sent"
    MESSAGE_RECEIVED = "message.received"
    MESSAGES_READ = "message.read"
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_ARCHIVED = "document.archived"
    # The person's own contacts («Profils»).
    PHONE_CHANGED = "profile.phone_changed"
    EMAIL_REQUESTED = "profile.email_requested"
    EMAIL_CONFIRMED = "profile.email_confirmed"
    # «Anketas»: a questionnaire submitted to ALTUM (its draft is an application row).
    QUESTIONNAIRE_SUBMITTED = "questionnaire.submitted"
    # Reminders and notification preferences (portal/reminders.py).
    REMINDER_SNOOZED = "reminder.snoozed"
    NOTIFICATIONS_CHANGED = "person.notifications_changed"


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """Audit: every state change leaves one, with who and when."""

    action: Action
    telegram_user_id: int | None = None
    person_id: int | None = None
    client_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    actor: str | None = None  # `api:<token name>` when ALTUM's systems did it
