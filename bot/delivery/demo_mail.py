"""The demo's mailbox: e-mails the demo bot sends land here and on a web page
(`/demo/mail`), so a newcomer can open the confirmation link without an SMTP server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from aiohttp import web

from bot.pages import page

_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class DemoMail:
    to: str
    subject: str
    text: str
    sent_at: datetime


@dataclass
class DemoMailbox:
    """A `bot.delivery.outbox.Mailer` that keeps the newest mails in memory."""

    keep: int = 50
    mails: list[DemoMail] = field(default_factory=list)
    domain: str = "altum-demo.invalid"

    async def send(
        self, *, to: str, subject: str, text: str, html: str | None = None, message_id: str
    ) -> None:
        self.mails.append(DemoMail(to=to, subject=subject, text=text, sent_at=datetime.now(UTC)))
        del self.mails[: -self.keep]


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
