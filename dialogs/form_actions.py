"""What acts on a whole application from the chat: the summary's «Parakstīt» / «Nosūtīt
apstiprināšanai» / «Iesniegt ALTUM» / «Saglabāt melnrakstu» / «Atcelt» / «Atsaukt» and its
"change an answer" buttons, and a signer's «Parakstīt» / «Atteikt» from the message that asked
them. The questions themselves are `dialogs.form_dialog`; `form_routers` gives both, for any
form kind.

«Parakstīt» never signs at once: it checks everything and hands the signer a one-time link to
confirm their identity (portal/confirming.py, web/signing.py); the signature is made there."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, WebAppInfo
from aiogram.utils.i18n import gettext as _

from dialogs.application_texts import APPLICATIONS, form_title
from dialogs.callbacks import FormAct, MenuAction
from dialogs.chat_notices import OutgoingNotifier
from dialogs.clients import not_logged_in
from dialogs.form_dialog import (
    ACTIONS,
    FormDialog,
    current_locale,
    form_router,
    go_on,
    load_opened,
    resume,
    utcnow,
)
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.outgoing import Outgoing
from dialogs.questionnaire_texts import (
    back_keyboard,
    cancelled_text,
    saved_text,
    submitted_text,
)
from dialogs.uploads import FileDesk
from portal import applications as apps
from portal import confirming
from portal.application_pdf import Printing
from portal.forms import FormCatalogue, FormKind, visible_fields
from portal.model import (
    OPEN,
    ApplicationNotFound,
    ApplicationStatus,
    AwaitingReview,
    Decision,
    FormIncomplete,
    MayNotSign,
    NoAccess,
    NotEditable,
    NotLinked,
    ReminderPolicy,
    RuleNotMet,
)
from portal.ports import UnitOfWork
from portal.signing import Counts


def onward_keyboard() -> InlineKeyboardMarkup:
    """Where to go once a draft is saved or cancelled: not a message without a way on."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📝 Applications"), callback_data=MenuAction(section=APPLICATIONS))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def form_routers(
    forms: FormCatalogue,
    *,
    public_url: str = "",
    minutes: int = 5,
    reminders: ReminderPolicy | None = None,
    printing: Printing | None = None,
    desk: FileDesk | None = None,
    counts: Counts,
) -> list[Router]:
    """The form dialog for any form kind: its whole-application actions and its questions.
    `public_url`: where the signature confirmation pages are; `minutes`: how long a signer has
    to confirm (SIGNATURE_CONFIRMATION_MINUTES); `reminders`: when signers are reminded;
    `printing`: the submitted PDF in chat; `counts`: how the register's "with at least N" is
    read (REGISTRATION_AT_LEAST_COUNTS), for who must sign."""
    actions = actions_router(
        forms,
        public_url=public_url,
        minutes=minutes,
        reminders=reminders,
        printing=printing,
        counts=counts,
    )
    return [actions, form_router(forms, desk, counts=counts)]


