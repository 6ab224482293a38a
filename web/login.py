"""Logging in on the web: the link's page (a Telegram Mini App that proves who opened it),
the hand-over to the identity provider, and its callback, which links the person and tells
the chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from http.cookies import SimpleCookie

from aiogram.utils.i18n import gettext as _
from aiohttp import hdrs, web

from dialogs import login as login_texts
from dialogs.clients import list_clients
from dialogs.outgoing import Outgoing
from portal import languages
from portal.confirming import is_signature
from portal.identity import IdentityError, Refusal
from portal.linking import account_for_link, begin_login, link_person, take_login_flow
from portal.miniapp import MiniAppRefusal, MiniAppRefused, MiniAppUser
from portal.model import LoginFlowRecord
from portal.ports import UnitOfWork
from web.common import error_page, fields, locale_of, request_locale
from web.miniapp import bootstrap_page, opened_by, opened_by_another_site
from web.pages import page
from web.surface import SURFACE, Surface, Unavailable

log = logging.getLogger(__name__)

COOKIE = "altum_login"
CALLBACK_PATH = "/auth/callback"
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"
_REDIRECT_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


async def link_page(request: web.Request) -> web.Response:
    """The Mini App's first page: posts Telegram's `initData` back at once. It names no
    account: a name the link's owner chose proves nothing to whoever opens it."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    locale = request_locale(request)
    now = datetime.now(UTC)
    if opened_by_another_site(request):
        log.warning("login: link opened from another site")
        return refusal_page(surface, locale, MiniAppRefusal.MISSING)
    try:
        await surface.transaction(lambda uow, _out: account_for_link(uow=uow, token=token, now=now))
    except IdentityError as error:
        return error_page(surface, locale, error.refusal, status=410)
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return bootstrap_page(
            action=request.path,
            title=_("Logging in"),
            waiting=_("Opening the login…"),
            without_script=login_texts.open_in_telegram_text(MiniAppRefusal.MISSING),
            lang=locale,
            frame_ancestors=surface.frame_ancestors,
        )


async def link_continue(request: web.Request) -> web.StreamResponse:
    """Only the Telegram user the link was made for, in our Mini App, uses it up: then the
    provider's flow starts, bound to this browser."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    locale = request_locale(request)
    try:
        user = await opened_by(request, surface=surface, now=now)
    except MiniAppRefused as refused:
        log.warning("login: link not opened from the chat", extra=fields(reason=refused.reason))
        if refused.user is not None:  # stale, but Telegram's: answer in that user's language
            locale = await surface.transaction(_locale_of(refused.user, locale))
        return refusal_page(surface, locale, refused.reason)

    async def owner_and_locale(uow: UnitOfWork, outgoing: Outgoing) -> tuple[int, str]:
        found = await _locale_of(user, locale)(uow, outgoing)
        try:
            account = await account_for_link(uow=uow, token=token, now=now)
        except IdentityError:
            return 0, found
        return account.telegram_user_id, found

    owner, locale = await surface.transaction(owner_and_locale)
    if not owner:
        return error_page(surface, locale, Refusal.EXPIRED_LINK, status=410)
    if owner != user.id:  # a forwarded link: nothing is used up
        log.warning("login: a link opened by another Telegram account")
        return refusal_page(surface, locale, MiniAppRefusal.WRONG_USER)
    callback_url = surface.public_url + CALLBACK_PATH
    try:
        started = await surface.identity.start(callback_url=callback_url)
    except IdentityError as error:
        log.warning("login: provider start failed", extra=fields(refusal=str(error.refusal)))
        return error_page(surface, locale, error.refusal, status=503)
    try:
        _account, session = await surface.transaction(
            lambda uow, _out: begin_login(
                uow=uow,
                token=token,
                telegram_user_id=user.id,
                provider=surface.identity.name,
                flow_state=dict(started.flow_state),
                now=now,
                limits=surface.limits,
            ),
        )
    except IdentityError as error:
        return error_page(surface, locale, error.refusal, status=410)
    response = web.HTTPSeeOther(started.redirect_url, headers=_REDIRECT_HEADERS)
    flow_seconds = int(surface.limits.login_flow.total_seconds())
    _set_flow_cookie(response, surface, session, max_age=flow_seconds)
    log.info("login: flow started", extra=fields(provider=surface.identity.name))
    raise response


def _locale_of(
    user: MiniAppUser, fallback: str
) -> Callable[[UnitOfWork, Outgoing], Awaitable[str]]:
    """The language of the Telegram user Telegram vouched for: as chosen in the chat, else
    their app's, else the browser's."""

    async def find(uow: UnitOfWork, _out: Outgoing) -> str:
        account = await uow.accounts.get(user.id)
        return (account.locale if account else languages.normalize(user.language_code)) or fallback

    return find


def _set_flow_cookie(
    response: web.StreamResponse,
    surface: Surface,
    value: str,
    *,
    max_age: int,
    expires: str | None = None,
) -> None:
    """The flow cookie. On https it is SameSite=None: the Mini App may be a cross-site frame
    (Telegram's web client), where no other cookie is sent, and Latvija.lv answers with a
    cross-site POST; Partitioned keeps it where third-party cookies are blocked (it is only
    ever read back in the same frame). On plain http (the demo, whose web chat is on the same
    host) browsers refuse SameSite=None, so Lax.

    Partitioned is appended by hand: Python's http.cookies knows the attribute only from
    3.14, and aiohttp's `set_cookie(partitioned=True)` raises CookieError before that."""
    secure = surface.public_url.startswith("https://")
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = value
    morsel = cookie[COOKIE]
    morsel["path"] = "/auth"
    morsel["httponly"] = True
    morsel["max-age"] = str(max_age)
    if expires is not None:
        morsel["expires"] = expires
    morsel["samesite"] = "None" if secure else "Lax"
    morsel["secure"] = secure
    partitioned = "; Partitioned" if secure else ""
    response.headers.add(hdrs.SET_COOKIE, morsel.OutputString() + partitioned)


def refusal_page(surface: Surface, locale: str, reason: MiniAppRefusal) -> web.Response:
    """Opened other than from the chat's «Log in» button: nothing used up; how to log in."""
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("Open it from the Telegram chat"),
            body_html=f"<p>{escape(login_texts.open_in_telegram_text(reason))}</p>",
            lang=locale,
            status=403,
            error=True,
            frame_ancestors=surface.frame_ancestors,
        )


