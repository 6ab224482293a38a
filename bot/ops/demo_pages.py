"""Demo-only pages, standing in for others' in `altum-bot demo`: the demo identity provider's
"log in as" (Latvija.lv's login in real life) and the mailbox (a mail client's)."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlencode

from aiohttp import web

from bot.delivery.demo_mail import DemoMailbox
from bot.transport.webhook import APP_KEY
from integrations.identity.demo import AUTHORIZE_PATH, DEMO_PEOPLE, PEOPLE
from web.login import CALLBACK_PATH
from web.pages import form, page
from web.surface import SURFACE

_URL = re.compile(r"https?://\S+")


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
        frame_ancestors=request.app[SURFACE].frame_ancestors,  # in the Mini App
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


def mailbox_page(mailbox: DemoMailbox) -> web.Response:
    items = "".join(
        f'<li><p><b>{escape(mail.subject)}</b><br><span class="muted">'
        f"{escape(mail.to)} · {mail.sent_at:%H:%M:%S}</span></p>"
        f"<p>{_linkify(mail.text)}</p></li>"
        for mail in reversed(mailbox.mails)
    )
    return page(
        title="Demo mailbox",
        body_html=(
            "<p>E-mails the demo bot sent (newest first). Reload after registering.</p>"
            + (f"<ul>{items}</ul>" if items else "<p>No e-mails yet.</p>")
        ),
        lang="en",
    )


def _linkify(text: str) -> str:
    parts, last = [], 0
    for match in _URL.finditer(text):
        parts.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")
