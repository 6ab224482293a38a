"""Logging in on the web: the link's page, the hand-over to the identity provider, and its
callback, which links the person and tells the chat."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from html import escape

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.app import App
from bot.identity import provider_label
from bot.logs import fields
from bot.pages import form, page
from bot.web.common import error_page, in_transaction, locale_of
from bot.webhook import APP_KEY
from dialogs import login as login_texts
from dialogs.clients import list_clients
from dialogs.outgoing import Outgoing
from portal import languages
from portal.identity import IdentityError, Refusal
from portal.linking import (
    LoginFlowRecord,
    account_for_link,
    begin_login,
    link_person,
    take_login_flow,
)
from storage.database import DatabaseUnavailable
from storage.repositories import SqlUnitOfWork

log = logging.getLogger(__name__)

COOKIE = "altum_login"
CALLBACK_PATH = "/auth/callback"


async def link_page(request: web.Request) -> web.Response:
    """Names the Telegram account about to be linked and asks to continue."""
    app = request.app[APP_KEY]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    try:
        account = await in_transaction(
            app, lambda uow, _out: account_for_link(uow=uow, token=token, now=now)
        )
    except IdentityError as error:
        return error_page(app, languages.DEFAULT, error.refusal, status=410)
    locale = account.locale
    who = escape(account.first_name) + (
        f" (@{escape(account.username)})" if account.username else ""
    )
    with app.i18n.context(), app.i18n.use_locale(locale):
        return page(
            title=_("Link your Telegram account"),
            body_html=(
                "<p>"
                + _(
                    "You are about to link the Telegram account <b>{who}</b> to your identity."
                ).format(who=who)
                + "</p><p>"
                + escape(
                    _(
                        "Continue only if this is your Telegram account. Next you log in with {p}."
                    ).format(p=provider_label(app.settings))
                )
                + "</p>"
                + form(request.path, _("Continue"))
            ),
            lang=locale,
        )


async def link_continue(request: web.Request) -> web.StreamResponse:
    """Uses up the link, starts the provider's flow and binds it to this browser."""
    app = request.app[APP_KEY]
    token = request.match_info["token"]
    callback_url = app.settings.public_url + CALLBACK_PATH
    try:
        started = await app.identity.start(callback_url=callback_url)
    except IdentityError as error:
        log.warning("login: provider start failed", extra=fields(refusal=str(error.refusal)))
        locale = languages.DEFAULT
        with contextlib.suppress(IdentityError):
            account = await in_transaction(
                app,
                lambda uow, _out: account_for_link(uow=uow, token=token, now=datetime.now(UTC)),
            )
            locale = account.locale
        return error_page(app, locale, error.refusal, status=503)
    now = datetime.now(UTC)
    try:
        _account, session = await in_transaction(
            app,
            lambda uow, _out: begin_login(
                uow=uow,
                token=token,
                provider=app.identity.name,
                flow_state=dict(started.flow_state),
                now=now,
            ),
        )
    except IdentityError as error:
        return error_page(app, languages.DEFAULT, error.refusal, status=410)
    response = web.HTTPSeeOther(started.redirect_url)
    secure = app.settings.public_url.startswith("https://")
    # Latvija.lv answers with a cross-site POST, which carries only SameSite=None cookies.
    same_site = "None" if secure and app.identity.name == "latvija" else "Lax"
    response.set_cookie(
        COOKIE,
        session,
        max_age=600,
        path="/auth",
        httponly=True,
        secure=secure,
        samesite=same_site,
    )
    log.info("login: flow started", extra=fields(provider=app.identity.name))
    raise response


async def callback(request: web.Request) -> web.Response:
    """The provider sends the browser back: identify, link, tell the chat."""
    app = request.app[APP_KEY]
    params = {**request.query}
    if request.method == "POST":
        params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    session = request.cookies.get(COOKIE, "")
    now = datetime.now(UTC)
    if not session:
        return error_page(app, languages.DEFAULT, Refusal.STATE_MISMATCH)

    async def take(uow: SqlUnitOfWork, _out: Outgoing) -> tuple[LoginFlowRecord, str]:
        flow = await take_login_flow(uow=uow, session=session, now=now)
        return flow, await locale_of(uow, flow.telegram_user_id)

    try:
        flow, locale = await in_transaction(app, take)
    except IdentityError as error:
        return error_page(app, languages.DEFAULT, error.refusal)
    try:
        if flow.provider != app.identity.name:
            raise IdentityError(Refusal.STATE_MISMATCH, "flow of another provider")
        identity = await app.identity.finish(
            callback_url=app.settings.public_url + CALLBACK_PATH,
            params=params,
            flow_state=flow.flow_state,
        )

        async def link(uow: SqlUnitOfWork, outgoing: Outgoing) -> str:
            result = await link_person(
                uow=uow, telegram_user_id=flow.telegram_user_id, identity=identity, now=now
            )
            chat = Outgoing(chat_id=flow.telegram_user_id)
            with app.i18n.context(), app.i18n.use_locale(locale):
                chat.send(
                    login_texts.linked_text(result.person.full_name),
                    keyboard=login_texts.undo_keyboard(),
                )
                await list_clients(flow.telegram_user_id, uow, chat)  # the portal asks next
            outgoing.queued.extend(chat.queued)
            if result.replaced_telegram_user_id is not None:
                other = await locale_of(uow, result.replaced_telegram_user_id)
                with app.i18n.context(), app.i18n.use_locale(other):
                    outgoing.send_to(result.replaced_telegram_user_id, login_texts.replaced_text())
            return result.person.full_name

        name = await in_transaction(app, link)
    except IdentityError as error:
        log.warning(
            "login refused",
            extra=fields(refusal=str(error.refusal), detail=error.detail, provider=flow.provider),
        )
        await _tell_chat(app, flow.telegram_user_id, locale, error.refusal)
        status = 503 if error.refusal is Refusal.PROVIDER_UNAVAILABLE else 400
        return error_page(app, locale, error.refusal, status=status)
    except DatabaseUnavailable:
        return error_page(app, locale, Refusal.PROVIDER_UNAVAILABLE, status=503)
    except Exception:
        # The flow is used up either way; the person starts again from the chat.
        log.exception("login: callback failed", extra=fields(provider=flow.provider))
        await _tell_chat(app, flow.telegram_user_id, locale, Refusal.INVALID_TOKEN)
        return error_page(app, locale, Refusal.INVALID_TOKEN, status=500)
    log.info("login: linked", extra=fields(provider=flow.provider))
    with app.i18n.context(), app.i18n.use_locale(locale):
        response = page(
            title=_("Logged in"),
            body_html="<p>"
            + _("Your Telegram account is linked as <b>{name}</b>.").format(name=escape(name))
            + "</p><p>"
            + escape(_("Go back to Telegram: the chat continues there. You can close this page."))
            + "</p>",
            lang=locale,
        )
    response.del_cookie(COOKIE, path="/auth")
    return response


async def _tell_chat(app: App, telegram_user_id: int, locale: str, refusal: Refusal) -> None:
    async def tell(uow: SqlUnitOfWork, outgoing: Outgoing) -> None:
        with app.i18n.context(), app.i18n.use_locale(locale):
            outgoing.send_to(telegram_user_id, login_texts.login_failed_text(refusal))

    try:
        await in_transaction(app, tell)
    except Exception:
        log.exception("login: could not tell the chat")