async def callback(request: web.Request) -> web.Response:
    """The provider sends the browser back: identify, link, tell the chat."""
    surface = request.app[SURFACE]
    params = {**request.query}
    if request.method == "POST":
        params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    session = request.cookies.get(COOKIE, "")
    now = datetime.now(UTC)
    if not session:
        return error_page(surface, languages.DEFAULT, Refusal.STATE_MISMATCH)

    async def take(uow: UnitOfWork, _out: Outgoing) -> tuple[LoginFlowRecord, str]:
        flow = await take_login_flow(uow=uow, session=session, now=now)
        return flow, await locale_of(uow, flow.telegram_user_id)

    try:
        flow, locale = await surface.transaction(take)
    except IdentityError as error:
        return error_page(surface, languages.DEFAULT, error.refusal)
    if is_signature(flow):  # a signature's confirmation (issue 9), not a login
        from web import signing  # imported here: signing builds on this module

        return await signing.finish(surface, flow, params, locale)
    try:
        if flow.provider != surface.identity.name:
            raise IdentityError(Refusal.STATE_MISMATCH, "flow of another provider")
        identity = await surface.identity.finish(
            callback_url=surface.public_url + CALLBACK_PATH,
            params=params,
            flow_state=flow.flow_state,
        )

        async def link(uow: UnitOfWork, outgoing: Outgoing) -> str:
            result = await link_person(
                uow=uow,
                telegram_user_id=flow.telegram_user_id,
                identity=identity,
                now=now,
                limits=surface.limits,
            )
            chat = Outgoing(chat_id=flow.telegram_user_id)
            with surface.i18n.context(), surface.i18n.use_locale(locale):
                chat.send(
                    login_texts.linked_text(result.person.full_name),
                    keyboard=login_texts.undo_keyboard(),
                )
                await list_clients(flow.telegram_user_id, uow, chat)  # the portal asks next
            outgoing.queued.extend(chat.queued)
            if result.replaced_telegram_user_id is not None:
                other = await locale_of(uow, result.replaced_telegram_user_id)
                with surface.i18n.context(), surface.i18n.use_locale(other):
                    outgoing.send_to(result.replaced_telegram_user_id, login_texts.replaced_text())
            return result.person.full_name

        name = await surface.transaction(link)
    except IdentityError as error:
        log.warning(
            "login refused",
            extra=fields(refusal=str(error.refusal), detail=error.detail, provider=flow.provider),
        )
        await _tell_chat(surface, flow.telegram_user_id, locale, error.refusal)
        status = 503 if error.refusal is Refusal.PROVIDER_UNAVAILABLE else 400
        return error_page(surface, locale, error.refusal, status=status)
    except Unavailable:
        return error_page(surface, locale, Refusal.PROVIDER_UNAVAILABLE, status=503)
    except Exception:
        # The flow is used up either way; the person starts again from the chat.
        log.exception("login: callback failed", extra=fields(provider=flow.provider))
        await _tell_chat(surface, flow.telegram_user_id, locale, Refusal.INVALID_TOKEN)
        return error_page(surface, locale, Refusal.INVALID_TOKEN, status=500)
    log.info("login: linked", extra=fields(provider=flow.provider))
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        response = page(
            title=_("Logged in"),
            body_html="<p>"
            + _("Your Telegram account is linked as <b>{name}</b>.").format(name=escape(name))
            + "</p><p>"
            + escape(_("Go back to Telegram: the chat continues there. You can close this page."))
            + "</p>",
            lang=locale,
            frame_ancestors=surface.frame_ancestors,
        )
    _set_flow_cookie(response, surface, "", max_age=0, expires=_EXPIRED)
    return response


async def _tell_chat(
    surface: Surface, telegram_user_id: int, locale: str, refusal: Refusal
) -> None:
    async def tell(uow: UnitOfWork, outgoing: Outgoing) -> None:
        with surface.i18n.context(), surface.i18n.use_locale(locale):
            text = login_texts.login_failed_text(refusal, surface.limits)
            outgoing.send_to(telegram_user_id, text)

    try:
        await surface.transaction(tell)
    except Exception:
        log.exception("login: could not tell the chat")


# Shared with web/signing.py: a signature's confirmation uses the same cookie and callback.
set_flow_cookie = _set_flow_cookie
REDIRECT_HEADERS = _REDIRECT_HEADERS
EXPIRED = _EXPIRED
