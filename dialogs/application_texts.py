"""Texts of applications: statuses in the portal's words, summaries, and the notices a
signer, a preparer or a client's users get in chat."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_currency

from dialogs.callbacks import FormAct, MenuAction
from dialogs.form_texts import value_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.shorten import shorten
from portal.forms import Form, Value, summary
from portal.model import (
    ApplicationRecord,
    ApplicationStatus,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    Decision,
    Notice,
    SignatureDecided,
    SignatureRequested,
    SignaturesVoided,
)

APPLICATIONS = "apps"  # the section's menu key

S = ApplicationStatus


def status_text(status: ApplicationStatus) -> str:
    """As the portal names them («Pieteikumu saraksts»)."""
    texts = {
        S.DRAFT: _("Draft"),
        S.SENT_FOR_SIGNING: _("Sent for signing"),
        S.SUBMITTED: _("Submitted"),
        S.IN_REVIEW: _("Under review"),
        S.INFO_NEEDED: _("Additional information needed"),
        S.APPROVED: _("Approved"),
        S.REJECTED: _("Rejected"),
        S.WITHDRAWN: _("Withdrawn"),
    }
    return texts[status]


def _title(lv: str, en: str) -> str:
    return escape(en if get_i18n().current_locale == "en" else lv)


def form_title(form: Form) -> str:
    return _title(form.title.lv, form.title.en)


def application_line(application: ApplicationRecord, form: Form, limit: int = 0) -> str:
    """ "No. 1 · title · status · day"; within `limit` characters (a button's), the title is
    what gets shorter: the status and the day stay whole."""
    day = application.updated_at.strftime("%d.%m.%Y")
    line = _("No. {id} · {title} · {status} · {day}")
    values = {"id": application.id, "status": status_text(application.status), "day": day}
    title = form_title(form)
    text = line.format(title=title, **values)
    if limit and len(text) > limit:
        room = max(limit - len(line.format(title="", **values)), 8)
        text = line.format(title=shorten(title, room), **values)
    return text


def summary_text(form: Form, answers: dict[str, Value | None]) -> str:
    """The answers grouped by step."""
    locale = get_i18n().current_locale
    lines = [_("<b>{title}</b> — check the answers").format(title=form_title(form))]
    step = None
    for line in summary(form, answers):
        if line.step is not step:
            step = line.step
            lines.append(f"\n<b>{escape(step.title.get(locale))}</b>")
        lines.append(
            f"{escape(line.field.label.get(locale))}: {escape(value_text(line.field, line.value))}"
        )
    return "\n".join(lines)


def signed_reply(application_id: int, *, met: bool) -> tuple[str, InlineKeyboardMarkup]:
    """The signer's chat after a signature: on to «Iesniegt ALTUM» once the rule is met."""
    builder = InlineKeyboardBuilder()
    if met:
        text = _("✍️ Signed. Everyone needed has signed: it can be sent to ALTUM.")
        builder.button(
            text=_("📤 Submit to ALTUM"),
            callback_data=FormAct(act="sub", app=application_id, f=-1, v=""),
        )
    else:
        text = _("✍️ Signed. Waiting for the other signatories.")
    _menu_row(builder)
    builder.adjust(1)
    return text, builder.as_markup()


def _menu_row(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("📝 Applications"), callback_data=MenuAction(section=APPLICATIONS))


def render_application(notice: Notice) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The chat's text for an application notice; None for other notices."""
    builder = InlineKeyboardBuilder()
    if isinstance(notice, SignatureRequested):
        locale = get_i18n().current_locale
        lines = [
            _("✍️ <b>{client}</b>: {who} asks you to sign «{title}» (No. {id}).").format(
                client=escape(notice.client_name),
                who=escape(notice.prepared_by),
                title=_title(notice.form_title_lv, notice.form_title_en),
                id=notice.application_id,
            ),
            "",
        ]
        for lv, en, value_lv, value_en in notice.lines:
            label, value = (en, value_en) if locale == "en" else (lv, value_lv)
            lines.append(f"{escape(label)}: {escape(value)}")
        lines += ["", _("Content hash: <code>{hash}</code>").format(hash=notice.content_hash)]
        short = notice.content_hash[:16]
        builder.button(
            text=_("✍️ Sign"),
            callback_data=FormAct(act="sg", app=notice.application_id, f=-1, v=short),
        )
        builder.button(
            text=_("✖️ Refuse"),
            callback_data=FormAct(act="rf", app=notice.application_id, f=-1, v=short),
        )
        builder.adjust(2)
        return "\n".join(lines), builder.as_markup()
    if isinstance(notice, SignaturesVoided) and notice.withdrawn:
        _menu_row(builder)
        return _(
            "↩️ «{title}» (No. {id}) of <b>{client}</b> was withdrawn by the person who "
            "prepared it: there is nothing to sign."
        ).format(
            title=_title(notice.form_title_lv, notice.form_title_en),
            id=notice.application_id,
            client=escape(notice.client_name),
        ), builder.as_markup()
    if isinstance(notice, SignaturesVoided):
        _menu_row(builder)
        return _(
            "⚠️ «{title}» (No. {id}) of <b>{client}</b> was changed after signing: the signatures "
            "so far are void. You will be asked again when it is ready."
        ).format(
            title=_title(notice.form_title_lv, notice.form_title_en),
            id=notice.application_id,
            client=escape(notice.client_name),
        ), builder.as_markup()
    if isinstance(notice, SignatureDecided):
        title = _title(notice.form_title_lv, notice.form_title_en)
        if notice.decision is Decision.REFUSED:
            text = _("✖️ {who} refused to sign «{title}» (No. {id}).").format(
                who=escape(notice.signer), title=title, id=notice.application_id
            )
            if notice.reason:
                text += "\n" + _("Reason: {reason}").format(reason=escape(notice.reason))
        else:
            text = _("✍️ {who} signed «{title}» (No. {id}).").format(
                who=escape(notice.signer), title=title, id=notice.application_id
            )
            if notice.rule_met:
                text += "\n" + _("Everyone needed has signed: it can be sent to ALTUM.")
                builder.button(
                    text=_("📤 Submit to ALTUM"),
                    callback_data=FormAct(act="sub", app=notice.application_id, f=-1, v=""),
                )
        _menu_row(builder)
        builder.adjust(1)
        return text, builder.as_markup()
    if isinstance(notice, ApplicationSubmitted):
        text = _("📤 «{title}» (No. {id}) of <b>{client}</b> was submitted to ALTUM.").format(
            title=_title(notice.form_title_lv, notice.form_title_en),
            id=notice.application_id,
            client=escape(notice.client_name),
        )
        if notice.amount is not None:
            amount = format_currency(notice.amount, "EUR", locale=get_i18n().current_locale)
            text += "\n" + _("Amount: {amount}").format(amount=amount)
        _menu_row(builder)
        return text, builder.as_markup()
    if isinstance(notice, ApplicationStatusChanged):
        text = _("📋 «{title}» (No. {id}) of <b>{client}</b>: {status}").format(
            title=_title(notice.form_title_lv, notice.form_title_en),
            id=notice.application_id,
            client=escape(notice.client_name),
            status=status_text(notice.status),
        )
        if notice.comment:
            text += "\n" + _("ALTUM's note: {comment}").format(comment=escape(notice.comment))
        _menu_row(builder)
        return text, builder.as_markup()
    return None
