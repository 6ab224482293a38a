"""A signature's identity confirmation on the web (portal/confirming.py): the link's page (a
Mini App, like the login's: only the signer's Telegram account gets past it), then a page
showing what is being signed, then the identity provider, whose answer comes back through
the login's callback (`web.login.callback` hands flows marked for signing here)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from dialogs.application_texts import signed_reply
from dialogs.chat_notices import OutgoingNotifier
from dialogs.outgoing import Outgoing
from portal import confirming
from portal.identity import IdentityError, Refusal
from portal.miniapp import MiniAppRefusal, MiniAppRefused
from portal.model import (
    ApplicationNotFound,
    AwaitingReview,
    FormIncomplete,
    LoginFlowRecord,
    MayNotSign,
    NoAccess,
    NotEditable,
    NotLinked,
    NotThePerson,
    RuleNotMet,
)
from portal.ports import UnitOfWork
from web import login
from web.common import error_page, fields, request_locale
from web.miniapp import FIELD, bootstrap_page, opened_by, opened_by_another_site
from web.pages import page
from web.surface import SURFACE, Surface, Unavailable

log = logging.getLogger(__name__)
NOTHING_SIGNED = (NotEditable, MayNotSign, RuleNotMet, FormIncomplete, AwaitingReview)


async def sign_page(request: web.Request) -> web.Response:
    """The Mini App's first page: posts Telegram's `initData` back at once."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    locale = request_locale(request)
    now = datetime.now(UTC)
    if opened_by_another_site(request):
        return login.refusal_page(surface, locale, MiniAppRefusal.MISSING)
    try:
        await surface.transaction(
            lambda uow, _out: confirming.what_is_signed(
                uow=uow, forms=surface.forms, token=token, now=now
            )
        )
    except (IdentityError, ApplicationNotFound, NoAccess, NotLinked):
        return error_page(surface, locale, Refusal.EXPIRED_LINK, status=410)
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return bootstrap_page(
            action=request.path,
            title=_("Confirming a signature"),
            waiting=_("Opening…"),
            without_script=_("Open this page with the button in the Telegram chat."),
            lang=locale,
            frame_ancestors=surface.frame_ancestors,
        )


async def _checked(
    request: web.Request, surface: Surface, token: str, now: datetime
) -> tuple[confirming.WhatIsSigned, str, str] | web.Response:
    """What is signed, the language and the initData, when the link's own user opened it."""
    locale = request_locale(request)
    try:
        user = await opened_by(request, surface=surface, now=now)
    except MiniAppRefused as refused:
        log.warning("signing: page not opened from the chat", extra=fields(reason=refused.reason))
        return login.refusal_page(surface, locale, refused.reason)

    async def find(uow: UnitOfWork, _out: Outgoing) -> tuple[int, str, confirming.WhatIsSigned]:
        account = await uow.accounts.get(user.id)
        found = account.locale if account else locale
        confirmation, what = await confirming.what_is_signed(
            uow=uow, forms=surface.forms, token=token, now=now
        )
        return confirmation.telegram_user_id, found, what

    try:
        owner, locale, what = await surface.transaction(find)
    except (IdentityError, ApplicationNotFound, NoAccess, NotLinked):
        return error_page(surface, locale, Refusal.EXPIRED_LINK, status=410)
    if owner != user.id:  # a forwarded link signs nothing
        log.warning("signing: a link opened by another Telegram account")
        return login.refusal_page(surface, locale, MiniAppRefusal.WRONG_USER)
    data = await request.post()
    init_data = data.get(FIELD, "")
    return what, locale, init_data if isinstance(init_data, str) else ""


async def sign_details(request: web.Request) -> web.Response:
    """What is being signed — form, amount, account, the content hash — before the provider."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    checked = await _checked(request, surface, token, datetime.now(UTC))
    if isinstance(checked, web.Response):
        return checked
    what, locale, init_data = checked
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        title = what.form_title_en if locale == "en" else what.form_title_lv
        rows = "".join(
            f"<tr><th>{escape(en if locale == 'en' else lv)}</th>"
            f"<td>{escape(value_en if locale == 'en' else value_lv)}</td></tr>"
            for lv, en, value_lv, value_en in what.lines
        )
        action = _("Sign and submit") if what.submit else _("Sign")
        body = (
            "<p>"
            + _("You are signing «{title}» (No. {id}) for <b>{client}</b>:").format(
                title=escape(title), id=what.application_id, client=escape(what.client_name)
            )
            + f"</p><table>{rows}</table><p>"
            + _("Content hash: <code>{hash}</code>").format(hash=what.content_hash)
            + "</p><p>"
            + escape(_("To sign, confirm who you are at the identity provider."))
            + f'</p><form method="post" action="{escape(request.path)}/go">'
            f'<input type="hidden" name="{FIELD}" value="{escape(init_data)}">'
            f"<button>{escape(action)}</button></form>"
        )
        return page(
            title=_("Confirm your signature"),
            body_html=body,
            lang=locale,
            frame_ancestors=surface.frame_ancestors,
        )


async def sign_go(request: web.Request) -> web.StreamResponse:
    """The link is used up and the provider's flow starts, bound to this browser."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    checked = await _checked(request, surface, token, now)
    if isinstance(checked, web.Response):
        return checked
    _what, locale, _init = checked
    user = await opened_by(request, surface=surface, now=now)
    try:
        started = await surface.identity.start(
            callback_url=surface.public_url + login.CALLBACK_PATH
        )
    except IdentityError as error:
        return error_page(surface, locale, error.refusal, status=503)
    try:
        session = await surface.transaction(
            lambda uow, _out: confirming.begin_confirmation(
                uow=uow,
                token=token,
                telegram_user_id=user.id,
                provider=surface.identity.name,
                flow_state=dict(started.flow_state),
                now=now,
                limits=surface.limits,
            )
        )
    except IdentityError as error:
        return error_page(surface, locale, error.refusal, status=410)
    response = web.HTTPSeeOther(started.redirect_url, headers=login.REDIRECT_HEADERS)
    flow_seconds = int(surface.limits.login_flow.total_seconds())
    login.set_flow_cookie(response, surface, session, max_age=flow_seconds)
    log.info("signing: flow started", extra=fields(provider=surface.identity.name))
    raise response


