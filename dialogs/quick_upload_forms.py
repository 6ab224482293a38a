"""«Kas tas ir?» → a draft form's attachment question (issue 10 item 3): the applications of
the chat's current client that are asking for a file now are offered as targets; choosing one
adds the file there (`portal.application_files.attach_file`) and the form dialog goes on at
that question."""

from __future__ import annotations

from html import escape

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from dialogs.chat_notices import OutgoingNotifier
from dialogs.form_dialog import ask, current_locale, load_opened, question_message, utcnow
from dialogs.form_texts import refusal_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import Msg, file_of
from dialogs.outgoing import Outgoing
from dialogs.shorten import shorten
from portal.application_files import attach_file, waiting_for_files
from portal.forms import FieldType, FormCatalogue, Refusal, resume_question
from portal.model import OPEN, NoAccess
from portal.ports import UnitOfWork
from portal.signing import Counts

ACTION = "qform"


async def add_draft_targets(
    builder: InlineKeyboardBuilder, forms: FormCatalogue, user_id: int, uow: UnitOfWork
) -> None:
    """A button per open application whose question now asked wants a file."""
    for opened, field in await waiting_for_files(uow=uow, forms=forms, telegram_user_id=user_id):
        text = _("📝 To application No. {id}: {label}").format(
            id=opened.application.id, label=field.label.get(current_locale())
        )
        builder.button(
            text=shorten(text, 60), callback_data=Msg(action=ACTION, id=opened.application.id)
        )


async def file_to_draft(
    query: CallbackQuery,
    callback_data: Msg,
    forms: FormCatalogue,
    pending: dict[str, object],
    uow: UnitOfWork,
    outgoing: Outgoing,
    state: FSMContext,
    *,
    counts: Counts,
) -> None:
    """The pending file into the application's attachment question asked now; then that
    question again, in the form dialog. A forged or stale button attaches nothing."""
    user_id = query.from_user.id
    opened = await load_opened(forms, user_id, callback_data.id, uow, outgoing)
    if opened is None:
        outgoing.answer_callback(query.id)
        return
    field = resume_question(opened.form, opened.answers, opened.application.current_field)
    if (
        opened.application.status not in OPEN
        or field is None
        or field.type is not FieldType.ATTACHMENT
    ):
        outgoing.answer_callback(query.id, _("That question is no longer asked."), alert=True)
        return
    try:
        result = await attach_file(
            uow=uow,
            notifier=OutgoingNotifier(uow, outgoing),
            forms=forms,
            telegram_user_id=user_id,
            application_id=opened.application.id,
            field_id=field.id,
            file=file_of(pending),
            now=utcnow(),
            counts=counts,
        )
    except NoAccess:  # the file was received while another client was chosen
        outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
        return
    outgoing.answer_callback(query.id)
    if isinstance(result, Refusal):
        await state.clear()
        outgoing.send(escape(refusal_text(opened.form, field, result)))
        outgoing.send(question_message(opened, field))
        return
    outgoing.send(_("📎 Attached: {name}").format(name=escape(str(pending["name"]))))
    await ask(outgoing, state, result, field)
