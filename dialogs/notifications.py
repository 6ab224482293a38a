"""«Paziņojumu iestatījumi»: which reminders a person gets and their quiet hours; and the
«Atlikt uz rītu» button every reminder carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import MenuAction, NotificationToggle, QuietHoursChoice, ReminderSnooze
from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, DialogSettings, Section
from portal import quiet_hours
from portal.clients import person_of
from portal.model import NotFound, NotificationPreferences, NotLinked, ReminderKind
from portal.ports import UnitOfWork
from portal.quiet_hours import QuietHours
from portal.reminders import preferences, save_preferences, snooze

NOTIFICATIONS = "notifications"
# The quiet hours one can choose; "d" is the bot's setting, "n" none at all.
QUIET_CHOICES: dict[str, QuietHours | None] = {
    "a": quiet_hours.parse("22:00-07:00"),
    "b": quiet_hours.parse("20:00-09:00"),
    "n": None,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def kind_label(kind: ReminderKind) -> str:
    labels = {
        ReminderKind.SIGNATURE: _("Documents to sign"),
        ReminderKind.INVOICE_DUE: _("Invoices before the due date"),
        ReminderKind.INVOICE_OVERDUE: _("Overdue invoices"),
    }
    return labels[kind]


def span(quiet: QuietHours | None) -> str:
    if quiet is None:
        return _("none")
    return f"{quiet.start:%H:%M}–{quiet.end:%H:%M}"


def riga_time(at: datetime) -> str:
    return at.astimezone(quiet_hours.RIGA).strftime("%d.%m.%Y %H:%M")


def settings_text(prefs: NotificationPreferences, default: QuietHours | None) -> str:
    lines = [_("<b>🔔 Notification settings</b>"), "", _("Reminders I send you:")]
    for kind in ReminderKind:
        mark = "✅" if kind in prefs.enabled else "⬜"
        lines.append(f"{mark} {kind_label(kind)}")
    lines += ["", _("Quiet hours (Riga time): {span}").format(span=span(prefs.quiet(default)))]
    lines.append(_("A reminder due in quiet hours comes when they end."))
    return "\n".join(lines)


def settings_keyboard(
    prefs: NotificationPreferences, default: QuietHours | None
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ReminderKind:
        mark = "✅" if kind in prefs.enabled else "⬜"
        wanted = 0 if kind in prefs.enabled else 1
        builder.button(
            text=f"{mark} {kind_label(kind)}",
            callback_data=NotificationToggle(kind=kind.value, on=wanted),
        )
    choices: list[tuple[str, QuietHours | None]] = [("d", default), *QUIET_CHOICES.items()]
    current = "d" if prefs.use_default else None
    for code, quiet in choices:
        if current is None and code != "d" and quiet == prefs.quiet_hours:
            current = code
        label = _("Quiet hours: {span}").format(span=span(quiet))
        if code == "d":
            label += " " + _("(standard)")
        mark = "🔘 " if code == current else ""
        builder.button(text=mark + label, callback_data=QuietHoursChoice(choice=code))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def router(settings: DialogSettings) -> Router:
    router = Router(name=NOTIFICATIONS)
    policy = settings.reminders
    default = policy.quiet_hours

    async def show(user_id: int, uow: UnitOfWork, outgoing: Outgoing, edit: int | None) -> None:
        try:
            person_id = await person_of(uow=uow, telegram_user_id=user_id)
        except NotLinked:
            not_logged_in(outgoing)
            return
        prefs = await preferences(uow=uow, person_id=person_id)
        text, keyboard = settings_text(prefs, default), settings_keyboard(prefs, default)
        if edit is None:
            outgoing.send(text, keyboard=keyboard)
        else:
            outgoing.edit(edit, text, keyboard=keyboard)

    async def change(
        query: CallbackQuery,
        uow: UnitOfWork,
        outgoing: Outgoing,
        new: Callable[[NotificationPreferences], NotificationPreferences],
    ) -> None:
        user_id = query.from_user.id
        try:
            person_id = await person_of(uow=uow, telegram_user_id=user_id)
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        prefs = new(await preferences(uow=uow, person_id=person_id))
        await save_preferences(uow=uow, preferences=prefs, telegram_user_id=user_id, now=utcnow())
        outgoing.answer_callback(query.id, _("Saved."))
        text, keyboard = settings_text(prefs, default), settings_keyboard(prefs, default)
        if query.message is not None:
            outgoing.edit(query.message.message_id, text, keyboard=keyboard)
        else:
            outgoing.send(text, keyboard=keyboard)

    @router.message(Command(NOTIFICATIONS))
    async def command(message: Message, uow: UnitOfWork, outgoing: Outgoing) -> None:
        assert message.from_user is not None
        await show(message.from_user.id, uow, outgoing, None)

    @router.callback_query(MenuAction.filter(F.section == NOTIFICATIONS))
    async def button(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await show(query.from_user.id, uow, outgoing, None)

    @router.callback_query(NotificationToggle.filter())
    async def toggle(
        query: CallbackQuery,
        callback_data: NotificationToggle,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        try:
            kind = ReminderKind(callback_data.kind)
        except ValueError:  # forged or from an older version
            outgoing.answer_callback(query.id, _("This button no longer works."), alert=True)
            return
        await change(
            query,
            uow,
            outgoing,
            lambda p: replace(
                p, enabled=p.enabled | {kind} if callback_data.on else p.enabled - {kind}
            ),
        )

    @router.callback_query(QuietHoursChoice.filter())
    async def quiet(
        query: CallbackQuery,
        callback_data: QuietHoursChoice,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        code = callback_data.choice
        if code != "d" and code not in QUIET_CHOICES:
            outgoing.answer_callback(query.id, _("This button no longer works."), alert=True)
            return
        if code == "d":
            await change(query, uow, outgoing, lambda p: replace(p, use_default=True))
            return
        chosen = QUIET_CHOICES[code]
        await change(
            query,
            uow,
            outgoing,
            lambda p: replace(p, use_default=False, quiet_hours=chosen),
        )

    # «Atlikt uz rītu» in a reminder: works whenever pressed while the reminder lives; only
    # for the person it reminds (the use case checks), whatever the button claims.
    @router.callback_query(ReminderSnooze.filter())
    async def snoozed(
        query: CallbackQuery,
        callback_data: ReminderSnooze,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id = query.from_user.id
        try:
            person_id = await person_of(uow=uow, telegram_user_id=user_id)
            at = await snooze(
                uow=uow,
                person_id=person_id,
                reminder_id=callback_data.reminder_id,
                policy=policy,
                now=utcnow(),
            )
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        except NotFound:
            outgoing.answer_callback(query.id, _("This reminder is no longer active."), alert=True)
            return
        outgoing.answer_callback(
            query.id, _("I will remind you again on {time}.").format(time=riga_time(at))
        )
        if query.message is not None:
            outgoing.remove_keyboard(query.message.message_id)

    return router


SECTION = Section(
    key=NOTIFICATIONS,
    position=85,
    router=router,
    # Not in the main menu, which must fit a phone's screen: «Profils» has its button.
    help=__("which reminders you get, and when I keep quiet."),
    commands=(CommandEntry("notifications", __("Notification settings")),),
)
