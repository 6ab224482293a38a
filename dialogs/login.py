"""Logging in: a one-time link to the bot's web page, opened as a Telegram Mini App, which
hands over to the identity provider; /logout; and the texts the web side shows and sends to
the chat when linking ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User, WebAppInfo
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from dialogs.callbacks import MenuAction
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import CLIENTS, LOGIN, send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.sections import CommandEntry, MenuEntry, Section, Sections, Visibility
from portal.identifiers import mask_personal_code
from portal.identity import Refusal
from portal.linking import issue_login_link, linked_person, unlink
from portal.miniapp import MiniAppRefusal
from portal.model import TimeLimits
from portal.ports import UnitOfWork

LOGOUT = "logout"


def link_message(limits: TimeLimits) -> str:
    minutes = _minutes(limits.login_link)
    return ngettext(
        "<b>Log in</b>\n\n"
        "Press the button below and log in with Latvija.lv or eParaksts; it opens here in "
        "Telegram. It works once, for {count} minute, and only for this Telegram account.",
        "<b>Log in</b>\n\n"
        "Press the button below and log in with Latvija.lv or eParaksts; it opens here in "
        "Telegram. It works once, for {count} minutes, and only for this Telegram account.",
        minutes,
    ).format(count=minutes)


def _minutes(limit: timedelta) -> int:
    return limit // timedelta(minutes=1)


def link_keyboard(url: str) -> InlineKeyboardMarkup:
    """A Mini App button: Telegram opens the page with signed proof of who pressed it."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔐 Log in"), web_app=WebAppInfo(url=url))
    return builder.as_markup()


def open_in_telegram_text(reason: MiniAppRefusal) -> str:
    """Why the login page refuses when it was not opened from this user's chat button."""
    if reason is MiniAppRefusal.WRONG_USER:
        return _(
            "This login link was made for another Telegram account, so nothing was changed. "
            "If someone sent it to you, do not use it: to log in, send /login in your own chat "
            "with the ALTUM bot and press «Log in» there."
        )
    if reason is MiniAppRefusal.EXPIRED:
        return _(
            "This page was opened too long ago, so nothing was changed. Close it and press "
            "«Log in» in the chat again."
        )
    return _(
        "This page works only inside Telegram, opened with the «Log in» button in your chat "
        "with the ALTUM bot, so nothing was changed. If someone sent you this link, do not "
        "use it: to log in, send /login in the chat with the bot and press «Log in» there."
    )


def linked_text(name: str) -> str:
    return _(
        "✅ This Telegram account is now linked as <b>{name}</b>.\n\n"
        "If that was not you, press «Log out» at once."
    ).format(name=escape(name))


def linked_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏢 Choose client"), callback_data=MenuAction(section=CLIENTS))
    builder.button(text=_("🚪 Log out"), callback_data=MenuAction(section=LOGOUT))
    builder.adjust(1)
    return builder.as_markup()


def undo_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🚪 Log out"), callback_data=MenuAction(section=LOGOUT))
    return builder.as_markup()


def replaced_text() -> str:
    return _(
        "🔒 You logged in from another Telegram account, so this one is no longer linked to "
        "you. If that was not you, contact ALTUM."
    )


def refusal_text(refusal: Refusal, limits: TimeLimits) -> str:
    """Why logging in did not work, in words for the person (also shown on the web page)."""
    minutes = _minutes(limits.login_link)
    texts = {
        Refusal.CANCELLED: _("You cancelled logging in."),
        Refusal.NOT_NATURAL_PERSON: _(
            "Only natural persons can log in. Log in as yourself, not as a company "
            "or an authorised person."
        ),
        Refusal.INVALID_PERSONAL_CODE: _(
            "The identity provider did not send a valid Latvian personal code."
        ),
        Refusal.PROVIDER_UNAVAILABLE: _(
            "The identity provider is not answering right now. Please try again later."
        ),
        Refusal.EXPIRED_LINK: ngettext(
            "This login link is no longer valid: it was used, replaced or older than {count} "
            "minute. Ask for a new one with /login.",
            "This login link is no longer valid: it was used, replaced or older than {count} "
            "minutes. Ask for a new one with /login.",
            minutes,
        ).format(count=minutes),
        Refusal.EXPIRED: _("The login took too long. Please start again with /login."),
        Refusal.DECRYPTION_FAILED: _(
            "The encrypted answer from Latvija.lv could not be opened and verified, so nothing "
            "was linked. Please start again with /login; if it happens again, tell ALTUM."
        ),
    }
    return texts.get(
        refusal,
        _("We could not confirm who you are, so nothing was linked. Start again with /login."),
    )


