"""What the chat says when ALTUM's side changes something for a person (portal/model/notices.py):
a registration approved or rejected, access given, blocked or restored, a new deal or
invoice. Rendered in the person's language by the runtime's notifier."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_currency

from dialogs.application_texts import render_application
from dialogs.callbacks import MenuAction, ReminderSnooze
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import back_to_menu_keyboard
from dialogs.message_common import open_keyboard
from portal.model import (
    AccessBlocked,
    AccessBlockedByMainUser,
    AccessGranted,
    AccessGrantedByMainUser,
    AccessRestored,
    AccessRestoredByMainUser,
    ApplicationSubmitted,
    DealAdded,
    InvoiceAdded,
    MessageReceived,
    Notice,
    RegistrationApproved,
    RegistrationRejected,
    RejectionReason,
    ReminderDue,
    StoredDocument,
)


def money(amount: Decimal, currency: str) -> str:
    """`12 500,00 €` in Latvian, `€12,500.00` in English: as people there write it."""
    return format_currency(amount, currency, locale=get_i18n().current_locale)


def day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def rejection_reason(reason: RejectionReason) -> str:
    texts = {
        RejectionReason.NOT_SIGNATORY: _(
            "ALTUM found that you are not a person with signing rights («paraksttiesīgā "
            "persona») of this company."
        ),
        RejectionReason.IDENTITY_NOT_CONFIRMED: _(
            "ALTUM could not confirm that you are the signatory named in the Company Register."
        ),
        RejectionReason.OTHER: _("ALTUM did not accept it after its check."),
    }
    return texts[reason]


def render(notice: Notice) -> tuple[str, InlineKeyboardMarkup | None]:
    """The message for `notice`, in the current locale."""
    menu = back_to_menu_keyboard()
    if isinstance(notice, RegistrationRejected):
        lines = [
            _("❌ ALTUM rejected the registration of <b>{client}</b>.").format(
                client=escape(notice.client_name)
            ),
            rejection_reason(notice.reason),
        ]
        if notice.comment:
            lines.append(_("ALTUM's note: {comment}").format(comment=escape(notice.comment)))
        lines.append(
            _(
                "Your access to it and the details you registered were deleted. If you do sign "
                "for the company, contact ALTUM."
            )
        )
        return "\n\n".join(lines), menu
    if isinstance(notice, RegistrationApproved):
        return _(
            "✅ ALTUM has checked the registration of <b>{client}</b>. You can now sign and "
            "submit documents in its name."
        ).format(client=escape(notice.client_name)), menu
    if isinstance(notice, AccessGranted):
        text = (
            _("🏢 ALTUM made you a main user of <b>{client}</b>. Choose it with /client.")
            if notice.role == "main"
            else _(
                "🏢 ALTUM made you an additional user of <b>{client}</b>. Choose it with /client."
            )
        )
        return text.format(client=escape(notice.client_name)), menu
    if isinstance(notice, AccessBlocked):
        return _(
            "🚫 ALTUM blocked your access to <b>{client}</b>. You can no longer act for it "
            "here. If this is a mistake, contact the client's main user or ALTUM."
        ).format(client=escape(notice.client_name)), menu
    if isinstance(notice, AccessRestored):
        return _("🏢 Your access to <b>{client}</b> is restored. Choose it with /client.").format(
            client=escape(notice.client_name)
        ), menu
    if isinstance(notice, DealAdded):
        return _(
            "📄 A new deal of <b>{client}</b> with ALTUM: No. {number}\n"
            "{product}, {amount}\nFrom {start} to {end}"
        ).format(
            client=escape(notice.client_name),
            number=escape(notice.number),
            product=escape(notice.product),
            amount=money(notice.amount, notice.currency),
            start=day(notice.start_date),
            end=day(notice.end_date),
        ), menu
    if isinstance(notice, InvoiceAdded):
        return _(
            "🧾 A new invoice for <b>{client}</b>: No. {number} of deal No. {deal}\n"
            "{amount}, due {due}"
        ).format(
            client=escape(notice.client_name),
            number=escape(notice.number),
            deal=escape(notice.deal_number),
            amount=money(notice.amount, notice.currency),
            due=day(notice.due_date),
        ), menu
    by_main_user = _by_main_user(notice)
    if by_main_user is not None:
        return by_main_user, menu
    applications = render_application(notice)  # issue 9's notices
    if applications is not None:
        return applications
    if isinstance(notice, MessageReceived):
        return message_received(notice)
    if isinstance(notice, ReminderDue):
        return reminder_text(notice), reminder_keyboard(notice.reminder_id)
    raise TypeError(f"no text for {type(notice).__name__}")


def _by_main_user(notice: Notice) -> str | None:
    """A main user's change in chat (portal/administration.py), naming who made it."""
    if isinstance(notice, AccessGrantedByMainUser):
        return _(
            "🏢 {by}, a main user of <b>{client}</b>, gave you access to it as an additional "
            "user. Choose it with /client."
        ).format(by=escape(notice.by), client=escape(notice.client_name))
    if isinstance(notice, AccessBlockedByMainUser):
        return _(
            "🚫 {by}, a main user of <b>{client}</b>, blocked your access to it. You can no "
            "longer act for it here. If this is a mistake, contact them or ALTUM."
        ).format(by=escape(notice.by), client=escape(notice.client_name))
    if isinstance(notice, AccessRestoredByMainUser):
        return _(
            "🏢 {by}, a main user of <b>{client}</b>, restored your access to it. Choose it "
            "with /client."
        ).format(by=escape(notice.by), client=escape(notice.client_name))
    return None


