"""«Informācija»: the client's activity log («klienta veiktās darbības»: who, what, when;
by period and kind, paged) and «Rēķini», the invoices of each deal with the overdue ones
marked. Buttons carry only the filter and the page; the client is the chat's current one,
checked again by `portal.information` on every tap."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from dialogs.activity_texts import action_text
from dialogs.administration import refusal
from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import CLIENTS
from dialogs.notices import money
from dialogs.outgoing import Outgoing
from dialogs.sections import MenuEntry, Section, Visibility
from portal import information
from portal.model import (
    ActivityEntry,
    ActivityKind,
    ActivityPage,
    DealInvoices,
    NoClientChosen,
    NotLinked,
    Period,
)
from portal.ports import UnitOfWork

INFO = "info"


class InfoAction(CallbackData, prefix="in"):
    """`home`, `log` (with its filter and page) or `inv`."""

    action: str
    period: str = Period.MONTH.value
    kind: str = ActivityKind.ALL.value
    page: int = 0


def _locale() -> str:
    return get_i18n().current_locale


def when(moment: datetime) -> str:
    return format_datetime(moment, "dd.MM.yyyy HH:mm", tzinfo=information.RIGA, locale=_locale())


def period_label(period: Period) -> str:
    return {
        Period.WEEK: _("7 days"),
        Period.MONTH: _("30 days"),
        Period.YEAR: _("a year"),
        Period.ALL: _("all time"),
    }[period]


def kind_label(kind: ActivityKind) -> str:
    return {
        ActivityKind.ALL: _("everything"),
        ActivityKind.USERS: _("users"),
        ActivityKind.FINANCE: _("deals and invoices"),
        ActivityKind.CLIENT: _("the client"),
        ActivityKind.SESSIONS: _("logins"),
        ActivityKind.APPLICATIONS: _("applications"),
        ActivityKind.MESSAGES: _("messages"),
    }[kind]


def entry_deed(entry: ActivityEntry) -> str:
    who = _("ALTUM") if entry.by_altum else (entry.who or _("someone"))
    what = action_text(str(entry.event.action), entry.event.details)
    about = f" — {escape(entry.subject)}" if entry.subject and entry.subject != entry.who else ""
    return f"<b>{escape(who)}</b>: {escape(what)}{about}"


def entry_lines(entries: list[ActivityEntry]) -> list[str]:
    """One line per entry, except that the same deed repeated in a row (every answer of a
    form is "changed an application") is one line with how many times: "(×5)"."""
    runs: list[tuple[str, str, int]] = []  # (when, deed, times), the newest first
    for entry in entries:
        deed = entry_deed(entry)
        if runs and runs[-1][1] == deed:
            runs[-1] = (runs[-1][0], deed, runs[-1][2] + 1)
        else:
            runs.append((when(entry.event.occurred_at), deed, 1))
    return [f"{at} · {deed}" + (f" (×{times})" if times > 1 else "") for at, deed, times in runs]


def button_label(label: str) -> str:
    """A filter's button: as a label, with a capital ("30 dienas", "Lietotāji")."""
    return label[:1].upper() + label[1:]


def home_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📜 Client's activity"), callback_data=InfoAction(action="log"))
    builder.button(text=_("🧾 Invoices"), callback_data=InfoAction(action="inv"))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def log_keyboard(period: Period, kind: ActivityKind, page: ActivityPage) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    rows = []
    for p in Period:
        mark = "• " if p is period else ""
        builder.button(
            text=mark + button_label(period_label(p)),
            callback_data=InfoAction(action="log", period=p.value, kind=kind.value),
        )
    rows.append(len(Period))
    for k in ActivityKind:
        mark = "• " if k is kind else ""
        builder.button(
            text=mark + button_label(kind_label(k)),
            callback_data=InfoAction(action="log", period=period.value, kind=k.value),
        )
    rows += [3, 2, 2]
    paging = 0
    if page.page > 0:
        builder.button(
            text=_("◀️ Newer"),
            callback_data=InfoAction(
                action="log", period=period.value, kind=kind.value, page=page.page - 1
            ),
        )
        paging += 1
    if page.page + 1 < page.pages:
        builder.button(
            text=_("Older ▶️"),
            callback_data=InfoAction(
                action="log", period=period.value, kind=kind.value, page=page.page + 1
            ),
        )
        paging += 1
    if paging:
        rows.append(paging)
    builder.button(text=_("⬅️ Back"), callback_data=InfoAction(action="home"))
    rows.append(1)
    builder.adjust(*rows)
    return builder.as_markup()


