"""E-mail over SMTP: one message per call, each failure sorted as temporary or permanent.

A temporary failure (the server is down, slow, or answers 4xx) is worth retrying later; a
permanent one (5xx for this message: unknown recipient, malformed address, rejected content)
is not. Failures that concern every message alike — no connection, a refused login, a refused
sender address — are `MailServerUnavailable`, a temporary failure: the configuration or the
server is at fault, not the message, which must wait rather than be given up.

Neither the password nor the body is ever logged: bodies carry confirmation links.
"""

from __future__ import annotations

import logging
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal

import aiosmtplib

log = logging.getLogger(__name__)

TlsMode = Literal["none", "starttls", "ssl"]
_SERVICE_CLOSING = 421


class MailError(Exception):
    """A message was not accepted by the SMTP server."""


class MailTemporaryError(MailError):
    """Try again later: the same message may well be accepted then."""


class MailServerUnavailable(MailTemporaryError):
    """No message can be sent now (no connection, timeout, login or sender refused): there is
    no point trying the next message right away either."""


class MailPermanentError(MailError):
    """The server refused this message for good (5xx): sending it again will not help."""


def address_domain(address: str, default: str = "altum-bot") -> str:
    """The domain of an address such as `ALTUM <noreply@altum.lv>`, for Message-IDs."""
    _, addr = parseaddr(address)
    domain = addr.rpartition("@")[2].strip().strip(">").lower()
    return domain or default


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    date: datetime | None = None,
) -> EmailMessage:
    """A UTF-8 message: plain text, with an HTML alternative when given.

    Raises `MailPermanentError` for an address or header that cannot be sent.
    """
    message = EmailMessage()
    try:
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = date or datetime.now(UTC)
        message["Message-ID"] = message_id
        recipients = message["To"].addresses
    except (ValueError, TypeError, IndexError) as exc:
        raise MailPermanentError(f"malformed header: {exc}") from exc
    if len(recipients) != 1 or not _is_complete(recipients[0]):
        raise MailPermanentError("malformed recipient address")
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _is_complete(address: Address) -> bool:
    return bool(address.username) and "." in address.domain and " " not in address.addr_spec


class SmtpMailer:
    """Sends each message over a fresh SMTP connection (TLS as configured)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        sender: str,
        tls: TlsMode,
        timeout: float,
    ) -> None:
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._sender = sender
        self._tls: TlsMode = tls
        self._timeout = timeout

    @property
    def sender(self) -> str:
        return self._sender

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of the Message-IDs we make up."""
        return address_domain(self._sender)

    def __repr__(self) -> str:  # never the password
        return (
            f"SmtpMailer(host={self._host!r}, port={self._port}, tls={self._tls!r}, "
            f"username={self._username!r}, sender={self._sender!r})"
        )

    async def send(
        self, *, to: str, subject: str, text: str, html: str | None = None, message_id: str
    ) -> None:
        message = build_message(
            sender=self._sender,
            to=to,
            subject=subject,
            text=text,
            html=html,
            message_id=message_id,
        )
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username or None,
            password=(self._password or None) if self._username else None,
            timeout=self._timeout,
            use_tls=self._tls == "ssl",
            start_tls=self._tls == "starttls",
        )
        try:
            await client.connect()
        except Exception as exc:
            raise _connect_failure(exc) from None
        try:
            await client.send_message(message)
        except Exception as exc:
            client.close()
            raise _send_failure(exc) from None
        try:
            await client.quit()
        except Exception:  # noqa: S110 - accepted already: a failed QUIT changes nothing
            pass
        finally:
            client.close()
        log.info("mail accepted", extra={"fields": {"message_id": message_id}})


def _connect_failure(exc: Exception) -> MailError:
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        description = f"login refused: {exc.code} {exc.message}"
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        description = f"{exc.code} {exc.message}"
    elif isinstance(exc, ssl.SSLError | aiosmtplib.SMTPException | OSError | TimeoutError):
        description = f"{type(exc).__name__}: {exc}"
    else:
        raise exc
    log.warning("mail server unavailable", extra={"fields": {"error": description}})
    return MailServerUnavailable(description)


def _send_failure(exc: Exception) -> MailError:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0]
        return _by_code(refused.code, f"recipient refused: {refused.code} {refused.message}")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        if exc.code == _SERVICE_CLOSING or exc.code < 500:
            return MailTemporaryError(f"sender refused: {exc.code} {exc.message}")
        description = f"sender address refused: {exc.code} {exc.message}"
        log.error("mail server refuses our sender", extra={"fields": {"error": description}})
        return MailServerUnavailable(description)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code == _SERVICE_CLOSING:
            return MailServerUnavailable(f"{exc.code} {exc.message}")
        return _by_code(exc.code, f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # An address the server cannot take (non-ASCII without SMTPUTF8).
        return MailPermanentError(str(exc))
    if isinstance(exc, ValueError):
        return MailPermanentError(f"cannot be sent: {exc}")
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return MailServerUnavailable(f"{type(exc).__name__}: {exc}")
    raise exc


def _by_code(code: int, description: str) -> MailError:
    if 400 <= code < 500:
        return MailTemporaryError(description)
    if code >= 500:
        return MailPermanentError(description)
    return MailTemporaryError(description)