def message_received(notice: MessageReceived) -> tuple[str, InlineKeyboardMarkup]:
    """ALTUM wrote: the subject and «Atvērt» (which also makes its client the chat's)."""
    lines = [
        _("✉️ A message from ALTUM for <b>{client}</b>:").format(client=escape(notice.client_name)),
        f"«{escape(notice.subject)}»",
    ]
    if notice.documents:
        lines.append(
            ngettext("with {count} document", "with {count} documents", notice.documents).format(
                count=notice.documents
            )
        )
    return "\n".join(lines), open_keyboard(notice.thread_id, notice.client_id)


def reminder_text(notice: ReminderDue) -> str:
    """A reminder's text by its kind; `details` are what the scheduling use case gave."""
    details = notice.details
    client = escape(notice.client_name)
    if notice.kind in ("invoice_due", "invoice_overdue"):
        amount = money(Decimal(details.get("amount", "0")), details.get("currency", "EUR"))
        due = day(date.fromisoformat(details["due_date"])) if "due_date" in details else "—"
        values = {
            "client": client,
            "number": escape(details.get("invoice", "")),
            "deal": escape(details.get("deal", "")),
            "amount": amount,
            "due": due,
        }
        if notice.kind == "invoice_due":
            return _(
                "⏰ Reminder: invoice No. {number} of deal No. {deal} of <b>{client}</b>, "
                "{amount}, is due on {due}."
            ).format(**values)
        return _(
            "⚠️ Invoice No. {number} of deal No. {deal} of <b>{client}</b>, {amount}, was "
            "due on {due} and is not marked as paid yet."
        ).format(**values)
    # The form's title in the signer's language (`title` is the Latvian one; a reminder
    # scheduled before the English one was kept has only that).
    locale = get_i18n().current_locale
    title = escape(details.get(f"title_{locale}") or details.get("title", ""))
    return _("✍️ Reminder: «{title}» of <b>{client}</b> waits for your signature.").format(
        title=title, client=client
    )


def reminder_keyboard(reminder_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🌅 Remind me tomorrow morning"),
        callback_data=ReminderSnooze(reminder_id=reminder_id),
    )
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def attached(notice: Notice) -> StoredDocument | None:
    """A file sent after the notice's text (the submitted application's PDF)."""
    return notice.document if isinstance(notice, ApplicationSubmitted) else None
