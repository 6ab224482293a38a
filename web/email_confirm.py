"""The confirmation of a person's new e-mail address («Profils»): the same two steps as the
registration's (web/confirm.py): a page with «Apstiprināt», since mail scanners open links,
then the POST that makes the address the person's and tells the chat."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from dialogs.outgoing import Outgoing
from portal import languages
from portal.model import ConfirmationExpired
from portal.ports import UnitOfWork
from portal.profile import confirm_email
from web.common import locale_of, request_locale
from web.pages import form, page
from web.surface import SURFACE, Surface

PATH = "/email/{token}"


async def email_page(request: web.Request) -> web.Response:
    surface = request.app[SURFACE]
    locale = request_locale(request)
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("Confirm your e-mail address"),
            body_html="<p>"
            + escape(_("Confirm that this e-mail address is yours, for ALTUM's client chat."))
            + "</p>"
            + form(request.path, _("Apstiprināt")),
            lang=locale,
        )


async def email_submit(request: web.Request) -> web.Response:
    surface = request.app[SURFACE]
    token = request.match_info["token"]
    now = datetime.now(UTC)

    async def work(uow: UnitOfWork, outgoing: Outgoing) -> str:
        confirmed = await confirm_email(uow=uow, token=token, now=now)
        if confirmed.telegram_user_id is None:
            return languages.DEFAULT
        locale = await locale_of(uow, confirmed.telegram_user_id)
        with surface.i18n.context(), surface.i18n.use_locale(locale):
            outgoing.send_to(
                confirmed.telegram_user_id,
                _("✅ Your e-mail address {email} is confirmed.").format(
                    email=escape(confirmed.email)
                ),
            )
        return locale

    try:
        locale = await surface.transaction(work)
    except ConfirmationExpired:
        return _expired(surface, request_locale(request))
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("E-mail address confirmed"),
            body_html="<p>" + escape(_("Thank you. You can close this page.")) + "</p>",
            lang=locale,
        )


def _expired(surface: Surface, locale: str) -> web.Response:
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        return page(
            title=_("Link not valid"),
            body_html="<p>"
            + escape(
                _(
                    "This link was already used or has expired. Change the e-mail address "
                    "again in the chat's profile to get a new one."
                )
            )
            + "</p>",
            lang=locale,
            status=410,
            error=True,
        )
