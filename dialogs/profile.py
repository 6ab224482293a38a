"""«Profils»: the person's own contacts (e-mail confirmed by a link sent to it, phone) and
language; «Klienta informācija» and the consultant's contacts of the chat's current client.
(Notification preferences are a section of their own.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from dialogs.administration import refusal
from dialogs.callbacks import MenuAction
from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.language import NATIVE_NAMES
from dialogs.menu import CLIENTS
from dialogs.notifications import NOTIFICATIONS
from dialogs.outgoing import Outgoing
from dialogs.sections import DialogSettings, MenuEntry, Routing, Section, Visibility
from portal import profile
from portal.model import ClientInformation, Invalid, NoClientChosen, NotLinked, Profile
from portal.ports import UnitOfWork

PROFILE = "profile"
LANGUAGE = "language"  # the language section's menu key


class ProfileAction(CallbackData, prefix="pf"):
    """`home`, `email`, `phone`, `client`, `consultant`."""

    action: str


class ProfileFlow(StatesGroup):
    email = State()
    phone = State()


def _button(builder: InlineKeyboardBuilder, text: str, action: str) -> None:
    builder.button(text=text, callback_data=ProfileAction(action=action))


def profile_text(view: Profile) -> str:
    contacts = view.contacts
    lines = [_("<b>Profile</b>"), f"👤 {escape(view.person.full_name)}"]
    email = escape(contacts.email) if contacts.email else _("not given")
    lines.append(_("✉️ E-mail: {email}").format(email=email))
    if contacts.pending_email:
        lines.append(
            _("⏳ {email} waits for confirmation: open the link sent to it.").format(
                email=escape(contacts.pending_email)
            )
        )
    lines.append(
        _("📞 Phone: {phone}").format(phone=escape(contacts.phone or "") or _("not given"))
    )
    lines.append(_("🌐 Language: {language}").format(language=NATIVE_NAMES[view.language]))
    return "\n".join(lines)


def profile_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, _("✉️ Change e-mail"), "email")
    _button(builder, _("📞 Change phone"), "phone")
    builder.button(text=_("🌐 Language"), callback_data=MenuAction(section=LANGUAGE))
    builder.button(text=_("🔔 Notifications"), callback_data=MenuAction(section=NOTIFICATIONS))
    _button(builder, _("🏢 Client information"), "client")
    _button(builder, _("👤 Consultant"), "consultant")
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(2, 2, 2, 1)
    return builder.as_markup()


def back_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, _("⬅️ Back"), "home")
    return builder.as_markup()


def signing_rule_text(rule: str | None, at_least: int | None, at_least_counts: str) -> str:
    """The representation rule in words (the same words as at registration)."""
    if rule == "individually":
        return _("signs alone")
    if rule == "with_at_least" and at_least:
        if at_least_counts == "total":
            return ngettext(
                "signs together with others: at least {count} signatory in all",
                "signs together with others: at least {count} signatories in all",
                at_least,
            ).format(count=at_least)
        return ngettext(
            "signs together with at least {count} other signatory",
            "signs together with at least {count} other signatories",
            at_least,
        ).format(count=at_least)
    if rule == "with_all":
        return _("signs together with all other signatories")
    # A client ALTUM opened without the Company Register's rule: say so, not a bare dash.
    return _("not known yet (ALTUM has not recorded it)")


def client_text(info: ClientInformation, at_least_counts: str) -> str:
    client = info.client
    names = ", ".join(
        escape(f"{u.given_name} {u.family_name}".strip() or u.personal_code[:6] + "-*****")
        for u in info.main_users
    )
    return "\n".join(
        [
            _("<b>Client information</b>"),
            _("Name: {name}").format(name=escape(client.name)),
            _("Registration No.: {number}").format(number=client.registration_number or "—"),
            _("Address: {address}").format(address=escape(client.address or "—")),
            _("Signing rule: {rule}").format(
                rule=signing_rule_text(
                    client.representation_rule,
                    client.representation_with_at_least,
                    at_least_counts,
                )
            ),
            _("Main users: {names}").format(names=names or "—"),
        ]
    )


def consultant_text(info: ClientInformation) -> str:
    consultant = info.consultant
    if consultant is None:
        return _(
            "ALTUM has not named a consultant for {client} yet. Write to ALTUM or call its "
            "client centre."
        ).format(client=escape(info.client.name))
    return "\n".join(
        [
            _("<b>Your ALTUM consultant</b> ({client})").format(client=escape(info.client.name)),
            f"👤 {escape(consultant.name)}",
            f"✉️ {escape(consultant.email)}",
            f"📞 {escape(consultant.phone)}",
        ]
    )


async def _home(uow: UnitOfWork, outgoing: Outgoing, telegram_user_id: int) -> None:
    view = await profile.profile(uow=uow, telegram_user_id=telegram_user_id)
    outgoing.send(profile_text(view), keyboard=profile_keyboard())


def _cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, _("Cancel"), "home")
    return builder.as_markup()


def router(settings: DialogSettings) -> Router:
    router = Router(name="profile")
    hours = settings.limits.confirmation // timedelta(hours=1)

    @router.callback_query(MenuAction.filter(F.section == PROFILE))
    async def opened(
        query: CallbackQuery, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        await pressed(query, ProfileAction(action="home"), state, uow, outgoing)

    @router.callback_query(ProfileAction.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: ProfileAction,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        user_id, action = query.from_user.id, callback_data.action
        try:
            if action == "home":
                await state.clear()
                await _home(uow, outgoing, user_id)
            elif action in {"email", "phone"}:
                await profile.profile(uow=uow, telegram_user_id=user_id)  # linked?
                await state.set_state(ProfileFlow.email if action == "email" else ProfileFlow.phone)
                outgoing.send(
                    _("Type your new e-mail address. I will send a link to it to confirm it.")
                    if action == "email"
                    else _("Type your phone number, e.g. +371 20000000."),
                    keyboard=_cancel_keyboard(),
                )
            elif action in {"client", "consultant"}:
                info = await profile.client_information(uow=uow, telegram_user_id=user_id)
                text = (
                    client_text(info, settings.at_least_counts)
                    if action == "client"
                    else consultant_text(info)
                )
                outgoing.send(text, keyboard=back_keyboard())
            else:
                outgoing.answer_callback(
                    query.id,
                    _("This button is no longer valid. Send /start to open the menu again."),
                    alert=True,
                )
                return
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
        outgoing.answer_callback(query.id)

    @router.message(ProfileFlow.phone, F.text)
    async def phone_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        try:
            phone = await profile.change_phone(
                uow=uow,
                telegram_user_id=message.from_user.id,
                phone=message.text,
                now=datetime.now(UTC),
            )
        except Invalid:
            outgoing.send(_("This does not look like a phone number. Try e.g. +371 20000000."))
            return
        except NotLinked:
            await state.clear()
            not_logged_in(outgoing)
            return
        await state.clear()
        outgoing.send(_("✅ Phone saved: {phone}").format(phone=escape(phone)))
        await _home(uow, outgoing, message.from_user.id)

    @router.message(ProfileFlow.email, F.text)
    async def email_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        try:
            email, link = await profile.request_email(
                uow=uow,
                telegram_user_id=message.from_user.id,
                email=message.text,
                now=datetime.now(UTC),
                limits=settings.limits,
            )
        except Invalid:
            outgoing.send(_("This does not look like an e-mail address. Try again."))
            return
        except NotLinked:
            await state.clear()
            not_logged_in(outgoing)
            return
        await state.clear()
        url = f"{settings.public_url}/email/{link.token}"
        outgoing.email(
            to=email,
            subject=_("Confirm your e-mail address for ALTUM's chat"),
            text=ngettext(
                "Open this link to confirm that this address is yours (it works for {count} "
                "hour):\n{url}\n\nIf you did not ask for this, ignore this message.",
                "Open this link to confirm that this address is yours (it works for {count} "
                "hours):\n{url}\n\nIf you did not ask for this, ignore this message.",
                hours,
            ).format(count=hours, url=url),
            secrets=(link.token,),  # the link is not kept readable once sent
            expires_at=link.expires_at,
        )
        outgoing.send(
            _(
                "📧 I sent a confirmation link to {email}. The address is yours once you open it."
            ).format(email=escape(email))
        )
        await _home(uow, outgoing, message.from_user.id)

    return router


SECTION = Section(
    key=PROFILE,
    position=68,
    router=router,
    menu=MenuEntry(__("👤 Profile"), Visibility.LOGGED_IN, half=True),
    help=__(
        "your e-mail, phone, language and notifications; the client's information and your "
        "consultant."
    ),
    routing=Routing.FLOW,  # its e-mail and phone steps read typed text
    map_items=(
        __("✉️ Change e-mail"),
        __("📞 Change phone"),
        __("🌐 Language"),
        __("🔔 Notifications"),
        __("🏢 Client information"),
        __("👤 Consultant"),
    ),
)
