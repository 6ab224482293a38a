"""The form dialog: one question per message with the fitting input, for any form kind
(applications, deal applications and the questionnaires of «Anketas»: `form_router(forms)`
serves them all, a form's draft being an application row; the applications' router includes it).
What acts on the whole application is `dialogs.form_actions`; `form_actions.form_routers` gives
both.

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

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date, get_day_names

from dialogs.application_texts import form_title, summary_text
from dialogs.callbacks import FormAct
from dialogs.chat_notices import OutgoingNotifier
from dialogs.clients import not_logged_in
from dialogs.form_texts import accumulating_hint, question_text, refusal_text, value_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.message_common import take_file
from dialogs.outgoing import Outgoing
from dialogs.shorten import shorten
from dialogs.uploads import FileDesk, Prefetched
from portal import applications as apps
from portal.application_files import attach_file
from portal.forms import (
    ACCUMULATING,
    Code,
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
from portal.forms.refusals import refuse
from portal.model import (
    OPEN,
    ApplicationNotFound,
    ApplicationStatus,
    NoAccess,
    NotLinked,
)
from portal.ports import UnitOfWork
from portal.signing import Counts

Answers = dict[str, Value | None]


# Buttons that act on the whole application (dialogs/form_actions.py), not on a question.
ACTIONS = ("sg", "rf", "sub", "sign", "send", "save", "cancel", "wd", "ed")


class FormDialog(StatesGroup):
    question = State()  # typed answers go to the application's current question
    reason = State()  # a refusal's reason


def utcnow() -> datetime:
    return datetime.now(UTC)


def button_data(act: str, app: int, f: int = -1, v: str = "") -> FormAct:
    return FormAct(act=act, app=app, f=f, v=v)


def _index(opened: apps.Opened, field: Field) -> int:
    return [f.id for f in opened.form.fields].index(field.id)


# Latvian calendars head the week so; Babel's abbreviations ("pirmd.") are too wide for a
# seventh of a phone's screen and its narrow ones ("P", "P") repeat.
LV_WEEKDAYS = ("P", "O", "T", "C", "Pk", "S", "Sv")


def _calendar(builder: InlineKeyboardBuilder, app: int, f: int, month: date) -> int:
    """A month of day buttons (value: the ISO date as digits) with ‹ › to move, under the
    month's name ("Decembris 2026", not "12.2026") and the days of the week (P O T C P S Sv),
    so a day's place in the week can be seen; rows used."""
    rows = [3]
    locale = current_locale()
    title = format_date(month, "LLLL y", locale=locale)
    builder.button(text="‹", callback_data=button_data("cal", app, f, _shift(month, -1)))
    builder.button(
        text=title[:1].upper() + title[1:],
        callback_data=button_data("cal", app, f, _shift(month, 0)),
    )
    builder.button(text="›", callback_data=button_data("cal", app, f, _shift(month, 1)))
    narrow = get_day_names("narrow", "stand-alone", locale)
    names = LV_WEEKDAYS if locale == "lv" else tuple(narrow[day] for day in range(7))
    for name in names:
        builder.button(text=name, callback_data=button_data("nop", app, f))
    rows.append(7)
    for week in calendar.Calendar().monthdayscalendar(month.year, month.month):
        for day in week:
            if day == 0:
                builder.button(text="·", callback_data=button_data("nop", app, f))
            else:
                value = date(month.year, month.month, day).strftime("%Y%m%d")
                builder.button(text=str(day), callback_data=button_data("a", app, f, value))
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
                text=mark + option.label.get(current_locale()),
                callback_data=button_data("a", app, f, str(i)),
            )
            sizes.append(1)
    elif field.type is FieldType.MULTI_CHOICE:
        chosen = current if isinstance(current, tuple) else ()
        for i, option in enumerate(field.options):
            mark = "☑️ " if option.id in chosen else "⬜ "
            builder.button(
                text=mark + option.label.get(current_locale()),
                callback_data=button_data("tog", app, f, str(i)),
            )
            sizes.append(1)
    elif field.type is FieldType.YES_NO:
        builder.button(text=_("Yes"), callback_data=button_data("a", app, f, "yes"))
        builder.button(text=_("No"), callback_data=button_data("a", app, f, "no"))
        sizes.append(2)
    elif field.type is FieldType.DATE:
        start = current if isinstance(current, date) else month or apps_today()
        sizes += [3] + [7] * (_calendar(builder, app, f, start.replace(day=1)) - 1)
    if field.type in ACCUMULATING:
        builder.button(text=_("✔️ Done"), callback_data=button_data("ok", app, f))
        sizes.append(1)
    if field.type is FieldType.LONG_TEXT and current:
        # The parts typed so far, mistakes and all: gone in one tap, to be typed again.
        builder.button(text=_("🗑 Clear the text"), callback_data=button_data("clr", app, f))
        sizes.append(1)
    nav = 0
    if previous_question(opened.form, opened.answers, field.id) is not None:
        builder.button(text=_("⬅️ Back"), callback_data=button_data("back", app, f))
        nav += 1
    if not field.required:
        builder.button(text=_("⏭ Skip"), callback_data=button_data("skip", app, f))
        nav += 1
    if nav:
        sizes.append(nav)
    builder.button(text=_("💾 Save draft"), callback_data=button_data("save", app, f))
    builder.button(text=_("✖️ Cancel"), callback_data=button_data("cancel", app, f))
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()


