"""The bot's web endpoint: login links, the identity provider's callback, e-mail
confirmations, health, and (in webhook mode) Telegram's webhook. One server on WEB_PORT.

Network calls to the identity provider happen outside database transactions; every state
change and the chat messages it causes are committed together, then sent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from typing import TypeVar
from urllib.parse import urlencode

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.app import App
from bot.demo_mail import DemoMailbox, mailbox_page
from bot.identity import provider_label
from bot.logs import fields
from bot.pages import form, page
from bot.webhook import APP_KEY, handle_update, health
from dialogs import login as login_texts
from dialogs.clients import list_clients
from dialogs.menu import send_main_menu
from dialogs.outgoing import Outgoing
from integrations.identity.demo import AUTHORIZE_PATH, DEMO_PEOPLE, PEOPLE, DemoProvider
from portal import languages
from portal.clients import AlreadyRegistered
from portal.identity import IdentityError, Refusal
from portal.linking import (
    account_for_link,
    begin_login,
    link_person,
    take_login_flow,
)
from portal.registration import (
    ConfirmationExpired,
    PendingRegistration,
    confirm,
    pending_for_token,
)
from storage.database import DatabaseUnavailable
from storage.repositories import PendingMessage, SqlUnitOfWork

log = logging.getLogger(__name__)

COOKIE = "altum_login"
CALLBACK_PATH = "/auth/callback"
T = TypeVar("T")


def create_web_app(app: App, *, webhook: bool) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    routes = web_app.router
    routes.add_get("/healthz", health)
    routes.add_get("/link/{token}", link_page)
    routes.add_post("/link/{token}", link_continue)
    routes.add_get(CALLBACK_PATH, callback)
    routes.add_post(CALLBACK_PATH, callback)
    routes.add_get("/confirm/{token}", confirm_page)
    routes.add_post("/confirm/{token}", confirm_submit)
    if isinstance(app.identity, DemoProvider):
        routes.add_get(AUTHORIZE_PATH, demo_authorize_page)
        routes.add_post(AUTHORIZE_PATH, demo_authorize)
    if isinstance(app.mailer, DemoMailbox):
        routes.add_get("/demo/mail", demo_mail)
    if webhook:
        routes.add_post(app.settings.webhook_path, handle_update)
    return web_app


async def _in_transaction(app: App, work: Callable[[SqlUnitOfWork, Outgoing], Awaitable[T]]) -> T:
    """Run `work` in one transaction; the chat messages it queues are sent after commit."""
    outgoing = Outgoing(chat_id=None)
    rows: list[PendingMessage] = []
    async with app.database.transaction() as session:
        uow = SqlUnitOfWork(session)
        result = await work(uow, outgoing)
        if outgoing.queued:
            rows = await app.sender.queue(
                uow.outbox, ((item.chat_id, item.method) for item in outgoing.queued)
            )
    await app.sender.deliver(rows)
    return result


def _error_page(app: App, locale: str, refusal: Refusal, status: int = 400) -> web.Response:
    with app.i18n.context(), app.i18n.use_locale(locale):
        closing = _("You can close this page.")  # not inside the f-string: Babel skips those
        return page(
            title=_("Logging in failed"),
            body_html=f"<p>{escape(login_texts.refusal_text(refusal))}</p>"
            f'<p class="muted">{escape(closing)}</p>',
            lang=locale,
            status=status,
            error=True,
        )


async def link_page(request: web.Request) -> web.Response:
    """Names the Telegram account about to be linked and asks to continue."""
    app = request.app[APP_KEY]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    try:
        account = await _in_transaction(
            app, lambda uow, _out: account_for_link(uow=uow, token=token, now=now)
        )
    except IdentityError as error:
        return _error_page(app, languages.DEFAULT, error.refusal, status=410)
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
                    ).format(p=provider_label(app.identity))
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
            account = await _in_transaction(
                app,
                lambda uow, _out: account_for_link(uow=uow, token=token, now=datetime.now(UTC)),
            )
            locale = account.locale
        return _error_page(app, locale, error.refusal, status=503)
    now = datetime.now(UTC)
    try:
        _account, session = await _in_transaction(
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
        return _error_page(app, languages.DEFAULT, error.refusal, status=410)
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
        return _error_page(app, languages.DEFAULT, Refusal.STATE_MISMATCH)
    try:
        flow = await _in_transaction(
            app, lambda uow, _out: take_login_flow(uow=uow, session=session, now=now)
        )
    except IdentityError as error:
        return _error_page(app, languages.DEFAULT, error.refusal)
    locale = await _in_transaction(app, lambda uow, _out: _locale_of(uow, flow.telegram_user_id))
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
                other = await _locale_of(uow, result.replaced_telegram_user_id)
                with app.i18n.context(), app.i18n.use_locale(other):
                    outgoing.send_to(result.replaced_telegram_user_id, login_texts.replaced_text())
            return result.person.full_name

        name = await _in_transaction(app, link)
    except IdentityError as error:
        log.warning(
            "login refused",
            extra=fields(refusal=str(error.refusal), detail=error.detail, provider=flow.provider),
        )
        await _tell_chat(app, flow.telegram_user_id, locale, error.refusal)
        status = 503 if error.refusal is Refusal.PROVIDER_UNAVAILABLE else 400
        return _error_page(app, locale, error.refusal, status=status)
    except DatabaseUnavailable:
        return _error_page(app, locale, Refusal.PROVIDER_UNAVAILABLE, status=503)
    except Exception:
        # The flow is used up either way; the person starts again from the chat.
        log.exception("login: callback failed", extra=fields(provider=flow.provider))
        await _tell_chat(app, flow.telegram_user_id, locale, Refusal.INVALID_TOKEN)
        return _error_page(app, locale, Refusal.INVALID_TOKEN, status=500)
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


async def _locale_of(uow: SqlUnitOfWork, telegram_user_id: int) -> str:
    account = await uow.accounts.get(telegram_user_id)
    return account.locale if account else languages.DEFAULT


async def _tell_chat(app: App, telegram_user_id: int, locale: str, refusal: Refusal) -> None:
    async def tell(uow: SqlUnitOfWork, outgoing: Outgoing) -> None:
        with app.i18n.context(), app.i18n.use_locale(locale):
            outgoing.send_to(telegram_user_id, login_texts.login_failed_text(refusal))

    try:
        await _in_transaction(app, tell)
    except Exception:
        log.exception("login: could not tell the chat")


async def confirm_page(request: web.Request) -> web.Response:
    """A page with a button, not a GET that confirms: mail scanners open links too."""
    app = request.app[APP_KEY]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    try:
        pending, locale = await _in_transaction(
            app, lambda uow, _out: _pending_with_locale(uow, token, now)
        )
    except ConfirmationExpired:
        return _expired_confirmation(app, languages.DEFAULT)
    with app.i18n.context(), app.i18n.use_locale(locale):
        return page(
            title=_("Confirm the registration"),
            body_html="<p>"
            + _(
                "Confirm that <b>{name}</b> is registered as an ALTUM client, with you as its "
                "main user."
            ).format(name=escape(pending.client.name))
            + "</p>"
            + form(request.path, _("Apstiprināt")),
            lang=locale,
        )


async def _pending_with_locale(
    uow: SqlUnitOfWork, token: str, now: datetime
) -> tuple[PendingRegistration, str]:
    pending = await pending_for_token(uow=uow, token=token, now=now)
    return pending, await _locale_of(uow, pending.telegram_user_id)


def _expired_confirmation(app: App, locale: str) -> web.Response:
    with app.i18n.context(), app.i18n.use_locale(locale):
        return page(
            title=_("Link not valid"),
            body_html="<p>"
            + escape(
                _(
                    "This confirmation link was already used or has expired. Register again in "
                    "the Telegram chat if the client is not active yet."
                )
            )
            + "</p>",
            lang=locale,
            status=410,
            error=True,
        )


async def confirm_submit(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    token = request.match_info["token"]
    now = datetime.now(UTC)

    async def work(uow: SqlUnitOfWork, outgoing: Outgoing) -> tuple[str, str]:
        confirmed = await confirm(uow=uow, token=token, now=now)
        locale = await _locale_of(uow, confirmed.telegram_user_id)
        chat = Outgoing(chat_id=confirmed.telegram_user_id)
        with app.i18n.context(), app.i18n.use_locale(locale):
            chat.send(
                _("✅ <b>{name}</b> is registered. You are its main user.").format(
                    name=escape(confirmed.name)
                )
            )
            await send_main_menu(chat, uow, confirmed.telegram_user_id)
        outgoing.queued.extend(chat.queued)
        return confirmed.name, locale

    try:
        name, locale = await _in_transaction(app, work)
    except ConfirmationExpired:
        return _expired_confirmation(app, languages.DEFAULT)
    except AlreadyRegistered:
        with app.i18n.context(), app.i18n.use_locale(languages.DEFAULT):
            return page(
                title=_("Already registered"),
                body_html="<p>"
                + escape(
                    _(
                        "This client is already registered with ALTUM. Ask its main user to give "
                        "you access."
                    )
                )
                + "</p>",
                lang=languages.DEFAULT,
                status=409,
                error=True,
            )
    log.info("registration confirmed")
    with app.i18n.context(), app.i18n.use_locale(locale):
        return page(
            title=_("Registration complete"),
            body_html="<p>"
            + _("<b>{name}</b> is now an ALTUM client. Go back to Telegram to continue.").format(
                name=escape(name)
            )
            + "</p>",
            lang=locale,
        )


async def demo_authorize_page(request: web.Request) -> web.Response:
    """The demo provider's "log in as": one button per demo person."""
    state = request.query.get("state", "")
    redirect_uri = request.query.get("redirect_uri", "")
    buttons = "".join(
        "<li>"
        + form(
            AUTHORIZE_PATH,
            f"{person.given_name} {person.family_name}",
            {"state": state, "redirect_uri": redirect_uri, "person": person.key},
        )
        + f'<span class="muted">{escape(person.subject)} · {escape(person.note)}</span></li>'
        for person in DEMO_PEOPLE
    )
    return page(
        title="Demo identity provider",
        body_html="<p>Stands in for Latvija.lv / eParaksts in the demo. Log in as:</p>"
        f"<ul>{buttons}</ul>"
        + form(AUTHORIZE_PATH, "Cancel", {"state": state, "redirect_uri": redirect_uri}),
        lang="en",
    )


async def demo_authorize(request: web.Request) -> web.StreamResponse:
    app = request.app[APP_KEY]
    data = await request.post()
    redirect_uri = str(data.get("redirect_uri", ""))
    if redirect_uri != app.settings.public_url + CALLBACK_PATH:
        return web.Response(status=400, text="bad redirect_uri")  # no open redirect
    person = str(data.get("person", ""))
    query: dict[str, str] = {"state": str(data.get("state", ""))}
    if person in PEOPLE:
        query["person"] = person
    else:
        query["error"] = "access_denied"
    raise web.HTTPSeeOther(f"{redirect_uri}?{urlencode(query)}")


async def demo_mail(request: web.Request) -> web.Response:
    mailer = request.app[APP_KEY].mailer
    assert isinstance(mailer, DemoMailbox)
    return mailbox_page(mailer)