def login_failed_text(refusal: Refusal, limits: TimeLimits) -> str:
    return _("❌ Logging in failed. {reason}").format(reason=refusal_text(refusal, limits))


def router(*, public_url: str, limits: TimeLimits) -> Router:
    router = Router(name="login")

    async def offer_link(user: User, uow: UnitOfWork, outgoing: Outgoing) -> None:
        person = await linked_person(uow=uow, telegram_user_id=user.id)
        if person is not None:
            outgoing.send(
                _("You are logged in as <b>{name}</b> ({code}).").format(
                    name=escape(person.full_name), code=mask_personal_code(person.personal_code)
                ),
                keyboard=linked_keyboard(),
            )
            return
        now = datetime.now(UTC)
        link = await issue_login_link(
            uow=uow,
            telegram_user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            now=now,
            limits=limits,
            language_code=user.language_code,
        )
        outgoing.send(
            link_message(limits),
            keyboard=link_keyboard(f"{public_url}/link/{link.token}"),
            secrets=(link.token,),  # not kept readable in the outbox once sent
            expires_at=link.expires_at,  # a link that can no longer work is not worth sending
        )

    @router.message(Command("login"))
    async def login_command(message: Message, uow: UnitOfWork, outgoing: Outgoing) -> None:
        assert message.from_user is not None
        await offer_link(message.from_user, uow, outgoing)

    @router.callback_query(MenuAction.filter(F.section == LOGIN))
    async def login_button(query: CallbackQuery, uow: UnitOfWork, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await offer_link(query.from_user, uow, outgoing)

    return router


def logout_router() -> Router:
    """/logout and «Log out»: the chat forgets the person at once."""
    router = Router(name="logout")

    async def log_out(
        user: User, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing, sections: Sections
    ) -> None:
        await state.clear()
        person = await unlink(uow=uow, telegram_user_id=user.id)
        if person is None:
            outgoing.send(_("You are not logged in."))
        else:
            outgoing.send(
                _(
                    "🚪 Logged out. <b>{name}</b> is no longer linked to this Telegram account."
                ).format(name=escape(person.full_name))
            )
        await send_main_menu(outgoing, uow, user.id, sections)

    @router.message(Command("logout"))
    async def logout_command(
        message: Message,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        assert message.from_user is not None
        await log_out(message.from_user, state, uow, outgoing, sections)

    @router.callback_query(MenuAction.filter(F.section == LOGOUT))
    async def logout_button(
        query: CallbackQuery,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        outgoing.answer_callback(query.id)
        await log_out(query.from_user, state, uow, outgoing, sections)

    return router


LOGIN_SECTION = Section(
    key=LOGIN,
    position=20,
    router=lambda settings: router(public_url=settings.public_url, limits=settings.limits),
    menu=MenuEntry(__("🔐 Log in"), Visibility.LOGGED_OUT),
    help=__("with Latvija.lv or eParaksts, as a natural person."),
    commands=(CommandEntry("login", __("Log in with Latvija.lv or eParaksts")),),
)
LOGOUT_SECTION = Section(
    key=LOGOUT,
    position=100,
    router=lambda _settings: logout_router(),
    menu=MenuEntry(__("🚪 Log out"), Visibility.LOGGED_IN, half=True),
    help=__("this Telegram account forgets who you are at once."),
    commands=(CommandEntry("logout", __("Log out")),),
)
