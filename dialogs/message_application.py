"""«Jauna ziņa»: which of the client's applications the message concerns (by number and form
title); the pick is checked client-scoped again here and once more when the message is sent."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from dialogs.application_texts import form_title
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import MessageDialog, Msg, load_compose, save_compose, show_compose
from dialogs.outgoing import Outgoing
from dialogs.shorten import shorten
from portal import messages
from portal.forms import FormCatalogue, FormKind, UnknownForm
from portal.model import ApplicationRecord, NoAccess, NotFound, NotLinked
from portal.ports import UnitOfWork


def application_router(forms: FormCatalogue) -> Router:
    router = Router(name="messages_application")
    # «Anketas» share the applications' table; a message concerns an application.
    questionnaires = frozenset(f.id for f in forms.offered(FormKind.QUESTIONNAIRE))

    def label(application: ApplicationRecord) -> str:
        try:
            title = form_title(forms.get(application.form_id, application.form_version))
        except UnknownForm:
            title = application.form_id
        return _("No. {id} — {title}").format(id=application.id, title=title)

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "app"))
    async def application_choice(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        try:
            found = await messages.linkable_applications(
                uow=uow, telegram_user_id=query.from_user.id, without_forms=questionnaires
            )
        except (NotLinked, NoAccess):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        outgoing.answer_callback(query.id)
        if not found:
            outgoing.send(_("The client has no applications yet."))
            return
        builder = InlineKeyboardBuilder()
        for application in found:
            builder.button(
                text=shorten(label(application), 60),
                callback_data=Msg(action="apppick", id=application.id),
            )
        builder.adjust(1)
        outgoing.send(
            _("Which application does the message concern?"), keyboard=builder.as_markup()
        )

    @router.callback_query(MessageDialog.body, Msg.filter(F.action == "apppick"))
    async def application_picked(
        query: CallbackQuery,
        callback_data: Msg,
        uow: UnitOfWork,
        outgoing: Outgoing,
        state: FSMContext,
    ) -> None:
        try:
            application = await messages.linkable_application(
                uow=uow, telegram_user_id=query.from_user.id, application_id=callback_data.id
            )
        except (NotLinked, NoAccess):
            outgoing.answer_callback(query.id, _("This button is no longer valid."), alert=True)
            return
        except NotFound:
            outgoing.answer_callback(query.id, _("This application is not available."), alert=True)
            return
        outgoing.answer_callback(query.id)
        compose = await load_compose(state)
        compose["app"] = application.id
        await save_compose(state, compose)
        show_compose(outgoing, compose)

    return router