async def finish(
    surface: Surface, flow: LoginFlowRecord, params: dict[str, str], locale: str
) -> web.Response:
    """The provider's answer for a signature: the person linked to the chat signs."""
    now = datetime.now(UTC)
    try:
        identity = await surface.identity.finish(
            callback_url=surface.public_url + login.CALLBACK_PATH,
            params=params,
            flow_state=confirming.provider_state(flow),
        )
    except IdentityError as error:
        log.warning("signing refused by the provider", extra=fields(refusal=str(error.refusal)))
        await _tell(surface, flow.telegram_user_id, locale, _nothing_signed_text)
        return error_page(surface, locale, error.refusal)

    async def sign(uow: UnitOfWork, outgoing: Outgoing) -> confirming.Confirmed:
        with surface.i18n.context(), surface.i18n.use_locale(locale):
            chat = Outgoing(chat_id=flow.telegram_user_id)
            confirmed = await confirming.confirm_signature(
                uow=uow,
                notifier=OutgoingNotifier(uow, chat),
                forms=surface.forms,
                flow=flow,
                identity=identity,
                now=now,
                printing=surface.printing,
                counts=surface.at_least_counts,
            )
            if not confirmed.submitted:
                text, keyboard = signed_reply(
                    int(flow.flow_state["application_id"]), met=confirmed.state.met
                )
                chat.send(text, keyboard=keyboard)
        outgoing.queued.extend(chat.queued)
        return confirmed

    try:
        await surface.transaction(sign)
    except NotThePerson:
        log.warning("signing: the provider confirmed another person")
        await _tell(surface, flow.telegram_user_id, locale, _not_you_text)
        return _result_page(surface, locale, _not_you_text, error=True)
    except (*NOTHING_SIGNED, ApplicationNotFound, NoAccess, NotLinked):
        await _tell(surface, flow.telegram_user_id, locale, _nothing_signed_text)
        return _result_page(surface, locale, _nothing_signed_text, error=True)
    except IdentityError as error:
        return error_page(surface, locale, error.refusal)
    except Unavailable:
        return error_page(surface, locale, Refusal.PROVIDER_UNAVAILABLE, status=503)
    log.info("signing: signed", extra=fields(provider=flow.provider))
    response = _result_page(surface, locale, _signed_text)
    login.set_flow_cookie(response, surface, "", max_age=0, expires=login.EXPIRED)
    return response


def _signed_text() -> str:
    return _("Signed. Go back to Telegram: the chat continues there. You can close this page.")


def _not_you_text() -> str:
    return _(
        "The identity provider confirmed another person than the one linked to this Telegram "
        "account. Nothing was signed."
    )


def _nothing_signed_text() -> str:
    return _(
        "Nothing was signed: the application changed, was withdrawn or submitted meanwhile, or "
        "the confirmation did not succeed. Look at it again in the chat."
    )


def _result_page(
    surface: Surface, locale: str, text: Callable[[], str], *, error: bool = False
) -> web.Response:
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("Confirming a signature"),
            body_html=f"<p>{escape(text())}</p>",
            lang=locale,
            error=error,
            status=400 if error else 200,
            frame_ancestors=surface.frame_ancestors,
        )


async def _tell(
    surface: Surface, telegram_user_id: int, locale: str, text: Callable[[], str]
) -> None:
    async def tell(_uow: UnitOfWork, outgoing: Outgoing) -> None:
        with surface.i18n.context(), surface.i18n.use_locale(locale):
            outgoing.send_to(telegram_user_id, text())

    try:
        await surface.transaction(tell)
    except Exception:
        log.exception("signing: could not tell the chat")
