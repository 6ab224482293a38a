"""What the web pages share: one transaction whose chat messages go out after commit, the
person's locale, and the error page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import TypeVar

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.app import App
from dialogs import login as login_texts
from dialogs.outgoing import Outgoing
from portal import languages
from portal.identity import Refusal
from storage.repositories import PendingMessage, SqlUnitOfWork
from web.miniapp import frame_ancestors
from web.pages import page

T = TypeVar("T")


async def in_transaction(app: App, work: Callable[[SqlUnitOfWork, Outgoing], Awaitable[T]]) -> T:
    """Run `work` in one transaction; the chat messages it queues are sent after commit."""
    outgoing = Outgoing(chat_id=None)
    rows: list[PendingMessage] = []
    async with app.database.transaction() as session:
        uow = SqlUnitOfWork(session)
        result = await work(uow, outgoing)
        if outgoing.queued:
            rows = await app.sender.queue(uow.outbox, outgoing.queued)
    await app.sender.deliver(rows)
    return result


async def locale_of(uow: SqlUnitOfWork, telegram_user_id: int) -> str:
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


def error_page(app: App, locale: str, refusal: Refusal, status: int = 400) -> web.Response:
    """A login step that failed; shown inside the Mini App, so Telegram may frame it."""
    with app.i18n.context(), app.i18n.use_locale(locale):
        closing = _("You can close this page.")  # not inside the f-string: Babel skips those
        return page(
            title=_("Logging in failed"),
            body_html=f"<p>{escape(login_texts.refusal_text(refusal))}</p>"
            f'<p class="muted">{escape(closing)}</p>',
            lang=locale,
            status=status,
            error=True,
            frame_ancestors=frame_ancestors(app.settings),
        )
