"""Applications: drafts filled question by question, signing by the Company Register's rule,
submission to ALTUM and ALTUM's statuses (docs/architecture.md, "Applications and signing").

The chat's use cases act for the chat's current client, checked again on every call, and load
an application only through a query scoped to that client, so an id from a forged button names
nothing of another client. Signing and submitting lock the application's row: two signers or
a double tap decide one after the other, and the second sees what the first did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal import feed
from portal.application_document import value_text
from portal.application_pdf import Printing, store_submitted_pdf
from portal.clients import acting_for
from portal.forms import (
    Answers,
    AttachmentRef,
    FieldType,
    Form,
    FormCatalogue,
    FormKind,
    Value,
    content_hash,
    decode_answers,
    encode_answers,
    summary,
    validate_form,
)
from portal.identity import NaturalPerson
from portal.model import (
    ALTUM_STATUSES,
    OPEN,
    Action,
    ActivityEvent,
    ApplicationNotFound,
    ApplicationPage,
    ApplicationRecord,
    ApplicationStatus,
    ApplicationSubmitted,
    ClientAccess,
    ClientKind,
    DealStatus,
    Decision,
    EventType,
    FormIncomplete,
    Invalid,
    MayNotSign,
    NewApplication,
    NotEditable,
    ReminderPolicy,
    RuleNotMet,
    SignatureDecided,
    SignatureRecord,
    SignatureRequested,
    SignaturesVoided,
)
from portal.ports import Notifier, UnitOfWork
from portal.reminders import cancel_signature_reminders, schedule_signature_reminder
from portal.review import ensure_may_sign
from portal.signing import Counts, SigningRule, company_rule, own_rule

RIGA = ZoneInfo("Europe/Riga")
PAGE = 5  # «Pieteikumu saraksts»: applications per page
S = ApplicationStatus


@dataclass(frozen=True, slots=True)
class Opened:
    application: ApplicationRecord
    form: Form
    answers: dict[str, Value | None]
    access: ClientAccess
    person_id: int


@dataclass(frozen=True, slots=True)
class SigningState:
    rule: SigningRule
    signed: tuple[int, ...]  # valid signatures of the current content
    refused: tuple[int, ...]
    met: bool

    def may_sign(self, person_id: int) -> bool:
        return person_id in self.rule.rules


def pending_signers(state: SigningState) -> tuple[int, ...]:
    """Who still has to sign (for the chat's prompts and, later, the reminders): nobody once
    the rule is met; never someone who signed or refused this content."""
    return state.rule.pending(state.signed, state.refused)


async def awaiting_signature(
    *, uow: UnitOfWork, person_id: int, client_id: int, counts: Counts
) -> int:
    """How many of the client's applications wait for this person's signature (the main
    menu's header). Few are ever out for signing at once; a hundred is plenty to count."""
    sent = await uow.applications.page(
        client_id, before=None, limit=100, statuses=frozenset({S.SENT_FOR_SIGNING})
    )
    waiting = 0
    for application in sent.items:
        state = await signing_state(uow=uow, application=application, counts=counts)
        waiting += person_id in pending_signers(state)
    return waiting


async def _load(
    uow: UnitOfWork, forms: FormCatalogue, telegram_user_id: int, application_id: int, *, lock: bool
) -> Opened:
    person_id, access = await acting_for(uow=uow, telegram_user_id=telegram_user_id)
    repo = uow.applications
    found = await (repo.lock if lock else repo.get)(access.client_id, application_id)
    if found is None:
        raise ApplicationNotFound
    form = forms.get(found.form_id, found.form_version)
    return Opened(found, form, decode_answers(form, found.answers), access, person_id)


async def open_application(
    *, uow: UnitOfWork, forms: FormCatalogue, telegram_user_id: int, application_id: int
) -> Opened:
    return await _load(uow, forms, telegram_user_id, application_id, lock=False)


def about(application: ApplicationRecord) -> dict[str, str]:
    """What the content is about: a signature cannot be moved to another client or deal."""
    return {"client": str(application.client_id), "deal": application.deal_number or ""}


def hash_of(opened: Opened) -> str:
    """The content hash of the answers as they are now (what a signature would bind)."""
    return content_hash(opened.form, opened.answers, about=about(opened.application))


async def form_context(
    *, uow: UnitOfWork, application: ApplicationRecord, now: datetime
) -> dict[str, object]:
    """The run-time values the form's rules may name: today in Riga and the deal's amounts."""
    context: dict[str, object] = {"today": now.astimezone(RIGA).date()}
    if application.deal_number is not None:
        deal = await uow.deals.get(application.client_id, application.deal_number)
        if deal is None:
            raise ApplicationNotFound
        context["deal.amount"] = deal.data.amount
        context["deal.undrawn_balance"] = deal.data.balance
    return context


async def start_application(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    form: Form,
    now: datetime,
    deal_number: str | None = None,
) -> ApplicationRecord:
    """«Jauns pieteikums» (or a deal's new application): an empty draft of the current client."""
    person_id, access = await acting_for(uow=uow, telegram_user_id=telegram_user_id)
    if (form.kind is FormKind.DEAL_APPLICATION) != (deal_number is not None):
        raise Invalid("deal_number", "a deal application needs its deal, no other form one")
    if deal_number is not None:
        deal = await uow.deals.get(access.client_id, deal_number)
        if deal is None or deal.data.status is not DealStatus.ACTIVE:
            raise ApplicationNotFound
    record = await uow.applications.add(
        NewApplication(access.client_id, form.id, form.version, person_id, deal_number, now)
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.APPLICATION_STARTED,
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            client_id=access.client_id,
            occurred_at=now,
            details={"application": record.id, "form": form.id, "version": form.version},
        )
    )
    return record


async def save_answers(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    answers: Answers,
    current_field: str | None,
    now: datetime,
    counts: Counts,
) -> ApplicationRecord:
    """Every answer is stored as it is given (and where the dialog is, so a draft resumes
    there). A change of content while signatures are being collected voids them and tells
    the signers; the application is a draft again."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    application = opened.application
    if application.status not in OPEN:
        raise NotEditable
    encoded = encode_answers(opened.form, answers)
    changed = encoded != application.answers
    updated = replace(application, answers=encoded, current_field=current_field, updated_at=now)
    if changed:
        updated = replace(updated, revision=application.revision + 1)
        await uow.activity.record(
            ActivityEvent(
                action=Action.APPLICATION_EDITED,
                telegram_user_id=telegram_user_id,
                person_id=opened.person_id,
                client_id=application.client_id,
                occurred_at=now,
                details={"application": application.id, "field": current_field},
            )
        )
        if application.status is S.SENT_FOR_SIGNING or application.content_hash is not None:
            updated = replace(updated, status=S.DRAFT, content_hash=None)
            await _void(
                uow, notifier, opened, now=now, telegram_user_id=telegram_user_id, counts=counts
            )
    await uow.applications.save(updated)
    return updated


async def _void(
    uow: UnitOfWork,
    notifier: Notifier,
    opened: Opened,
    *,
    now: datetime,
    telegram_user_id: int,
    counts: Counts,
    withdrawn: bool = False,
) -> None:
    application = opened.application
    await cancel_signature_reminders(uow=uow, application_id=application.id)
    voided = await uow.applications.void_signatures(application.id)
    if voided:
        await uow.activity.record(
            ActivityEvent(
                action=Action.SIGNATURES_VOIDED,
                telegram_user_id=telegram_user_id,
                person_id=opened.person_id,
                client_id=application.client_id,
                occurred_at=now,
                details={"application": application.id, "count": len(voided)},
            )
        )
    told = {s.person_id for s in voided if s.decision is Decision.SIGNED}
    if application.status is S.SENT_FOR_SIGNING:
        state = await signing_state(uow=uow, application=application, counts=counts)
        told |= set(pending_signers(state))
    for person_id in sorted(told - {opened.person_id}):
        await notifier.notify(
            SignaturesVoided(
                person_id=person_id,
                client_name=opened.access.name,
                application_id=application.id,
                form_title_lv=opened.form.title.lv,
                form_title_en=opened.form.title.en,
                withdrawn=withdrawn,
            )
        )


async def discard(
    *,
    uow: UnitOfWork,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    now: datetime,
) -> None:
    """«Atcelt» on a draft nobody signed: it is deleted, and with it the files uploaded into
    it: they were the draft's, so they leave the client's documents too — unless something
    else still names them (another application's answers, as a questionnaire carried over
    from its last submission, a message, a deal)."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    if opened.application.status is not S.DRAFT:
        raise NotEditable
    client_id = opened.access.client_id
    await uow.applications.delete(client_id, application_id)
    attached = attached_documents(opened.form, opened.answers)
    kept = await uow.applications.documents_in_use(client_id, attached)
    dropped = await uow.messages.drop_documents(
        client_id, sorted(int(d) for d in attached - kept if d.isdigit())
    )
    await uow.activity.record(
        ActivityEvent(
            action=Action.APPLICATION_DISCARDED,
            telegram_user_id=telegram_user_id,
            person_id=opened.person_id,
            client_id=client_id,
            occurred_at=now,
            details={"application": application_id, "documents_dropped": dropped},
        )
    )


def attached_documents(form: Form, answers: Answers) -> set[str]:
    """The document ids of the files in a draft's attachment answers (hidden ones too)."""
    return {
        ref.document_id
        for field in form.fields
        if field.type is FieldType.ATTACHMENT
        for ref in _attachments(answers.get(field.id))
    }


def _attachments(value: Value | None) -> tuple[AttachmentRef, ...]:
    if not isinstance(value, tuple):
        return ()
    return tuple(v for v in value if isinstance(v, AttachmentRef))


async def list_applications(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    before: int | None = None,
    statuses: frozenset[ApplicationStatus] | None = None,
    deal_number: str | None = None,
    limit: int = PAGE,
    without_forms: frozenset[str] = frozenset(),
) -> ApplicationPage:
    """«Pieteikumu saraksts»: drafts and submitted, newest first, a page at a time (without
    the questionnaires, which share the table)."""
    _, access = await acting_for(uow=uow, telegram_user_id=telegram_user_id)
    return await uow.applications.page(
        access.client_id,
        before=before,
        limit=max(1, min(limit, 50)),
        statuses=statuses,
        deal_number=deal_number,
        without_forms=without_forms,
    )


# --- signing -----------------------------------------------------------------------------------


async def signing_rule(*, uow: UnitOfWork, client_id: int, counts: Counts) -> SigningRule:
    """The client's signers: its active users the Company Register makes representatives."""
    client = await uow.clients.get(client_id)
    if client is None:
        return SigningRule({}, 0, counts)
    users = [u for u in await uow.client_users.of_client(client_id) if u.status == "active"]
    if client.kind == ClientKind.NATURAL_PERSON:
        own = [u for u in users if u.is_signatory]
        return own_rule(own[0].person_id) if own else SigningRule({}, 0, counts)
    entry = (
        await uow.company_register.find(client.registration_number)
        if client.registration_number
        else None
    )
    people = [
        (u.person_id, NaturalPerson(u.personal_code, u.given_name, u.family_name)) for u in users
    ]
    return company_rule(entry, people, counts=counts)


async def signing_state(
    *, uow: UnitOfWork, application: ApplicationRecord, counts: Counts
) -> SigningState:
    rule = await signing_rule(uow=uow, client_id=application.client_id, counts=counts)
    current = [
        s
        for s in await uow.applications.signatures(application.id)
        if not s.void and s.content_hash == application.content_hash
    ]
    signed = tuple(s.person_id for s in current if s.decision is Decision.SIGNED)
    refused = tuple(s.person_id for s in current if s.decision is Decision.REFUSED)
    return SigningState(rule, signed, refused, rule.met(signed))


async def _checked_hash(uow: UnitOfWork, opened: Opened, now: datetime) -> str:
    """The whole form validated again on the server; the content's hash."""
    context = await form_context(uow=uow, application=opened.application, now=now)
    problems = validate_form(opened.form, opened.answers, context=context)
    if problems:
        raise FormIncomplete(tuple(p.field for p in problems))
    return content_hash(opened.form, opened.answers, about=about(opened.application))


def summary_lines(opened: Opened) -> tuple[tuple[str, str, str, str], ...]:
    """(label lv, label en, value lv, value en) of every answer given, for a signer's message
    and the confirmation page: amounts and dates as people there write them."""
    lines = []
    for line in summary(opened.form, opened.answers):
        if line.value is None:
            continue
        field = line.field
        lines.append(
            (
                field.label.lv,
                field.label.en,
                value_text(opened.form, field.id, line.value, "lv"),
                value_text(opened.form, field.id, line.value, "en"),
            )
        )
    return tuple(lines)


async def send_for_signing(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    now: datetime,
    counts: Counts,
    reminders: ReminderPolicy | None = None,
) -> SigningState:
    """«Nosūtīt apstiprināšanai»: the content is fixed (its hash) and every signer still needed
    is asked in chat, and reminded on the policy's schedule until they decide (`reminders`;
    None: no reminders)."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    application = opened.application
    if application.status not in OPEN or not opened.form.needs_signatures:
        raise NotEditable
    digest = await _checked_hash(uow, opened, now)
    first = application.status is S.DRAFT
    application = replace(
        application, status=S.SENT_FOR_SIGNING, content_hash=digest, updated_at=now
    )
    await uow.applications.save(application)
    state = await signing_state(uow=uow, application=application, counts=counts)
    if first:
        await uow.activity.record(
            ActivityEvent(
                action=Action.APPLICATION_SENT_FOR_SIGNING,
                telegram_user_id=telegram_user_id,
                person_id=opened.person_id,
                client_id=application.client_id,
                occurred_at=now,
                details={"application": application.id, "hash": digest},
            )
        )
        await feed.publish(
            uow=uow,
            type=EventType.APPLICATION_SENT_FOR_SIGNING,
            now=now,
            client_id=application.client_id,
            application_id=application.id,
        )
    preparer = await uow.persons.get(application.prepared_by)
    opened = replace(opened, application=application)
    for person_id in pending_signers(state):
        if person_id == opened.person_id:
            continue  # the sender signs in their own chat, not from a prompt
        if reminders is not None:
            await schedule_signature_reminder(
                uow=uow,
                application_id=application.id,
                person_id=person_id,
                client_id=application.client_id,
                title_lv=opened.form.title.lv,
                title_en=opened.form.title.en,
                policy=reminders,
                now=now,
            )
        await notifier.notify(
            SignatureRequested(
                person_id=person_id,
                client_name=opened.access.name,
                application_id=application.id,
                form_title_lv=opened.form.title.lv,
                form_title_en=opened.form.title.en,
                prepared_by=preparer.full_name if preparer else "",
                lines=summary_lines(opened),
                content_hash=digest,
            )
        )
    return state


async def decide(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    content_hash_seen: str,
    decision: Decision,
    now: datetime,
    reason: str | None = None,
    counts: Counts,
) -> SigningState:
    """«Parakstīt» or «Atteikt»: binds the content the signer saw (its hash). Only a signatory
    by the Company Register may; a content changed since the button was sent is refused."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    application = opened.application
    if application.status not in OPEN or not opened.form.needs_signatures:
        raise NotEditable
    await ensure_may_sign(
        uow=uow, telegram_user_id=telegram_user_id, client_id=application.client_id
    )
    rule = await signing_rule(uow=uow, client_id=application.client_id, counts=counts)
    if opened.person_id not in rule.rules:
        raise MayNotSign
    digest = await _checked_hash(uow, opened, now)
    if application.content_hash is not None and application.content_hash != digest:
        raise NotEditable
    if digest[: len(content_hash_seen)] != content_hash_seen or len(content_hash_seen) < 16:
        raise NotEditable  # signed what is no longer there (a stale prompt)
    if application.content_hash is None:
        application = replace(application, content_hash=digest, updated_at=now)
        await uow.applications.save(application)
    state = await signing_state(uow=uow, application=application, counts=counts)
    if opened.person_id in state.signed or opened.person_id in state.refused:
        return state  # a second tap: decided already
    await uow.applications.add_signature(
        SignatureRecord(application.id, opened.person_id, decision, digest, now, reason)
    )
    await cancel_signature_reminders(
        uow=uow, application_id=application.id, person_id=opened.person_id
    )
    signed = decision is Decision.SIGNED
    await uow.activity.record(
        ActivityEvent(
            action=Action.SIGNATURE_ADDED if signed else Action.SIGNATURE_REFUSED,
            telegram_user_id=telegram_user_id,
            person_id=opened.person_id,
            client_id=application.client_id,
            occurred_at=now,
            details={"application": application.id, "hash": digest},
        )
    )
    await feed.publish(
        uow=uow,
        type=EventType.SIGNATURE_ADDED if signed else EventType.SIGNATURE_REFUSED,
        now=now,
        client_id=application.client_id,
        application_id=application.id,
        person_id=opened.person_id,
    )
    state = await signing_state(uow=uow, application=application, counts=counts)
    if state.met:  # nobody else needs reminding
        await cancel_signature_reminders(uow=uow, application_id=application.id)
    if application.prepared_by != opened.person_id:
        signer = await uow.persons.get(opened.person_id)
        await notifier.notify(
            SignatureDecided(
                person_id=application.prepared_by,
                application_id=application.id,
                form_title_lv=opened.form.title.lv,
                form_title_en=opened.form.title.en,
                signer=signer.full_name if signer else "",
                decision=decision,
                reason=reason,
                rule_met=state.met,
            )
        )
    return state


async def submit(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    now: datetime,
    counts: Counts,
    printing: Printing | None = None,
) -> tuple[ApplicationRecord, bool]:
    """«Iesniegt ALTUM»: once (a second tap finds it submitted: False), only with the form valid
    and, when it needs them, the signatures the rule asks for on this very content. With
    `printing`, the client's users get the submitted application's PDF with the notice."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    application = opened.application
    if application.status is S.SUBMITTED or application.status in ALTUM_STATUSES:
        return application, False
    if application.status not in OPEN:
        raise NotEditable
    await ensure_may_sign(
        uow=uow, telegram_user_id=telegram_user_id, client_id=application.client_id
    )
    digest = await _checked_hash(uow, opened, now)
    if opened.form.needs_signatures:
        if application.content_hash != digest:
            raise RuleNotMet
        state = await signing_state(uow=uow, application=application, counts=counts)
        if not state.met:
            raise RuleNotMet
    submitted = replace(
        application, status=S.SUBMITTED, content_hash=digest, submitted_at=now, updated_at=now
    )
    await uow.applications.save(submitted)
    await cancel_signature_reminders(uow=uow, application_id=application.id)
    if opened.form.kind is FormKind.QUESTIONNAIRE:
        await _questionnaire_submitted(uow, opened, digest, telegram_user_id, now)
        return submitted, True
    await uow.activity.record(
        ActivityEvent(
            action=Action.APPLICATION_SUBMITTED,
            telegram_user_id=telegram_user_id,
            person_id=opened.person_id,
            client_id=application.client_id,
            occurred_at=now,
            details={"application": application.id, "hash": digest},
        )
    )
    await feed.publish(
        uow=uow,
        type=EventType.APPLICATION_SUBMITTED,
        now=now,
        client_id=application.client_id,
        application_id=application.id,
    )
    amount = opened.answers.get("amount")
    document = None
    if printing is not None:
        document = await store_submitted_pdf(
            uow=uow, forms=forms, printing=printing, application_id=application.id
        )
    for person_id in await uow.client_users.active_people(application.client_id):
        await notifier.notify(
            ApplicationSubmitted(
                person_id=person_id,
                client_name=opened.access.name,
                application_id=application.id,
                form_title_lv=opened.form.title.lv,
                form_title_en=opened.form.title.en,
                amount=amount if isinstance(amount, Decimal) else None,
                document=document,
            )
        )
    return submitted, True


async def _questionnaire_submitted(
    uow: UnitOfWork, opened: Opened, digest: str, telegram_user_id: int, now: datetime
) -> None:
    """«Anketas»: ALTUM learns of it from the event feed; nobody else is told in chat."""
    application = opened.application
    await uow.activity.record(
        ActivityEvent(
            action=Action.QUESTIONNAIRE_SUBMITTED,
            telegram_user_id=telegram_user_id,
            person_id=opened.person_id,
            client_id=application.client_id,
            occurred_at=now,
            details={"questionnaire": application.id, "form": opened.form.id, "hash": digest},
        )
    )
    await feed.publish(
        uow=uow,
        type=EventType.QUESTIONNAIRE_SUBMITTED,
        now=now,
        client_id=application.client_id,
        questionnaire_id=application.id,
        form_id=opened.form.id,
    )


async def withdraw(
    *,
    uow: UnitOfWork,
    notifier: Notifier,
    forms: FormCatalogue,
    telegram_user_id: int,
    application_id: int,
    now: datetime,
    counts: Counts,
) -> ApplicationRecord:
    """The preparer takes it back before submission; signatures so far are void (the signers
    still asked are told: who they are follows the rule as `counts` reads it)."""
    opened = await _load(uow, forms, telegram_user_id, application_id, lock=True)
    application = opened.application
    if application.status not in OPEN or application.prepared_by != opened.person_id:
        raise NotEditable
    await _void(
        uow,
        notifier,
        opened,
        now=now,
        telegram_user_id=telegram_user_id,
        counts=counts,
        withdrawn=True,
    )
    withdrawn = replace(application, status=S.WITHDRAWN, updated_at=now)
    await uow.applications.save(withdrawn)
    await uow.activity.record(
        ActivityEvent(
            action=Action.APPLICATION_WITHDRAWN,
            telegram_user_id=telegram_user_id,
            person_id=opened.person_id,
            client_id=application.client_id,
            occurred_at=now,
            details={"application": application.id},
        )
    )
    return withdrawn