def apps_today() -> date:
    return utcnow().astimezone(apps.RIGA).date()


def current_locale() -> str:
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
    return "\n".join(lines)


async def ask(outgoing: Outgoing, state: FSMContext, opened: apps.Opened, field: Field) -> None:
    await state.set_state(FormDialog.question)
    await state.set_data({"app": opened.application.id})
    outgoing.send(question_message(opened, field), keyboard=question_keyboard(opened, field))


async def show_summary(
    outgoing: Outgoing, state: FSMContext, uow: UnitOfWork, opened: apps.Opened, *, counts: Counts
) -> None:
    await state.clear()
    outgoing.send(
        summary_text(opened.form, opened.answers),
        keyboard=await summary_keyboard(uow, opened, counts=counts),
    )


async def summary_keyboard(
    uow: UnitOfWork, opened: apps.Opened, *, counts: Counts
) -> InlineKeyboardMarkup:
    """Any answer changed in two taps (its button, then the answer); then the way on that
    fits the person: sign (alone: and submit), or send to the signers, or submit. Whether the
    person signs alone follows the register's rule as `counts` reads its "with at least N"."""
    application, app = opened.application, opened.application.id
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for field in visible_fields(opened.form, opened.answers):
        label = field.label.get(current_locale())
        builder.button(
            text=shorten(f"✏️ {label}", 60),
            callback_data=button_data("ed", app, _index(opened, field)),
        )
    fields = len(visible_fields(opened.form, opened.answers))
    sizes += [2] * (fields // 2) + ([1] if fields % 2 else [])
    if opened.form.needs_signatures:
        rule = await apps.signing_rule(uow=uow, client_id=application.client_id, counts=counts)
        if opened.person_id in rule.rules:
            alone = rule.needed_with(opened.person_id) == 1
            text = _("✍️ Sign and submit") if alone else _("✍️ Sign and send for signing")
            builder.button(text=text, callback_data=button_data("sign", app))
        else:
            builder.button(text=_("📨 Send for signing"), callback_data=button_data("send", app))
    else:
        builder.button(text=_("📤 Submit to ALTUM"), callback_data=button_data("sub", app))
    sizes.append(1)
    builder.button(text=_("💾 Save draft"), callback_data=button_data("save", app))
    if application.status is ApplicationStatus.DRAFT:
        builder.button(text=_("✖️ Cancel"), callback_data=button_data("cancel", app))
    else:
        builder.button(text=_("↩️ Withdraw"), callback_data=button_data("wd", app))
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
    *,
    counts: Counts,
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
        now=utcnow(),
        counts=counts,
    )
    opened = apps.Opened(record, opened.form, answers, opened.access, opened.person_id)
    if field is None:
        await show_summary(outgoing, state, uow, opened, counts=counts)
    else:
        await ask(outgoing, state, opened, field)


async def resume(
    outgoing: Outgoing,
    state: FSMContext,
    uow: UnitOfWork,
    opened: apps.Opened,
    *,
    counts: Counts,
) -> None:
    """A saved draft goes on where it stopped (or at its summary when all is answered)."""
    field = resume_question(opened.form, opened.answers, opened.application.current_field)
    if field is None:
        await show_summary(outgoing, state, uow, opened, counts=counts)
    else:
        await ask(outgoing, state, opened, field)


def _refused(outgoing: Outgoing, opened: apps.Opened, field: Field, refusal: Refusal) -> None:
    outgoing.send(escape(refusal_text(opened.form, field, refusal)))
    outgoing.send(question_message(opened, field), keyboard=question_keyboard(opened, field))


async def load_opened(
    forms: FormCatalogue,
    user_id: int,
    app: int,
    uow: UnitOfWork,
    outgoing: Outgoing,
    query_id: str | None = None,
) -> apps.Opened | None:
    """The application through the chat's current client; a clear answer when it is not
    (a pressed button, `query_id`, is answered with the refusal as an alert, too)."""
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
        outgoing.send(refused)
    return None


