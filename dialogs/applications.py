"""«Pieteikumi» (MANUAL-EN §5–8): «Jauns pieteikums» (a form of kind application) and
«Pieteikumu saraksts» (drafts and submitted, newest first, statuses in the portal's words,
a page at a time, filtered by status). The questions themselves are the form dialog's."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.application_texts import APPLICATIONS, application_line, form_title, status_text
from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.form_actions import form_routers
from dialogs.form_dialog import resume, show_summary
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.outgoing import Outgoing
from dialogs.sections import DialogSettings, MenuEntry, Routing, Section, Visibility
from dialogs.uploads import FileDesk
from portal import applications as apps
from portal.application_pdf import Printing
from portal.forms import FormCatalogue, FormKind
from portal.model import (
    OPEN,
    ApplicationNotFound,
    ApplicationStatus,
    Invalid,
    NoAccess,
    NotLinked,
    ReminderPolicy,
)
from portal.ports import UnitOfWork
from portal.signing import Counts

S = ApplicationStatus
# The list's filters: an opaque key each, and the statuses it shows.
FILTERS: dict[str, frozenset[ApplicationStatus] | None] = {
    "all": None,
    "draft": frozenset({S.DRAFT}),
    "sign": frozenset({S.SENT_FOR_SIGNING}),
    "sent": frozenset({S.SUBMITTED, S.IN_REVIEW, S.INFO_NEEDED}),
    "done": frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
}


class AppMenu(CallbackData, prefix="ap"):
    """«Pieteikumi»'s buttons: `act` new | form | list | open; `v` a form's index, a filter
    key with the id to page on from (`all.120`), or an application's id."""

    act: str
    v: str = ""


def _filter_label(key: str) -> str:
    labels = {
        "all": _("All"),
        "draft": status_text(S.DRAFT),
        "sign": status_text(S.SENT_FOR_SIGNING),
        "sent": _("Submitted, under review"),
        "done": _("Decided, withdrawn"),
    }
    return labels[key]


def menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ New application"), callback_data=AppMenu(act="new"))
    builder.button(text=_("📋 List of applications"), callback_data=AppMenu(act="list", v="all"))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def router(
    forms: FormCatalogue,
    *,
    public_url: str = "",
    minutes: int = 5,
    reminders: ReminderPolicy | None = None,
    printing: Printing | None = None,
    desk: FileDesk | None = None,
    counts: Counts,
) -> Router:
    router = Router(name="application_forms")
    for part in form_routers(
        forms,
        public_url=public_url,
        minutes=minutes,
        reminders=reminders,
        printing=printing,
        desk=desk,
        counts=counts,
    ):
        router.include_router(part)
    offered = forms.offered(FormKind.APPLICATION)
    questionnaires = frozenset(f.id for f in forms.offered(FormKind.QUESTIONNAIRE))

    async def acting(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> bool:
        """Whether the presser acts for a client; if not, the button is answered."""
        try:
            await apps.list_applications(uow=uow, telegram_user_id=query.from_user.id, limit=1)
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return False
        except NoAccess:
            refused = _("First choose the client you act for: /client")
            outgoing.answer_callback(query.id, refused, alert=True)
            outgoing.send(refused)
            return False
        return True

    @router.callback_query(MenuAction.filter(F.section == APPLICATIONS))
    async def section(
        query: CallbackQuery, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        await state.clear()
        if await acting(query, uow, outgoing):
            outgoing.answer_callback(query.id)
            outgoing.send(_("<b>Applications</b>"), keyboard=menu_keyboard())

    @router.callback_query(AppMenu.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: AppMenu,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id, act, value = query.from_user.id, callback_data.act, callback_data.v
        if not await acting(query, uow, outgoing):
            return
        opening = act == "open" and value.isdigit()
        if not opening:  # opening answers once it knows whether the application is theirs
            outgoing.answer_callback(query.id)
        if act == "new":
            builder = InlineKeyboardBuilder()
            for i, form in enumerate(offered):
                builder.button(text=form_title(form), callback_data=AppMenu(act="form", v=str(i)))
            builder.button(text=_("⬅️ Back"), callback_data=MenuAction(section=APPLICATIONS))
            builder.adjust(1)
            outgoing.send(
                _("<b>New application</b>\nChoose the product:"), keyboard=builder.as_markup()
            )
        elif act == "form" and value.isdigit() and int(value) < len(offered):
            form = offered[int(value)]
            try:
                record = await apps.start_application(
                    uow=uow, telegram_user_id=user_id, form=form, now=datetime.now(UTC)
                )
            except (Invalid, ApplicationNotFound):
                return
            opened = await apps.open_application(
                uow=uow, forms=forms, telegram_user_id=user_id, application_id=record.id
            )
            await resume(outgoing, state, uow, opened, counts=counts)
        elif act == "list":
            await listing(user_id, value, uow, outgoing)
        elif opening:
            try:
                opened = await apps.open_application(
                    uow=uow, forms=forms, telegram_user_id=user_id, application_id=int(value)
                )
            except ApplicationNotFound:
                outgoing.answer_callback(
                    query.id,
                    _("This application is not among those of the client you act for."),
                    alert=True,
                )
                return
            outgoing.answer_callback(query.id)
            if opened.application.status is S.DRAFT:
                await resume(outgoing, state, uow, opened, counts=counts)
            elif opened.application.status in OPEN:
                await show_summary(outgoing, state, uow, opened, counts=counts)
            else:
                outgoing.send(
                    application_line(opened.application, opened.form),
                    keyboard=menu_keyboard(),
                )

    async def listing(user_id: int, value: str, uow: UnitOfWork, outgoing: Outgoing) -> None:
        key, _dot, before = value.partition(".")
        if key not in FILTERS:
            key = "all"
        page = await apps.list_applications(
            uow=uow,
            telegram_user_id=user_id,
            before=int(before) if before.isdigit() else None,
            statuses=FILTERS[key],
            without_forms=questionnaires,  # «Anketas» lists those
        )
        builder = InlineKeyboardBuilder()
        sizes: list[int] = []
        for application in page.items:
            form = forms.get(application.form_id, application.form_version)
            builder.button(
                text=application_line(application, form, limit=64),
                callback_data=AppMenu(act="open", v=str(application.id)),
            )
            sizes.append(1)
        if page.next_before is not None:
            builder.button(
                text=_("More ›"), callback_data=AppMenu(act="list", v=f"{key}.{page.next_before}")
            )
            sizes.append(1)
        for other in FILTERS:
            mark = "• " if other == key else ""
            builder.button(
                text=mark + _filter_label(other), callback_data=AppMenu(act="list", v=other)
            )
        sizes += [3, 2]
        builder.button(text=_("⬅️ Back"), callback_data=MenuAction(section=APPLICATIONS))
        sizes.append(1)
        builder.adjust(*sizes)
        text = (
            _("<b>List of applications</b> ({filter}), newest first:").format(
                filter=_filter_label(key)
            )
            if page.items
            else _("No applications here yet.")
        )
        outgoing.send(text, keyboard=builder.as_markup())

    return router


def _router(settings: DialogSettings) -> Router:
    printing = None
    if settings.files is not None and settings.pdf is not None:
        printing = Printing(pdf=settings.pdf, store=settings.files.store)
    return router(
        settings.forms,
        public_url=settings.public_url,
        minutes=settings.signature_minutes,
        reminders=settings.reminders,
        printing=printing,
        desk=settings.files,
        counts=settings.at_least_counts,
    )


SECTION = Section(
    key=APPLICATIONS,
    position=50,
    router=_router,
    menu=MenuEntry(__("📝 Applications"), Visibility.LOGGED_IN),
    help=__("new applications for ALTUM's products, drafts, signing, and their statuses."),
    routing=Routing.FLOW,
)
