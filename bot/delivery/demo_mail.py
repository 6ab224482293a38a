"""The demo's mailbox: e-mails the demo bot sends land here and on a web page
(`/demo/mail`, `bot.ops.demo_pages`), so a newcomer can open the confirmation link without an
SMTP server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


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
