"""What «Saziņa» says: the thread list, a thread, the compose steps, the archive. HTML."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from dialogs.document_texts import kind_label, size_text
from dialogs.shorten import shorten
from portal.document_types import DOCUMENT_TYPES, document_type
from portal.model import (
    Consultant,
    DocumentRecord,
    MessageRecord,
    MessageStatus,
    ThreadQuery,
    ThreadSummary,
)

LIMIT = 4096  # Telegram's limit on a message's text
RIGA = ZoneInfo("Europe/Riga")


def status_label(status: MessageStatus) -> str:
    labels = {
        MessageStatus.DRAFT: _("Draft"),
        MessageStatus.SENT: _("Sent"),
        MessageStatus.RECEIVED: _("Received"),
    }
    return labels[status]


def when(moment: datetime) -> str:
    return format_datetime(
        moment.astimezone(RIGA), "dd.MM.yyyy HH:mm", locale=get_i18n().current_locale
    )


def day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def type_label(type_id: str | None) -> str:
    found = document_type(type_id)
    return found.label(get_i18n().current_locale) if found else "—"


def type_labels() -> list[tuple[str, str]]:
    locale = get_i18n().current_locale
    return [(entry.id, entry.label(locale)) for entry in DOCUMENT_TYPES]


def unread_text(count: int) -> str:
    return ngettext("{count} unread message", "{count} unread messages", count).format(count=count)


def consultant_text(consultant: Consultant | None) -> str:
    if consultant is None:
        return _("Your ALTUM consultant is not named yet.")
    return _("Your consultant: {name}, {email}, {phone}").format(
        name=escape(consultant.name), email=escape(consultant.email), phone=escape(consultant.phone)
    )


def thread_line(thread: ThreadSummary) -> str:
    subject = escape(thread.subject)
    head = f"<b>{subject}</b>" if thread.unread else subject
    preview = escape(shorten(thread.last_text, 80)) or "—"
    return f"{head}\n   {status_label(thread.status)} · {when(thread.last_at)} · {preview}"


def list_text(
    threads: list[ThreadSummary],
    *,
    unread: int,
    consultant: Consultant | None,
    searching: bool,
) -> str:
    lines = [_("<b>✉️ Communication with ALTUM</b>"), consultant_text(consultant)]
    if unread:
        lines.append(unread_text(unread))
    lines.append("")
    if searching:
        lines.append(_("Search results:"))
    if not threads:
        lines.append(_("No messages found.") if searching else _("No messages yet."))
    for number, thread in enumerate(threads, start=1):
        lines.append(f"{number}. {thread_line(thread)}")
    return "\n".join(lines)


def author(message: MessageRecord) -> str:
    return _("ALTUM") if message.status is MessageStatus.RECEIVED else _("You")


def document_line(document: DocumentRecord) -> str:
    return _("📎 {name} — {type}, {date}, {size}").format(
        name=escape(document.file.name),
        type=type_label(document.doc_type),
        date=day(document.prepared_on),
        size=size_text(document.file.size),
    )


def thread_text(
    thread: ThreadSummary, messages: list[MessageRecord], documents: list[DocumentRecord]
) -> list[str]:
    """The thread as one or more texts, each within Telegram's limit; a long message is cut
    between lines or words, never inside an HTML entity or tag."""
    head = [f"<b>{escape(thread.subject)}</b>", status_label(thread.status)]
    if thread.deal_number:
        head.append(_("Deal {number}").format(number=escape(thread.deal_number)))
    if thread.about.application_id is not None:
        head.append(_("Application No. {id}").format(id=thread.about.application_id))
    blocks = [" · ".join(head)]
    by_message: dict[int | None, list[DocumentRecord]] = {}
    for document in documents:
        by_message.setdefault(document.message_id, []).append(document)
    for message in messages:
        lines = [f"<i>{when(message.created_at)} — {author(message)}</i>"]
        if message.status is MessageStatus.DRAFT:
            lines[0] += " · " + status_label(message.status)
        if message.body:
            lines.append(escape(message.body))
        lines.extend(document_line(d) for d in by_message.get(message.id, []))
        blocks.append("\n".join(lines))
    return split_blocks(blocks)


def split_blocks(blocks: list[str], limit: int = LIMIT) -> list[str]:
    """Join blocks with blank lines into texts of at most `limit` characters. A block too
    long alone is cut at line breaks, then spaces; markup is only in the blocks' short
    first lines, so a cut never opens a tag it does not close."""
    texts: list[str] = []
    current = ""
    for block in blocks:
        for piece in _pieces(block, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                texts.append(current)
                current = piece
    if current:
        texts.append(current)
    return texts


def _pieces(block: str, limit: int) -> list[str]:
    pieces = []
    while len(block) > limit:
        cut = block.rfind("\n", 0, limit)
        if cut <= 0:
            cut = block.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        cut = _outside_entity(block, cut)
        pieces.append(block[:cut].rstrip())
        block = block[cut:].lstrip()
    pieces.append(block)
    return pieces


def _outside_entity(text: str, cut: int) -> int:
    """Move a cut back before an HTML entity (`&amp;`) it would split."""
    amp = text.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        return amp if amp > 0 else cut
    return cut


def query_text(query: ThreadQuery, deal_number: str | None) -> str:
    application = _("No. {id}").format(id=query.application_id) if query.application_id else "—"
    status = status_label(query.status) if query.status else _("any")
    if query.since is None:
        period = _("any time")
    else:
        period = _("from {since}").format(since=day(query.since))
    lines = [
        _("<b>🔎 Detailed search</b>"),
        _("Text: {text}").format(text=escape(query.text) if query.text else "—"),
        _("Status: {status}").format(status=status),
        _("Period: {period}").format(period=period),
        _("Deal: {deal}").format(deal=escape(deal_number) if deal_number else "—"),
        _("Application: {application}").format(application=application),
        _("Unread only: {answer}").format(answer=_("yes") if query.unread_only else _("no")),
        "",
        _("Change a condition with the buttons or press «Search»."),
    ]
    return "\n".join(lines)


def compose_text(
    *,
    subject: str | None,
    body: str,
    attachments: list[dict[str, str]],
    deal: str | None,
    application: int | None = None,
) -> str:
    lines = [_("<b>Your message</b>")]
    if subject is not None:
        lines.append(_("Subject: {subject}").format(subject=escape(subject)))
    if deal:
        lines.append(_("Concerns deal {number}").format(number=escape(deal)))
    if application:
        lines.append(_("Concerns application No. {id}").format(id=application))
    shown = body if len(body) <= 600 else body[:600] + "…"
    lines.append(escape(shown) if shown else _("(no text yet)"))
    for attachment in attachments:
        lines.append(
            _("📎 {name} — {type}, {date}").format(
                name=escape(attachment["name"]),
                type=type_label(attachment["doc_type"]),
                date=day(date.fromisoformat(attachment["prepared_on"])),
            )
        )
    lines.append("")
    lines.append(
        _(
            "Write more text, send a document (a file or photo), or press «Send» to send it "
            "to ALTUM or «Save» to keep it as a draft."
        )
    )
    return "\n".join(lines)


def archive_text(documents: list[DocumentRecord], *, archived: bool = False) -> str:
    """The client's documents; `archived`: those sent through the old portal, by date."""
    if archived:
        lines = [
            _("<b>🗄 Archive of sent documents</b>"),
            _("Documents sent in the portal's «DOKUMENTI» section before 22.01.2022."),
        ]
    else:
        lines = [_("<b>📂 Documents</b>")]
    if not documents:
        lines.append(_("No documents yet."))
    for number, document in enumerate(documents, start=1):
        direction = _("from ALTUM") if document.incoming else _("sent")
        if document.sent_on is not None:
            direction = _("sent {date}").format(date=day(document.sent_on))
        deal = (
            _(", deal {number}").format(number=escape(document.deal_number))
            if document.deal_number
            else ""
        )
        lines.append(
            f"{number}. {escape(document.file.name)} — {type_label(document.doc_type)}, "
            f"{day(document.prepared_on)}, {direction}{deal} ({kind_label(document.file.kind)})"
        )
    return "\n".join(lines)