def entries_count(total: int) -> str:
    return ngettext("{count} entry", "{count} entries", total).format(
        count=format_decimal(total, locale=_locale())
    )


def log_text(client: str, period: Period, kind: ActivityKind, page: ActivityPage) -> str:
    lines = [
        _("<b>Client's activity</b> — {client}").format(client=escape(client)),
        _("Period: {period}; kind: {kind}").format(
            period=period_label(period), kind=kind_label(kind)
        ),
        entries_count(page.total)
        + (
            _(", page {page} of {pages}").format(page=page.page + 1, pages=page.pages)
            if page.pages > 1
            else ""
        ),
        "",
    ]
    lines += entry_lines(page.entries) or [_("Nothing in this period.")]
    return "\n".join(lines)


def invoices_text(client: str, deals: list[DealInvoices]) -> str:
    lines = [_("<b>Invoices</b> — {client}").format(client=escape(client))]
    if not deals:
        lines += ["", _("The client has no deals with ALTUM in this chat yet.")]
    for item in deals:
        lines += [
            "",
            _("<b>Deal No. {number}</b> — {product}").format(
                number=escape(item.deal.number), product=escape(item.deal.data.product)
            ),
        ]
        if not item.invoices:
            lines.append(_("No invoices."))
        for line in item.invoices:
            invoice = line.invoice
            if invoice.data.paid:
                state = _("✅ paid")
            elif line.overdue:
                state = _("⚠️ overdue")
            else:
                state = _("not paid yet")
            lines.append(
                _("No. {number} · due {due} · {amount} · {state}").format(
                    number=escape(invoice.number),
                    due=format_date(invoice.data.due_date, "dd.MM.yyyy", locale=_locale()),
                    amount=money(invoice.data.amount, invoice.currency),
                    state=state,
                )
            )
    return "\n".join(lines)


def back_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back"), callback_data=InfoAction(action="home"))
    return builder.as_markup()


async def _show(
    uow: UnitOfWork, outgoing: Outgoing, telegram_user_id: int, data: InfoAction
) -> bool:
    """Sends the screen; False for a button that is not ours (forged or malformed)."""
    now = datetime.now(UTC)
    if data.action == "home":
        access = await information.current(uow=uow, telegram_user_id=telegram_user_id)
        outgoing.send(
            _("<b>Information</b> — {client}").format(client=escape(access.name)),
            keyboard=home_keyboard(),
        )
    elif data.action == "log":
        if data.period not in {p.value for p in Period} or data.kind not in {
            k.value for k in ActivityKind
        }:
            return False
        period, kind = Period(data.period), ActivityKind(data.kind)
        access, page = await information.activity(
            uow=uow,
            telegram_user_id=telegram_user_id,
            period=period,
            kind=kind,
            page=data.page,
            now=now,
        )
        outgoing.send(
            log_text(access.name, period, kind, page), keyboard=log_keyboard(period, kind, page)
        )
    elif data.action == "inv":
        access, deals = await information.invoices(
            uow=uow, telegram_user_id=telegram_user_id, now=now
        )
        outgoing.send(invoices_text(access.name, deals), keyboard=back_keyboard())
    else:
        return False
    return True


def router() -> Router:
    router = Router(name="information")

    async def handle(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing, data: InfoAction
    ) -> None:
        try:
            ours = await _show(uow, outgoing, query.from_user.id, data)
        except NotLinked:
            outgoing.answer_callback(query.id)
            not_logged_in(outgoing)
            return
        except NoClientChosen as exc:
            outgoing.answer_callback(query.id, refusal(exc), alert=True)
            builder = InlineKeyboardBuilder()
            builder.button(text=_("🏢 Choose client"), callback_data=MenuAction(section=CLIENTS))
            outgoing.send(refusal(exc), keyboard=builder.as_markup())
            return
        if not ours:
            outgoing.answer_callback(
                query.id,
                _("This button is no longer valid. Send /start to open the menu again."),
                alert=True,
            )
            return
        outgoing.answer_callback(query.id)

    @router.callback_query(MenuAction.filter(F.section == INFO))
    async def opened(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        await handle(query, uow, outgoing, InfoAction(action="home"))

    @router.callback_query(InfoAction.filter())
    async def pressed(
        query: CallbackQuery, callback_data: InfoAction, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        await handle(query, uow, outgoing, callback_data)

    return router


SECTION = Section(
    key=INFO,
    position=62,
    router=lambda _settings: router(),
    menu=MenuEntry(__("📊 Information"), Visibility.LOGGED_IN, half=True),
    help=__("the client's activity log and the invoices of its deals."),
    map_items=(__("📜 Client's activity"), __("🧾 Invoices")),
)
