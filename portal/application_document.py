"""A submitted application as a document (issue 9, item 5): its answers, who signed and when,
and the content hash on every page — the same PDF for the client's users and for ALTUM.

The few words of the document itself are here in both languages, beside the form's own
labels (which the form files carry in both): the API, which reads it, has no catalogue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal.forms import (
    AttachmentRef,
    FieldType,
    Form,
    FormCatalogue,
    Value,
    decode_answers,
    summary,
)
from portal.model import (
    ApplicationRecord,
    ApplicationStatus,
    Decision,
    Fields,
    Heading,
    NotFound,
    Paragraph,
    PrintedDocument,
    SignatureRecord,
)
from portal.ports import UnitOfWork

RIGA = ZoneInfo("Europe/Riga")
WORDS = {
    "lv": {
        "client": "Klients",
        "deal": "Darījums",
        "number": "Pieteikuma Nr.",
        "status": "Statuss",
        "submitted": "Iesniegts",
        "answers": "Atbildes",
        "signatures": "Paraksti",
        "signed": "parakstīja",
        "refused": "atteicās parakstīt",
        "none": "Nav parakstu.",
        "hash": "Satura kontrolsumma (SHA-256)",
        "yes": "Jā",
        "no": "Nē",
        "skipped": "nav norādīts",
    },
    "en": {
        "client": "Client",
        "deal": "Deal",
        "number": "Application No.",
        "status": "Status",
        "submitted": "Submitted",
        "answers": "Answers",
        "signatures": "Signatures",
        "signed": "signed",
        "refused": "refused to sign",
        "none": "No signatures.",
        "hash": "Content hash (SHA-256)",
        "yes": "Yes",
        "no": "No",
        "skipped": "not given",
    },
}
STATUS = {
    "lv": {
        ApplicationStatus.DRAFT: "Melnraksts",
        ApplicationStatus.SENT_FOR_SIGNING: "Nosūtīts parakstīšanai",
        ApplicationStatus.SUBMITTED: "Iesniegts",
        ApplicationStatus.IN_REVIEW: "Izskatīšanā",
        ApplicationStatus.INFO_NEEDED: "Nepieciešama papildu informācija",
        ApplicationStatus.APPROVED: "Apstiprināts",
        ApplicationStatus.REJECTED: "Noraidīts",
        ApplicationStatus.WITHDRAWN: "Atsaukts",
    },
    "en": {
        ApplicationStatus.DRAFT: "Draft",
        ApplicationStatus.SENT_FOR_SIGNING: "Sent for signing",
        ApplicationStatus.SUBMITTED: "Submitted",
        ApplicationStatus.IN_REVIEW: "Under review",
        ApplicationStatus.INFO_NEEDED: "Additional information needed",
        ApplicationStatus.APPROVED: "Approved",
        ApplicationStatus.REJECTED: "Rejected",
        ApplicationStatus.WITHDRAWN: "Withdrawn",
    },
}


def _number(value: Decimal, language: str, places: int = 2) -> str:
    """`12 500,00` (lv) or `12,500.00` (en), as people there write it."""
    text = f"{value:,.{places}f}"
    if language == "lv":
        return text.replace(",", " ").replace(".", ",")
    return text


def _when(moment: datetime) -> str:
    return moment.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")


def value_text(form: Form, field_id: str, value: Value | None, language: str) -> str:
    words = WORDS[language]
    field = form.field(field_id)
    if value is None:
        return words["skipped"]
    if field.type is FieldType.MONEY and isinstance(value, Decimal):
        return f"{_number(value, language)} EUR"
    if field.type is FieldType.PERCENT and isinstance(value, Decimal):
        return f"{_number(value, language, 2)} %"
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if field.type is FieldType.CHOICE and isinstance(value, str):
        option = field.option(value)
        return option.label.get(language) if option else value
    if isinstance(value, tuple):
        parts = []
        for item in value:
            if isinstance(item, AttachmentRef):
                parts.append(f"{item.name} ({item.sha256[:12]}…)")
            else:
                option = field.option(str(item))
                parts.append(option.label.get(language) if option else str(item))
        return ", ".join(parts)
    return str(value)


def printed(
    *,
    application: ApplicationRecord,
    form: Form,
    client_name: str,
    signatures: list[tuple[SignatureRecord, str]],  # with the signer's name
    language: str,
) -> PrintedDocument:
    language = "en" if language == "en" else "lv"
    words = WORDS[language]
    answers = decode_answers(form, application.answers)
    head = [
        (words["client"], client_name),
        (words["number"], str(application.id)),
        (words["status"], STATUS[language][application.status]),
    ]
    if application.deal_number:
        head.insert(1, (words["deal"], application.deal_number))
    if application.submitted_at is not None:
        head.append((words["submitted"], _when(application.submitted_at)))
    blocks: list[Heading | Paragraph | Fields] = [Fields(tuple(head))]
    step = None
    rows: list[tuple[str, str]] = []
    blocks.append(Heading(words["answers"]))
    for line in summary(form, answers):
        if line.step is not step:
            if rows:
                blocks.append(Fields(tuple(rows)))
                rows = []
            step = line.step
            blocks.append(Paragraph(step.title.get(language)))
        rows.append(
            (line.field.label.get(language), value_text(form, line.field.id, line.value, language))
        )
    if rows:
        blocks.append(Fields(tuple(rows)))
    blocks.append(Heading(words["signatures"]))
    valid = [
        (s, name)
        for s, name in signatures
        if not s.void and s.content_hash == application.content_hash
    ]
    if valid:
        blocks.append(
            Fields(
                tuple(
                    (
                        name,
                        f"{words['signed'] if s.decision is Decision.SIGNED else words['refused']}"
                        f" {_when(s.at)}",
                    )
                    for s, name in valid
                )
            )
        )
    else:
        blocks.append(Paragraph(words["none"]))
    blocks.append(Fields(((words["hash"], application.content_hash or "—"),)))
    return PrintedDocument(
        title=form.title.get(language),
        language=language,
        blocks=tuple(blocks),
        subtitle=client_name,
        footer=f"{words['hash']}: {application.content_hash or '—'}",
        created_at=application.submitted_at,
    )


async def application_document(
    *, uow: UnitOfWork, forms: FormCatalogue, application_id: int, language: str = "lv"
) -> PrintedDocument:
    """ALTUM's copy (the API): any client's application, once submitted."""
    found = await uow.applications.by_id(application_id)
    if found is None or found.submitted_at is None:
        raise NotFound("submitted application")
    form = forms.get(found.form_id, found.form_version)
    named = []
    for signature in await uow.applications.signatures(found.id):
        person = await uow.persons.get(signature.person_id)
        named.append((signature, person.full_name if person else str(signature.person_id)))
    client = await uow.clients.name(found.client_id) or ""
    return printed(
        application=found, form=form, client_name=client, signatures=named, language=language
    )
