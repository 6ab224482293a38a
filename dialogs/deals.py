"""«Mani darījumi» (MANUAL-EN §6): «Aktīvie darījumi» / «Vēsturiskie darījumi» (number,
product, amount, balance, dates) → a deal → «Darījuma pieteikumi» and a new deal application
(«Naudas līdzekļu izsniegšana», «Iesniegums izmaiņām»), whose rules see the deal's amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.application_texts import application_line, form_title
from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.form_dialog import resume
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.notices import day, money
from dialogs.outgoing import Outgoing
from dialogs.sections import DialogSettings, MenuEntry, Section, Visibility
from dialogs.shorten import shorten
from portal import applications as apps
from portal.clients import current_client
from portal.deals import list_deals
from portal.forms import FormCatalogue, FormKind
from portal.model import ApplicationNotFound, DealRecord, DealStatus
from portal.ports import UnitOfWork
from portal.signing import Counts

DEALS = "deals"


class DealMenu(CallbackData, prefix="dl"):
    """`act` active | closed | deal | apps | new | form; `d` a deal's id, `v` a form's index."""

    act: str
    d: int = 0
    v: int = 0


def deal_text(deal: DealRecord) -> str:
    data = deal.data
    return _(
        "<b>Deal No. {number}</b>\n{product}\nAmount: {amount}\nBalance: {balance}\n"
        "From {start} to {end}"
    ).format(
        number=escape(deal.number),
        product=escape(data.product),
        amount=money(data.amount, data.currency),
        balance=money(data.balance, data.currency),
        start=day(data.start_date),
        end=day(data.end_date),
    )


def router(forms: FormCatalogue, *, counts: Counts) -> Router:
    router = Router(name="deals")
    offered = forms.offered(FormKind.DEAL_APPLICATION)

    async def deals_of(
        query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing
    ) -> list[DealRecord] | None:
        """The deals of the client acted for; None, with the button answered, when none is."""
        user_id = query.from_user.id
        access = await current_client(uow=uow, telegram_user_id=user_id)
        if access is None:
            account = await uow.accounts.get(user_id)
            if account is None or account.person_id is None:  # not logged in
                outgoing.answer_callback(query.id)
                not_logged_in(outgoing)
            else:
                refused = _("First choose the client you act for: /client")
                outgoing.answer_callback(query.id, refused, alert=True)
                outgoing.send(refused)
            return None
        return await list_deals(uow=uow, client_id=access.client_id)

    @router.callback_query(MenuAction.filter(F.section == DEALS))
    async def section(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        if await deals_of(query, uow, outgoing) is None:
            return
        outgoing.answer_callback(query.id)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📑 Active deals"), callback_data=DealMenu(act="active"))
        builder.button(text=_("🕘 Historical deals"), callback_data=DealMenu(act="closed"))
        builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
        builder.adjust(1)
        outgoing.send(_("<b>My deals</b>"), keyboard=builder.as_markup())

    @router.callback_query(DealMenu.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: DealMenu,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id, act = query.from_user.id, callback_data.act
        deals = await deals_of(query, uow, outgoing)
        if deals is None:
            return
        if act in ("active", "closed"):
            wanted = DealStatus.ACTIVE if act == "active" else DealStatus.CLOSED
            chosen = [d for d in deals if d.data.status is wanted]
            builder = InlineKeyboardBuilder()
            for one in chosen:
                label = shorten(f"{one.number} · {one.data.product}", 60)
                builder.button(text=label, callback_data=DealMenu(act="deal", d=one.id))
            builder.button(text=_("⬅️ Back"), callback_data=MenuAction(section=DEALS))
            builder.adjust(1)
            text = (
                (_("<b>Active deals</b>") if act == "active" else _("<b>Historical deals</b>"))
                if chosen
                else _("There are no such deals.")
            )
            outgoing.answer_callback(query.id)
            outgoing.send(text, keyboard=builder.as_markup())
            return
        deal = next((d for d in deals if d.id == callback_data.d), None)
        if deal is None:
            outgoing.answer_callback(
                query.id, _("This deal is not among those of the client you act for."), alert=True
            )
            return
        outgoing.answer_callback(query.id)
        if act == "deal":
            builder = InlineKeyboardBuilder()
            builder.button(
                text=_("📋 Deal applications"), callback_data=DealMenu(act="apps", d=deal.id)
            )
            if deal.data.status is DealStatus.ACTIVE:
                builder.button(
                    text=_("➕ New deal application"), callback_data=DealMenu(act="new", d=deal.id)
                )
            builder.button(text=_("⬅️ Back"), callback_data=MenuAction(section=DEALS))
            builder.adjust(1)
            outgoing.send(deal_text(deal), keyboard=builder.as_markup())
        elif act == "apps":
            page = await apps.list_applications(
                uow=uow, telegram_user_id=user_id, deal_number=deal.number, limit=20
            )
            lines = [
                _("<b>Deal applications</b> of No. {number}").format(number=escape(deal.number))
            ]
            for application in page.items:
                form = forms.get(application.form_id, application.form_version)
                lines.append(application_line(application, form))
            if not page.items:
                lines.append(_("No applications here yet."))
            builder = InlineKeyboardBuilder()
            builder.button(text=_("⬅️ Back"), callback_data=DealMenu(act="deal", d=deal.id))
            outgoing.send("\n".join(lines), keyboard=builder.as_markup())
        elif act == "new":
            builder = InlineKeyboardBuilder()
            for i, form in enumerate(offered):
                builder.button(
                    text=form_title(form), callback_data=DealMenu(act="form", d=deal.id, v=i)
                )
            builder.button(text=_("⬅️ Back"), callback_data=DealMenu(act="deal", d=deal.id))
            builder.adjust(1)
            outgoing.send(_("<b>New deal application</b>"), keyboard=builder.as_markup())
        elif act == "form" and 0 <= callback_data.v < len(offered):
            try:
                record = await apps.start_application(
                    uow=uow,
                    telegram_user_id=user_id,
                    form=offered[callback_data.v],
                    now=datetime.now(UTC),
                    deal_number=deal.number,
                )
            except ApplicationNotFound:
                outgoing.send(_("Applications can be made only on an active deal."))
                return
            opened = await apps.open_application(
                uow=uow, forms=forms, telegram_user_id=user_id, application_id=record.id
            )
            await resume(outgoing, state, uow, opened, counts=counts)

    return router


def _router(settings: DialogSettings) -> Router:
    return router(settings.forms, counts=settings.at_least_counts)


SECTION = Section(
    key=DEALS,
    position=55,
    router=_router,
    menu=MenuEntry(__("💼 My deals"), Visibility.LOGGED_IN),
    help=__("your deals with ALTUM, active and historical, and applications on them."),
)
