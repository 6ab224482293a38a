"""«Anketas» (MANUAL-EN, issue 11): «Klienta anketa», «EASI anketa» and «Klientu apmierinātības
aptauja», each with where the client stands (a draft, the last submission's date). Filling one
is the form dialog's, the same as an application's (dialogs/form_dialog.py, included by the
applications' router): one question per message, the draft kept, the summary, submission.

Buttons carry a questionnaire's index in the catalogue's list only; the client is the chat's
current one, checked again by `portal.questionnaires` on every tap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.application_texts import form_title
from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.form_dialog import resume
from dialogs.form_texts import value_text
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.outgoing import Outgoing
from dialogs.questionnaire_texts import QUESTIONNAIRES, day_text
from dialogs.sections import DialogSettings, MenuEntry, Section, Visibility
from portal import applications as apps
from portal import questionnaires as qs
from portal.forms import FormCatalogue, decode_answers, summary
from portal.model import ApplicationNotFound, NoAccess, NotLinked
from portal.ports import UnitOfWork
from portal.signing import Counts


class QsAct(CallbackData, prefix="qs"):
    """`open` (where the client stands with it) or `fill` (its draft, new or resumed); `i` the
    questionnaire's index among those offered."""

    act: str
    i: int


def standing_line(standing: qs.Standing) -> str:
    title = form_title(standing.form)
    if standing.draft is not None:
        state = _("draft saved, not submitted")
    elif standing.last is not None and standing.last.submitted_at is not None:
        state = _("last submitted on {day}").format(day=day_text(standing.last.submitted_at))
    else:
        state = _("not submitted yet")
    return f"• <b>{title}</b>: {state}"


def overview_keyboard(standings: list[qs.Standing]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for i, standing in enumerate(standings):
        mark = "📝 " if standing.draft is not None else ""
        builder.button(text=mark + form_title(standing.form), callback_data=QsAct(act="open", i=i))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def last_submission_text(standing: qs.Standing) -> str:
    """The last submission's answers with its date (the client questionnaire's update starts
    from them)."""
    assert standing.last is not None and standing.last.submitted_at is not None
    locale = get_i18n().current_locale
    lines = [
        f"<b>{form_title(standing.form)}</b>",
        _("Last submitted on {day}:").format(day=day_text(standing.last.submitted_at)),
        "",
    ]
    if standing.form.id in qs.PREFILLED:
        answers = decode_answers(standing.form, standing.last.answers)
        for line in summary(standing.form, answers):
            label = escape(line.field.label.get(locale))
            lines.append(f"{label}: {escape(value_text(line.field, line.value))}")
        lines += ["", _("Has anything changed? Update it: the answers above are filled in.")]
    else:
        lines.append(_("You may fill it in again."))
    return "\n".join(lines)


def last_submission_keyboard(standing: qs.Standing, i: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    update = standing.form.id in qs.PREFILLED
    builder.button(
        text=_("🔄 Update") if update else _("📝 Fill in again"),
        callback_data=QsAct(act="fill", i=i),
    )
    builder.button(text=_("⬅️ Back"), callback_data=MenuAction(section=QUESTIONNAIRES))
    builder.adjust(1)
    return builder.as_markup()


def router(forms: FormCatalogue, *, counts: Counts) -> Router:
    router = Router(name="questionnaires")

    async def overview(user_id: int, uow: UnitOfWork, outgoing: Outgoing) -> None:
        access, standings = await qs.overview(uow=uow, forms=forms, telegram_user_id=user_id)
        lines = [_("<b>Questionnaires</b> — {client}").format(client=escape(access.name)), ""]
        lines += [standing_line(s) for s in standings]
        outgoing.send("\n".join(lines), keyboard=overview_keyboard(standings))

    async def fill(
        user_id: int, form_id: str, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        record = await qs.start(
            uow=uow, forms=forms, telegram_user_id=user_id, form_id=form_id, now=datetime.now(UTC)
        )
        opened = await apps.open_application(
            uow=uow, forms=forms, telegram_user_id=user_id, application_id=record.id
        )
        await resume(outgoing, state, uow, opened, counts=counts)

    async def act(
        query: CallbackQuery, data: QsAct, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        user_id = query.from_user.id
        _access, standings = await qs.overview(uow=uow, forms=forms, telegram_user_id=user_id)
        if data.act not in ("open", "fill") or not 0 <= data.i < len(standings):
            raise ApplicationNotFound
        standing = standings[data.i]
        outgoing.answer_callback(query.id)
        await state.clear()
        if data.act == "open" and standing.draft is None and standing.last is not None:
            outgoing.send(
                last_submission_text(standing),
                keyboard=last_submission_keyboard(standing, data.i),
            )
        else:  # a draft goes on; a questionnaire never submitted starts
            await fill(user_id, standing.form.id, state, uow, outgoing)

    async def guarded(
        query: CallbackQuery, outgoing: Outgoing, run: Callable[[], Awaitable[None]]
    ) -> None:
        """The refusals every button of the section shares: answered with an alert."""
        try:
            await run()
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
        except NoAccess:
            outgoing.answer_callback(
                query.id, _("First choose the client you act for: /client"), alert=True
            )
        except ApplicationNotFound:
            outgoing.answer_callback(
                query.id,
                _("This button is no longer valid. Send /start to open the menu again."),
                alert=True,
            )

    @router.callback_query(MenuAction.filter(F.section == QUESTIONNAIRES))
    async def opened(
        query: CallbackQuery, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        async def run() -> None:
            await overview(query.from_user.id, uow, outgoing)
            outgoing.answer_callback(query.id)
            await state.clear()

        await guarded(query, outgoing, run)

    @router.callback_query(QsAct.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: QsAct,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        async def run() -> None:
            await act(query, callback_data, state, uow, outgoing)

        await guarded(query, outgoing, run)

    return router


def _router(settings: DialogSettings) -> Router:
    return router(settings.forms, counts=settings.at_least_counts)


SECTION = Section(
    key=QUESTIONNAIRES,
    position=64,
    router=_router,
    menu=MenuEntry(__("📋 Questionnaires"), Visibility.LOGGED_IN, half=True),
    help=__("ALTUM's questionnaires: the client questionnaire, EaSI and customer satisfaction."),
)
