"""«Kas tas ir?» → «Par pieteikumu» (issue 10 item 3): the file goes to ALTUM in a message
about one of the client's applications that has left its hands — sent for signing or
submitted (`portal.messages.upload_applications`), those ALTUM asks more of first.

The fewest taps: a single such application is offered by its number at once; several sit
behind «Par pieteikumu», a list of at most `messages.PAGE`. The target is placed before «New
message» when ALTUM asks for more information on one, else after the deals. The pick itself
is `quick_upload.target_chosen` (action `PICK`), which loads it client-scoped again; the
message is checked once more when it is sent."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from dialogs.application_texts import application_line, form_title
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import Msg, no_client
from dialogs.outgoing import Outgoing
from dialogs.shorten import shorten
from portal import messages
from portal.forms import Form, FormCatalogue, FormKind, UnknownForm
from portal.model import ApplicationRecord, ApplicationStatus, NoAccess, NotLinked
from portal.ports import UnitOfWork

LIST = "qapps"  # «Par pieteikumu»: the list
PICK = "qapp"  # one application


def questionnaires(forms: FormCatalogue | None) -> frozenset[str]:
    """«Anketas» share the applications' table; a file is not sent about one of them."""
    if forms is None:
        return frozenset()
    return frozenset(f.id for f in forms.offered(FormKind.QUESTIONNAIRE))


def _form(forms: FormCatalogue | None, application: ApplicationRecord) -> Form | None:
    if forms is None:
        return None
    try:
        return forms.get(application.form_id, application.form_version)
    except UnknownForm:
        return None


def _button_text(forms: FormCatalogue | None, application: ApplicationRecord) -> str:
    mark = "❗ " if application.status is ApplicationStatus.INFO_NEEDED else ""
    form = _form(forms, application)
    title = form_title(form) if form is not None else application.form_id
    return shorten(mark + _("No. {id} — {title}").format(id=application.id, title=title), 60)


async def application_target(
    forms: FormCatalogue | None, user_id: int, uow: UnitOfWork
) -> tuple[tuple[str, Msg] | None, bool]:
    """The «Kas tas ir?» button for the client's applications (none without any), and whether
    it is the likely choice (ALTUM asks for more information on one)."""
    found = await messages.upload_applications(
        uow=uow, telegram_user_id=user_id, without_forms=questionnaires(forms), limit=2
    )
    if not found:
        return None, False
    urgent = found[0].status is ApplicationStatus.INFO_NEEDED
    if len(found) == 1:
        text = _("📋 About application No. {id}").format(id=found[0].id)
        return (text, Msg(action=PICK, id=found[0].id)), urgent
    return (_("📋 About an application"), Msg(action=LIST)), urgent


async def show_applications(
    query: CallbackQuery,
    forms: FormCatalogue | None,
    uow: UnitOfWork,
    outgoing: Outgoing,
    state: FSMContext,
) -> None:
    """«Par pieteikumu»: the client's applications to choose from, the likely one first."""
    if "pending" not in ((await state.get_data()).get("c") or {}):
        outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
        return
    try:
        found = await messages.upload_applications(
            uow=uow, telegram_user_id=query.from_user.id, without_forms=questionnaires(forms)
        )
    except (NotLinked, NoAccess):
        await state.clear()
        no_client(outgoing, query.id)
        return
    outgoing.answer_callback(query.id)
    if not found:
        outgoing.send(_("The client has no submitted applications."))
        return
    lines = [_("Which application is the document about?")]
    builder = InlineKeyboardBuilder()
    for application in found:
        form = _form(forms, application)
        lines.append(
            application_line(application, form)
            if form is not None
            else _("No. {id}").format(id=application.id)
        )
        builder.button(
            text=_button_text(forms, application),
            callback_data=Msg(action=PICK, id=application.id),
        )
    builder.button(text=_("✖️ Cancel"), callback_data=Msg(action="cancel"))
    builder.adjust(1)
    outgoing.send("\n".join(lines), keyboard=builder.as_markup())