def form_router(forms: FormCatalogue, desk: FileDesk | None = None, *, counts: Counts) -> Router:
    """The questions of any form kind; the whole-form actions are `dialogs.form_actions`.
    `desk`: where an attachment question's files are checked and stored; `counts`: how the
    register's "with at least N" is read (REGISTRATION_AT_LEAST_COUNTS)."""
    router = Router(name="form_dialog")

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
            await go_on(outgoing, state, uow, forms, user_id, opened, result, field, counts=counts)
            return
        following = next_question(opened.form, result)
        await go_on(outgoing, state, uow, forms, user_id, opened, result, following, counts=counts)

    @router.message(StateFilter(FormDialog.question), F.text)
    async def typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        user_id = message.from_user.id
        app = (await state.get_data()).get("app")
        opened = await load_opened(forms, user_id, int(app or 0), uow, outgoing)
        if opened is None:
            await state.clear()
            return
        if opened.application.status not in OPEN:
            await state.clear()
            outgoing.send(_("This application can no longer be changed."))
            return
        field = resume_question(opened.form, opened.answers, opened.application.current_field)
        if field is None:
            await show_summary(outgoing, state, uow, opened, counts=counts)
            return
        answers = dict(opened.answers)
        context = await apps.form_context(uow=uow, application=opened.application, now=utcnow())
        if field.type is FieldType.LONG_TEXT:
            result = append_text(opened.form, answers, field.id, message.text, context=context)
            await answered(user_id, opened, field, result, uow, state, outgoing, stay=True)
        elif field.type in (FieldType.MULTI_CHOICE, FieldType.ATTACHMENT):
            outgoing.send(escape(accumulating_hint(field)))
        else:
            result = answer(opened.form, answers, field.id, message.text, context=context)
            await answered(user_id, opened, field, result, uow, state, outgoing)

    @router.message(StateFilter(FormDialog.question), F.document | F.photo)
    async def file_sent(
        message: Message,
        bot: Bot,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        prefetched: Prefetched | None = None,
    ) -> None:
        """A file for the attachment question asked now: checked by the upload pipeline,
        stored, and added to the answer; «Gatavs» goes on."""
        assert message.from_user is not None
        user_id = message.from_user.id
        app = (await state.get_data()).get("app")
        opened = await load_opened(forms, user_id, int(app or 0), uow, outgoing)
        if opened is None:
            await state.clear()
            return
        if opened.application.status not in OPEN:
            await state.clear()
            outgoing.send(_("This application can no longer be changed."))
            return
        field = resume_question(opened.form, opened.answers, opened.application.current_field)
        if field is None or field.type is not FieldType.ATTACHMENT:
            outgoing.send(_("This question is not answered with a file."))
            if field is not None:
                await ask(outgoing, state, opened, field)
            return
        if desk is None:
            outgoing.send(_("Documents cannot be received here."))
            return
        client_id = opened.application.client_id
        file = await take_file(message, bot, desk, client_id, outgoing, prefetched)
        if file is None:  # refused: the reason was said; the question stays
            await ask(outgoing, state, opened, field)
            return
        result = await attach_file(
            uow=uow,
            notifier=OutgoingNotifier(uow, outgoing),
            forms=forms,
            telegram_user_id=user_id,
            application_id=opened.application.id,
            field_id=field.id,
            file=file,
            now=utcnow(),
            counts=counts,
        )
        if isinstance(result, Refusal):
            _refused(outgoing, opened, field, result)
            return
        outgoing.send(_("📎 Attached: {name}").format(name=escape(file.name)))
        await ask(outgoing, state, result, field)

    @router.callback_query(FormAct.filter(~F.act.in_(ACTIONS)))
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
        opened = await load_opened(forms, user_id, app, uow, outgoing, query.id)
        if opened is None:
            return
        if opened.application.status not in OPEN:
            outgoing.answer_callback(
                query.id, _("This application can no longer be changed."), alert=True
            )
            return
        fields = opened.form.fields
        asked = resume_question(opened.form, opened.answers, opened.application.current_field)
        index = callback_data.f
        if asked is None or not 0 <= index < len(fields) or fields[index].id != asked.id:
            outgoing.answer_callback(query.id, _("That question is no longer asked."), alert=True)
            await resume(outgoing, state, uow, opened, counts=counts)
            return
        outgoing.answer_callback(query.id)
        if query.message is not None:
            outgoing.remove_keyboard(query.message.message_id)
        field, answers = asked, dict(opened.answers)
        context = await apps.form_context(uow=uow, application=opened.application, now=utcnow())
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
                    # Nothing attached: «Izlaist» for an optional field, a refusal otherwise.
                    result = (
                        refuse(Code.REQUIRED)
                        if field.required
                        else skip(opened.form, answers, field.id)
                    )
                else:
                    result = confirm(opened.form, answers, field.id, context=context)
                await answered(user_id, opened, field, result, uow, state, outgoing)
            elif act == "skip":
                result = skip(opened.form, answers, field.id)
                await answered(user_id, opened, field, result, uow, state, outgoing)
            elif act == "clr" and field.type is FieldType.LONG_TEXT:
                answers.pop(field.id, None)
                outgoing.send(_("The text is cleared; type it again."))
                await go_on(
                    outgoing, state, uow, forms, user_id, opened, answers, field, counts=counts
                )
            elif act == "back":
                before = previous_question(opened.form, answers, field.id)
                await go_on(
                    outgoing,
                    state,
                    uow,
                    forms,
                    user_id,
                    opened,
                    answers,
                    before or field,
                    counts=counts,
                )
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
            else:  # a forged action, or one this question has no use for: asked again
                await resume(outgoing, state, uow, opened, counts=counts)
        except NotAQuestion:
            await resume(outgoing, state, uow, opened, counts=counts)

    return router
