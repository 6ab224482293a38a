"""What the web pages share: the person's locale and the error page."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from dialogs import login as login_texts
from portal import languages
from portal.identity import Refusal
from portal.ports import UnitOfWork
from web.pages import page
from web.surface import Surface


def fields(**values: Any) -> dict[str, Any]:
    """`log.info("…", extra=fields(provider="oidc"))`: structured fields, which the runtime's
    log handler shows and redacts as it does its own."""
    return {"fields": values}


async def locale_of(uow: UnitOfWork, telegram_user_id: int) -> str:
    account = await uow.accounts.get(telegram_user_id)
    return account.locale if account else languages.DEFAULT


def request_locale(request: web.Request) -> str:
    """The browser's preferred language of ours (Accept-Language), else Latvian: for pages
    shown before we know whose they are."""
    best, best_q = languages.DEFAULT, 0.0
    for item in request.headers.get("Accept-Language", "").split(","):
        tag, _sep, params = item.strip().partition(";")
        code = languages.normalize(tag.strip())
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if code is not None and q > best_q:
            best, best_q = code, q
    return best


def error_page(surface: Surface, locale: str, refusal: Refusal, status: int = 400) -> web.Response:
    """A login step that failed; shown inside the Mini App, so Telegram may frame it."""
    with surface.i18n.context(), surface.i18n.use_locale(locale):
        closing = _("You can close this page.")  # not inside the f-string: Babel skips those
        return page(
            title=_("Logging in failed"),
            body_html=f"<p>{escape(login_texts.refusal_text(refusal, surface.limits))}</p>"
            f'<p class="muted">{escape(closing)}</p>',
            lang=locale,
            status=status,
            error=True,
            frame_ancestors=surface.frame_ancestors,
        )