def actions_router(
    forms: FormCatalogue,
    *,
    public_url: str,
    minutes: int,
    reminders: ReminderPolicy | None = None,
    printing: Printing | None = None,
    counts: Counts,
) -> Router:
    router = Router(name="form_actions")

    async def confirmation_link(
        user_id: int,
        opened: apps.Opened,
        short_hash: str,
        submit: bool,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        """«Parakstīt»: every check now, then the link to confirm the identity and sign."""
        try:
            issued = await confirming.request_confirmation(
                uow=uow,
                forms=forms,
                telegram_user_id=user_id,
                application_id=opened.application.id,
                content_hash_seen=short_hash,
                submit=submit,
                now=utcnow(),
                minutes=minutes,
                counts=counts,
            )
        except MayNotSign:
            outgoing.send(
                _(
                    "Only a person with signing rights by the Company Register can sign for the "
                    "client. You can prepare applications and send them for signing."
                )
            )
            return
        except AwaitingReview:
            outgoing.send(_("Nothing can be signed in the client's name until ALTUM checks it."))
            return
        except NotEditable:
            outgoing.send(
                _(
                    "This is no longer the content you were asked to sign: it was changed, "
                    "withdrawn or submitted."
                )
            )
            return
        builder = InlineKeyboardBuilder()
        url = f"{public_url}/sign/{issued.token}"
        builder.button(text=_("🔐 Confirm and sign"), web_app=WebAppInfo(url=url))
        outgoing.send(
            _(
                "🔐 To sign «{title}» (No. {id}), confirm who you are at the identity provider "
                "within {minutes} minutes. The page shows what you sign before that."
            ).format(title=form_title(opened.form), id=opened.application.id, minutes=minutes),
            keyboard=builder.as_markup(),
            secrets=(issued.token,),
            expires_at=issued.expires_at,
        )

    @router.message(StateFilter(FormDialog.reason), F.text)
    async def reason_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        data = await state.get_data()
        await state.clear()
        reason = " ".join(message.text.split())[:1000]
        await refuse(
            message.from_user.id,
            int(data.get("app", 0)),
            str(data.get("hash", "")),
            reason,
            uow,
            outgoing,
        )

    async def refuse(
        user_id: int, app: int, short_hash: str, reason: str, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        """«Atteikt» with its reason: needs no identity confirmation (it binds nothing), but the
        same checks as a signature, and it is told to the preparer."""
        try:
            await apps.decide(
                uow=uow,
                notifier=OutgoingNotifier(uow, outgoing),
                forms=forms,
                telegram_user_id=user_id,
                application_id=app,
                content_hash_seen=short_hash,
                decision=Decision.REFUSED,
                reason=reason,
                now=utcnow(),
                counts=counts,
            )
        except NotLinked:
            not_logged_in(outgoing)
            return
        except (NoAccess, ApplicationNotFound):
            outgoing.send(_("This application is not among those of the client you act for."))
            return
        except MayNotSign:
            outgoing.send(
                _(
                    "Only a person with signing rights by the Company Register can sign for the "
                    "client. You can prepare applications and send them for signing."
                )
            )
            return
        except AwaitingReview:
            outgoing.send(_("Nothing can be signed in the client's name until ALTUM checks it."))
            return
        except (NotEditable, FormIncomplete):
            outgoing.send(
                _(
                    "This is no longer the content you were asked to sign: it was changed, "
                    "withdrawn or submitted."
                )
            )
            return
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📝 Applications"), callback_data=MenuAction(section=APPLICATIONS))
        outgoing.send(_("You refused to sign. The preparer is told."), keyboard=builder.as_markup())

    @router.callback_query(FormAct.filter(F.act.in_(ACTIONS)))
    async def pressed(
        query: CallbackQuery,
        callback_data: FormAct,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id, act, app = query.from_user.id, callback_data.act, callback_data.app
        # Every button names an application: refused at once (with an alert) unless it is
        # the acted-for client's. «Sign» and «Refuse» check it again when deciding.
        opened = await load_opened(forms, user_id, app, uow, outgoing, query.id)
        if opened is None:
            return
        if act == "sg":
            outgoing.answer_callback(query.id)
            await confirmation_link(user_id, opened, callback_data.v, False, uow, outgoing)
            return
        if act == "rf":
            outgoing.answer_callback(query.id)
            await state.set_state(FormDialog.reason)
            await state.set_data({"app": app, "hash": callback_data.v})
            outgoing.send(_("Why do you refuse to sign? Type the reason; the preparer sees it."))
            return
        if act == "sub":
            await submit(query, opened, uow, outgoing)
            return
        if opened.application.status not in OPEN:
            outgoing.answer_callback(
                query.id, _("This application can no longer be changed."), alert=True
            )
            return
        if act in ("sign", "send", "save", "cancel", "wd", "ed"):
            await whole(query, callback_data, opened, state, uow, outgoing)
            return

    async def whole(
        query: CallbackQuery,
        data: FormAct,
        opened: apps.Opened,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        """The summary's buttons and those that act on the whole draft."""
        user_id, app, act = query.from_user.id, opened.application.id, data.act
        outgoing.answer_callback(query.id)
        notifier = OutgoingNotifier(uow, outgoing)
        questionnaire = opened.form.kind is FormKind.QUESTIONNAIRE
        if act == "save" and questionnaire:
            await state.clear()
            outgoing.send(saved_text(app), keyboard=back_keyboard())
            return
        if act == "save":
            await state.clear()
            outgoing.send(
                _(
                    "💾 Draft No. {id} is saved. Continue it from «Applications» → "
                    "«List of applications»."
                ).format(id=app),
                keyboard=onward_keyboard(),
            )
            return
        if act == "cancel":
            if opened.application.status is ApplicationStatus.DRAFT:
                await apps.discard(
                    uow=uow, forms=forms, telegram_user_id=user_id, application_id=app, now=utcnow()
                )
                await state.clear()
                outgoing.send(
                    cancelled_text()
                    if questionnaire
                    else _("✖️ The application was cancelled and its draft deleted."),
                    keyboard=back_keyboard() if questionnaire else onward_keyboard(),
                )
            return
        if act == "wd":
            try:
                await apps.withdraw(
                    uow=uow,
                    notifier=notifier,
                    forms=forms,
                    telegram_user_id=user_id,
                    application_id=app,
                    now=utcnow(),
                    counts=counts,
                )
            except NotEditable:
                outgoing.send(_("Only the person who prepared it can withdraw it."))
                return
            await state.clear()
            outgoing.send(_("↩️ The application No. {id} was withdrawn.").format(id=app))
            return
        if act == "ed":
            fields = opened.form.fields
            index = data.f
            shown = {f.id for f in visible_fields(opened.form, opened.answers)}
            if not 0 <= index < len(fields) or fields[index].id not in shown:
                await resume(outgoing, state, uow, opened, counts=counts)
                return
            await go_on(
                outgoing,
                state,
                uow,
                forms,
                user_id,
                opened,
                dict(opened.answers),
                fields[index],
                counts=counts,
            )
            return
        if not opened.form.needs_signatures:  # a questionnaire: a forged or stale button
            outgoing.send(_("This form needs no signatures: submit it from its summary."))
            await resume(outgoing, state, uow, opened, counts=counts)
            return
        try:
            if act == "send":
                await apps.send_for_signing(
                    uow=uow,
                    notifier=notifier,
                    forms=forms,
                    telegram_user_id=user_id,
                    application_id=app,
                    now=utcnow(),
                    reminders=reminders,
                    counts=counts,
                )
                await state.clear()
                outgoing.send(
                    _(
                        "📨 Sent for signing. The signatories are asked in the chat; you will be "
                        "told when they sign."
                    )
                )
                return
            # «Parakstīt»: the signer's own signature; alone it is enough, else the others
            # are asked.
            rule = await apps.signing_rule(
                uow=uow, client_id=opened.application.client_id, counts=counts
            )
            if opened.person_id not in rule.rules:
                raise MayNotSign
            digest = apps.hash_of(opened)
            alone = rule.needed_with(opened.person_id) == 1
            if not alone:
                await apps.send_for_signing(
                    uow=uow,
                    notifier=notifier,
                    forms=forms,
                    telegram_user_id=user_id,
                    application_id=app,
                    now=utcnow(),
                    reminders=reminders,
                    counts=counts,
                )
            await state.clear()
            # A sole signatory's signature submits too, once the provider confirms them.
            await confirmation_link(user_id, opened, digest[:16], alone, uow, outgoing)
        except FormIncomplete as problem:
            names = ", ".join(
                opened.form.field(f).label.get(current_locale()) for f in problem.fields
            )
            outgoing.send(
                _("Some answers are missing or no longer fit: {fields}").format(
                    fields=escape(names)
                )
            )
            await resume(outgoing, state, uow, opened, counts=counts)
        except MayNotSign:
            outgoing.send(_("Only a person with signing rights by the Company Register can sign."))
        except AwaitingReview:
            outgoing.send(_("Nothing can be signed in the client's name until ALTUM checks it."))

    async def submit(
        query: CallbackQuery,
        opened: apps.Opened,
        uow: UnitOfWork,
        outgoing: Outgoing,
        *,
        answered: bool = False,
    ) -> None:
        """«Iesniegt ALTUM»: once, even on a double tap."""
        try:
            _record, first = await apps.submit(
                uow=uow,
                notifier=OutgoingNotifier(uow, outgoing),
                forms=forms,
                telegram_user_id=query.from_user.id,
                application_id=opened.application.id,
                now=utcnow(),
                printing=printing,
                counts=counts,
            )
        except RuleNotMet:
            if not answered:
                outgoing.answer_callback(
                    query.id,
                    _(
                        "It cannot be submitted yet: the signatures the Company Register's rule "
                        "requires are missing."
                    ),
                    alert=True,
                )
            return
        except AwaitingReview:
            if not answered:
                outgoing.answer_callback(
                    query.id,
                    _("Nothing can be submitted in the client's name until ALTUM checks it."),
                    alert=True,
                )
            return
        except (NotEditable, FormIncomplete):
            if not answered:
                outgoing.answer_callback(
                    query.id, _("This application can no longer be submitted."), alert=True
                )
            return
        if not answered:
            outgoing.answer_callback(
                query.id, None if first else _("It has already been submitted.")
            )
        if first and opened.form.kind is FormKind.QUESTIONNAIRE:
            outgoing.send(submitted_text(opened.form), keyboard=back_keyboard())

    return router
