"""The form dialog: one question per message with the fitting input, for any form kind
(applications, deal applications, and later the questionnaires: `form_router(forms)` serves
them all, a form's draft being an application row).

Every answer is stored as it is given, with the question the dialog is at, so a draft resumes
there after a restart or days later. Buttons carry the application's id, the question's index
in its form and a short value; each handler loads the application through the chat's current
client and checks the question is still the one asked, so a forged or stale button changes
nothing and is answered clearly.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from dialogs.application_texts import APPLICATIONS, form_title, summary_text
from dialogs.callbacks import FormAct, MenuAction
from dialogs.chat_notices import OutgoingNotifier
from dialogs.clients import not_logged_in
from dialogs.form_texts import accumulating_hint, question_text, refusal_text, value_text
from dialogs.outgoing import Outgoing
from portal import applications as apps
from portal.forms import (
    ACCUMULATING,
    Field,
    FieldType,
    FormCatalogue,
    NotAQuestion,
    Refusal,
    Value,
    answer,
    append_text,
    confirm,
    next_question,
    previous_question,
    resume_question,
    skip,
    toggle_choice,
    visible_fields,
)
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
    RuleNotMet,
)
from portal.ports import UnitOfWork

Answers = dict[str, Value | None]


class FormDialog(StatesGroup):
    question = State()  # typed answers go to the application's current question
    reason = State()  # a refusal's reason


def _now() -> datetime:
    return datetime.now(UTC)


def _act(act: str, app: int, f: int = -1, v: str = "") -> FormAct:
    return FormAct(act=act, app=app, f=f, v=v)


def _index(opened: apps.Opened, field: Field) -> int:
    return [f.id for f in opened.form.fields].index(field.id)


def _calendar(builder: InlineKeyboardBuilder, app: int, f: int, month: date) -> int:
    """A month of day buttons (value: the ISO date as digits) with ‹ › to move; rows used."""
    rows = [1]
    builder.button(text="‹", callback_data=_act("cal", app, f, _shift(month, -1)))
    builder.button(
        text=month.strftime("%m.%Y"), callback_data=_act("cal", app, f, _shift(month, 0))
    )
    builder.button(text="›", callback_data=_act("cal", app, f, _shift(month, 1)))
    rows[0] = 3
    for week in calendar.Calendar().monthdayscalendar(month.year, month.month):
        for day in week:
            if day == 0:
                builder.button(text="·", callback_data=_act("nop", app, f))
            else:
                value = date(month.year, month.month, day).strftime("%Y%m%d")
                builder.button(text=str(day), callback_data=_act("a", app, f, value))
        rows.append(7)
    return len(rows)


def _shift(month: date, by: int) -> str:
    index = month.year * 12 + month.month - 1 + by
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def question_keyboard(
    opened: apps.Opened, field: Field, *, month: date | None = None
) -> InlineKeyboardMarkup:
    app, f = opened.application.id, _index(opened, field)
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    current = opened.answers.get(field.id)
    if field.type is FieldType.CHOICE:
        for i, option in enumerate(field.options):
            mark = "✅ " if current == option.id else ""
            builder.button(
                text=mark + option.label.get(_locale()), callback_data=_act("a", app, f, str(i))
            )
            sizes.append(1)
    elif field.type is FieldType.MULTI_CHOICE:
        chosen = current if isinstance(current, tuple) else ()
        for i, option in enumerate(field.options):
            mark = "☑️ " if option.id in chosen else "⬜ "
            builder.button(
                text=mark + option.label.get(_locale()), callback_data=_act("tog", app, f, str(i))
            )
            sizes.append(1)
    elif field.type is FieldType.YES_NO:
        builder.button(text=_("Yes"), callback_data=_act("a", app, f, "yes"))
        builder.button(text=_("No"), callback_data=_act("a", app, f, "no"))
        sizes.append(2)
    elif field.type is FieldType.DATE:
        start = current if isinstance(current, date) else month or apps_today()
        sizes += [3] + [7] * (_calendar(builder, app, f, start.replace(day=1)) - 1)
    if field.type in ACCUMULATING:
        builder.button(text=_("✔️ Done"), callback_data=_act("ok", app, f))
        sizes.append(1)
    nav = 0
    if previous_question(opened.form, opened.answers, field.id) is not None:
        builder.button(text=_("⬅️ Back"), callback_data=_act("back", app, f))
        nav += 1
    if not field.required:
        builder.button(text=_("⏭ Skip"), callback_data=_act("skip", app, f))
        nav += 1
    if nav:
        sizes.append(nav)
    builder.button(text=_("💾 Save draft"), callback_data=_act("save", app, f))
    builder.button(text=_("✖️ Cancel"), callback_data=_act("cancel", app, f))
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()


def apps_today() -> date:
    return _now().astimezone(apps.RIGA).date()


def _locale() -> str:
    from aiogram.utils.i18n import get_i18n

    return get_i18n().current_locale


def question_message(opened: apps.Opened, field: Field) -> str:
    shown = visible_fields(opened.form, opened.answers)
    number = [f.id for f in shown].index(field.id) + 1
    lines = [
        _("<b>{title}</b> · question {n} of {total}").format(
            title=form_title(opened.form), n=number, total=len(shown)
        ),
        "",
        escape(question_text(field)),
    ]
    if not field.required:
        lines.append(_("(optional)"))
    if field.type in ACCUMULATING:
        lines.append(escape(accumulating_hint(field)))
    value = opened.answers.get(field.id)
    if field.id in opened.answers and value is not None:
        lines.append(_("Now: {value}").format(value=escape(value_text(field, value))))
    if field.type is FieldType.ATTACHMENT:
        lines.append(_("Files cannot be attached in the chat yet: press «Done» to go on."))
    return "\n".join(lines)


async def ask(outgoing: Outgoing, state: FSMContext, opened: apps.Opened, field: Field) -> None:
    await state.set_state(FormDialog.question)
    await state.set_data({"app": opened.application.id})
    outgoing.send(question_message(opened, field), keyboard=question_keyboard(opened, field))


async def show_summary(
    outgoing: Outgoing, state: FSMContext, uow: UnitOfWork, opened: apps.Opened
) -> None:
    await state.clear()
    outgoing.send(
        summary_text(opened.form, opened.answers),
        keyboard=await summary_keyboard(uow, opened),
    )


async def summary_keyboard(uow: UnitOfWork, opened: apps.Opened) -> InlineKeyboardMarkup:
    """Any answer changed in two taps (its button, then the answer); then the way on that
    fits the person: sign (alone: and submit), or send to the signers, or submit."""
    application, app = opened.application, opened.application.id
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for field in visible_fields(opened.form, opened.answers):
        label = field.label.get(_locale())
        builder.button(text=f"✏️ {label}"[:60], callback_data=_act("ed", app, _index(opened, field)))
    fields = len(visible_fields(opened.form, opened.answers))
    sizes += [2] * (fields // 2) + ([1] if fields % 2 else [])
    if opened.form.needs_signatures:
        rule = await apps.signing_rule(uow=uow, client_id=application.client_id, counts="others")
        if opened.person_id in rule.rules:
            alone = rule.needed_with(opened.person_id) == 1
            text = _("✍️ Sign and submit") if alone else _("✍️ Sign and send for signing")
            builder.button(text=text, callback_data=_act("sign", app))
        else:
            builder.button(text=_("📨 Send for signing"), callback_data=_act("send", app))
    else:
        builder.button(text=_("📤 Submit to ALTUM"), callback_data=_act("sub", app))
    sizes.append(1)
    builder.button(text=_("💾 Save draft"), callback_data=_act("save", app))
    if application.status is ApplicationStatus.DRAFT:
        builder.button(text=_("✖️ Cancel"), callback_data=_act("cancel", app))
    else:
        builder.button(text=_("↩️ Withdraw"), callback_data=_act("wd", app))
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()


async def go_on(
    outgoing: Outgoing,
    state: FSMContext,
    uow: UnitOfWork,
    forms: FormCatalogue,
    user_id: int,
    opened: apps.Opened,
    answers: Answers,
    field: Field | None,
) -> None:
    """Store the answers with the question now asked (None: the summary), then ask it."""
    notifier = OutgoingNotifier(uow, outgoing)
    record = await apps.save_answers(
        uow=uow,
        notifier=notifier,
        forms=forms,
        telegram_user_id=user_id,
        application_id=opened.application.id,
        answers=answers,
        current_field=field.id if field else None,
        now=_now(),
    )
    opened = apps.Opened(record, opened.form, answers, opened.access, opened.person_id)
    if field is None:
        await show_summary(outgoing, state, uow, opened)
    else:
        await ask(outgoing, state, opened, field)


async def resume(
    outgoing: Outgoing,
    state: FSMContext,
    uow: UnitOfWork,
    opened: apps.Opened,
) -> None:
    """A saved draft goes on where it stopped (or at its summary when all is answered)."""
    field = resume_question(opened.form, opened.answers, opened.application.current_field)
    if field is None:
        await show_summary(outgoing, state, uow, opened)
    else:
        await ask(outgoing, state, opened, field)


def _refused(outgoing: Outgoing, opened: apps.Opened, field: Field, refusal: Refusal) -> None:
    outgoing.send(escape(refusal_text(opened.form, field, refusal)))
    outgoing.send(question_message(opened, field), keyboard=question_keyboard(opened, field))


def form_router(forms: FormCatalogue) -> Router:
    router = Router(name="form_dialog")

    async def load(
        user_id: int, app: int, uow: UnitOfWork, outgoing: Outgoing, query_id: str | None = None
    ) -> apps.Opened | None:
        """The application, if it is the acted-for client's; if not, a pressed button
        (`query_id`) is answered with the refusal."""
        try:
            return await apps.open_application(
                uow=uow, forms=forms, telegram_user_id=user_id, application_id=app
            )
        except NotLinked:
            if query_id is not None:
                outgoing.answer_callback(query_id)
            not_logged_in(outgoing)
        except (NoAccess, ApplicationNotFound):
            refused = _("This application is not among those of the client you act for.")
            if query_id is not None:
                outgoing.answer_callback(query_id, refused, alert=True)
            else:
                outgoing.send(refused)
        return None

    async def answered(
        user_id: int,
        opened: apps.Opened,
        field: Field,
        result: Answers | Refusal,
        uow: UnitOfWork,
        state: FSMContext,
        outgoing: Outgoing,
        *,
        stay: bool = False,
    ) -> None:
        if isinstance(result, Refusal):
            _refused(outgoing, opened, field, result)
            return
        if stay:  # a part of a long text, a multi choice's toggle: the same question again
            await go_on(outgoing, state, uow, forms, user_id, opened, result, field)
            return
        following = next_question(opened.form, result)
        await go_on(outgoing, state, uow, forms, user_id, opened, result, following)

    @router.message(StateFilter(FormDialog.question), F.text)
    async def typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        user_id = message.from_user.id
        app = (await state.get_data()).get("app")
        opened = await load(user_id, int(app or 0), uow, outgoing)
        if opened is None:
            await state.clear()
            return
        if opened.application.status not in OPEN:
            await state.clear()
            outgoing.send(_("This application can no longer be changed."))
            return
        field = resume_question(opened.form, opened.answers, opened.application.current_field)
        if field is None:
            await show_summary(outgoing, state, uow, opened)
            return
        answers = dict(opened.answers)
        context = await apps.form_context(uow=uow, application=opened.application, now=_now())
        if field.type is FieldType.LONG_TEXT:
            result = append_text(opened.form, answers, field.id, message.text, context=context)
            await answered(user_id, opened, field, result, uow, state, outgoing, stay=True)
        elif field.type in (FieldType.MULTI_CHOICE, FieldType.ATTACHMENT):
            outgoing.send(escape(accumulating_hint(field)))
        else:
            result = answer(opened.form, answers, field.id, message.text, context=context)
            await answered(user_id, opened, field, result, uow, state, outgoing)

    @router.message(StateFilter(FormDialog.reason), F.text)
    async def reason_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        data = await state.get_data()
        await state.clear()
        reason = " ".join(message.text.split())[:1000]
        await decide(
            message.from_user.id,
            int(data.get("app", 0)),
            str(data.get("hash", "")),
            Decision.REFUSED,
            reason,
            uow,
            outgoing,
        )

    async def decide(
        user_id: int,
        app: int,
        short_hash: str,
        decision: Decision,
        reason: str | None,
        uow: UnitOfWork,
        outgoing: Outgoing,
        *,
        tell: bool = True,
    ) -> apps.SigningState | None:
        try:
            signing = await apps.decide(
                uow=uow,
                notifier=OutgoingNotifier(uow, outgoing),
                forms=forms,
                telegram_user_id=user_id,
                application_id=app,
                content_hash_seen=short_hash,
                decision=decision,
                reason=reason,
                now=_now(),
            )
        except NotLinked:
            not_logged_in(outgoing)
            return None
        except (NoAccess, ApplicationNotFound):
            outgoing.send(_("This application is not among those of the client you act for."))
            return None
        except MayNotSign:
            outgoing.send(
                _(
                    "Only a person with signing rights by the Company Register can sign for the "
                    "client. You can prepare applications and send them for signing."
                )
            )
            return None
        except AwaitingReview:
            outgoing.send(_("Nothing can be signed in the client's name until ALTUM checks it."))
            return None
        except NotEditable:
            outgoing.send(
                _(
                    "This is no longer the content you were asked to sign: it was changed, "
                    "withdrawn or submitted."
                )
            )
            return None
        except FormIncomplete:
            outgoing.send(_("The application is not complete: it cannot be signed yet."))
            return None
        if not tell:
            return signing
        builder = InlineKeyboardBuilder()
        if decision is Decision.REFUSED:
            text = _("You refused to sign. The preparer is told.")
        elif signing.met:
            text = _("✍️ Signed. Everyone needed has signed: it can be sent to ALTUM.")
            builder.button(text=_("📤 Submit to ALTUM"), callback_data=_act("sub", app))
        else:
            text = _("✍️ Signed. Waiting for the other signatories.")
        builder.button(text=_("📝 Applications"), callback_data=MenuAction(section=APPLICATIONS))
        builder.adjust(1)
        outgoing.send(text, keyboard=builder.as_markup())
        return signing

    @router.callback_query(FormAct.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: FormAct,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id, act, app = query.from_user.id, callback_data.act, callback_data.app
        if act == "nop":
            outgoing.answer_callback(query.id)
            return
        # Every other button names an application: refused at once (with an alert) unless
        # it is the acted-for client's. «Sign» and «Refuse» check it again when deciding.
        opened = await load(user_id, app, uow, outgoing, query.id)
        if opened is None:
            return
        if act == "sg":
            outgoing.answer_callback(query.id)
            await decide(user_id, app, callback_data.v, Decision.SIGNED, None, uow, outgoing)
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
        fields = opened.form.fields
        asked = resume_question(opened.form, opened.answers, opened.application.current_field)
        index = callback_data.f
        if asked is None or not 0 <= index < len(fields) or fields[index].id != asked.id:
            outgoing.answer_callback(query.id, _("That question is no longer asked."), alert=True)
            await resume(outgoing, state, uow, opened)
            return
        outgoing.answer_callback(query.id)
        if query.message is not None:
            outgoing.remove_keyboard(query.message.message_id)
        field, answers = asked, dict(opened.answers)
        context = await apps.form_context(uow=uow, application=opened.application, now=_now())
        try:
            if act == "a":
                raw = callback_data.v
                if field.type is FieldType.CHOICE:
                    raw = (
                        field.options[int(raw)].id
                        if raw.isdigit() and int(raw) < len(field.options)
                        else "?"
                    )
                elif field.type is FieldType.DATE and len(raw) == 8:
                    raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
                result = answer(opened.form, answers, field.id, raw, context=context)
                await answered(user_id, opened, field, result, uow, state, outgoing)
            elif act == "tog" and field.type is FieldType.MULTI_CHOICE:
                i = int(callback_data.v) if callback_data.v.isdigit() else -1
                option = field.options[i].id if 0 <= i < len(field.options) else "?"
                result = toggle_choice(opened.form, answers, field.id, option)
                await answered(user_id, opened, field, result, uow, state, outgoing, stay=True)
            elif act == "ok":
                if field.type is FieldType.ATTACHMENT and field.id not in answers:
                    result = skip(opened.form, answers, field.id) if not field.required else answers
                else:
                    result = confirm(opened.form, answers, field.id, context=context)
                await answered(user_id, opened, field, result, uow, state, outgoing)
            elif act == "skip":
                result = skip(opened.form, answers, field.id)
                await answered(user_id, opened, field, result, uow, state, outgoing)
            elif act == "back":
                before = previous_question(opened.form, answers, field.id)
                await go_on(outgoing, state, uow, forms, user_id, opened, answers, before or field)
            elif act == "cal":
                raw = callback_data.v
                month = (
                    date(int(raw[:4]), int(raw[4:6]), 1)
                    if len(raw) == 6 and raw.isdigit()
                    else None
                )
                outgoing.send(
                    question_message(opened, field),
                    keyboard=question_keyboard(opened, field, month=month),
                )
        except NotAQuestion:
            await resume(outgoing, state, uow, opened)

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
        if act == "save":
            await state.clear()
            outgoing.send(
                _(
                    "💾 The draft No. {id} is saved. Continue it from «Applications» → "
                    "«List of applications»."
                ).format(id=app)
            )
            return
        if act == "cancel":
            if opened.application.status is ApplicationStatus.DRAFT:
                await apps.discard(
                    uow=uow, forms=forms, telegram_user_id=user_id, application_id=app, now=_now()
                )
                await state.clear()
                outgoing.send(_("✖️ The application was cancelled and its draft deleted."))
            return
        if act == "wd":
            try:
                await apps.withdraw(
                    uow=uow,
                    notifier=notifier,
                    forms=forms,
                    telegram_user_id=user_id,
                    application_id=app,
                    now=_now(),
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
                await resume(outgoing, state, uow, opened)
                return
            await go_on(
                outgoing, state, uow, forms, user_id, opened, dict(opened.answers), fields[index]
            )
            return
        try:
            if act == "send":
                await apps.send_for_signing(
                    uow=uow,
                    notifier=notifier,
                    forms=forms,
                    telegram_user_id=user_id,
                    application_id=app,
                    now=_now(),
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
                uow=uow, client_id=opened.application.client_id, counts="others"
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
                    now=_now(),
                )
            await state.clear()
            signing = await decide(
                user_id, app, digest[:16], Decision.SIGNED, None, uow, outgoing, tell=not alone
            )
            if signing is not None and alone:  # sign and submit in one flow
                refreshed = await load(user_id, app, uow, outgoing)
                if refreshed is not None:
                    await submit(query, refreshed, uow, outgoing, answered=True)
        except FormIncomplete as problem:
            names = ", ".join(opened.form.field(f).label.get(_locale()) for f in problem.fields)
            outgoing.send(
                _("Some answers are missing or no longer fit: {fields}").format(
                    fields=escape(names)
                )
            )
            await resume(outgoing, state, uow, opened)
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
                now=_now(),
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

    return router
