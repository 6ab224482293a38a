"""The e-mail confirmation of a new client: a page with «Apstiprināt», then the POST that
makes the client active and tells the chat."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html import escape

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from dialogs.menu import send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.registration_texts import awaiting_review_text
from dialogs.routers import registered_sections
from portal import languages
from portal.model import AlreadyRegistered, ConfirmationExpired, PendingRegistration
from portal.ports import UnitOfWork
from portal.registration import confirm, pending_for_token
from web.common import locale_of
from web.pages import form, page
from web.surface import SURFACE, Surface

log = logging.getLogger(__name__)


async def confirm_page(request: web.Request) -> web.Response:
    """A page with a button, not a GET that confirms: mail scanners open links too."""
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    now = datetime.now(UTC)
    try:
        pending, locale = await surface.transaction(
            lambda uow, _out: _pending_with_locale(uow, token, now)
        )
    except ConfirmationExpired:
        return _expired_confirmation(surface, languages.DEFAULT)
    with surface.i18n.context(), surface.i18n.use_locale(locale):
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
    uow: UnitOfWork, token: str, now: datetime
) -> tuple[PendingRegistration, str]:
    pending = await pending_for_token(uow=uow, token=token, now=now)
    return pending, await locale_of(uow, pending.telegram_user_id)


def _expired_confirmation(surface: Surface, locale: str) -> web.Response:
    with surface.i18n.context(), surface.i18n.use_locale(locale):
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
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    now = datetime.now(UTC)

    async def work(uow: UnitOfWork, outgoing: Outgoing) -> tuple[str, str]:
        confirmed = await confirm(
            uow=uow, token=token, now=now, review_required=surface.registration_review
        )
        locale = await locale_of(uow, confirmed.telegram_user_id)
        chat = Outgoing(chat_id=confirmed.telegram_user_id)
        with surface.i18n.context(), surface.i18n.use_locale(locale):
            text = _("✅ <b>{name}</b> is registered. You are its main user.").format(
                name=escape(confirmed.name)
            )
            if confirmed.awaiting_review:
                text += "\n\n" + awaiting_review_text()
            chat.send(text)
            sections = registered_sections().configured(surface.at_least_counts)
            await send_main_menu(chat, uow, confirmed.telegram_user_id, sections)
        outgoing.queued.extend(chat.queued)
        return confirmed.name, locale

    try:
        name, locale = await surface.transaction(work)
    except ConfirmationExpired:
        return _expired_confirmation(surface, languages.DEFAULT)
    except AlreadyRegistered:
        with surface.i18n.context(), surface.i18n.use_locale(languages.DEFAULT):
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
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("Registration complete"),
            body_html="<p>"
            + _("<b>{name}</b> is now an ALTUM client. Go back to Telegram to continue.").format(
                name=escape(name)
            )
            + "</p>",
            lang=locale,
        )
