"""A real SMTP server for tests (aiosmtpd), in the test's own event loop.

    async with SmtpCapture() as smtp:
        mailer = SmtpMailer(host="127.0.0.1", port=smtp.port, ...)
        ...
        [message] = await smtp.wait_for(1)
        links_in(message)

`refuse_next` answers the next commands with a temporary error, `reject` refuses an address
for good, `stop`/`start` take the server down and bring it back on the same port.
"""

from __future__ import annotations

import asyncio
import re
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def links_in(message: EmailMessage) -> list[str]:
    """The URLs in the plain-text part of `message`, in order."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return []
    assert isinstance(part, EmailMessage)
    return [url.rstrip(".,;:!?") for url in _URL.findall(part.get_content())]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpCapture:
    """Accepts and keeps every message; `.messages` are parsed, `.envelopes` are
    `(mail_from, rcpt_tos)` of each."""

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._credentials = credentials
        self._refusals: list[tuple[str, int]] = []  # (command, code), next first
        self._rejected: set[str] = set()
        self._server: asyncio.Server | None = None
        self._sessions: set[SMTP] = set()
        self._arrived = asyncio.Event()

    async def __aenter__(self) -> SmtpCapture:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen (again) on `.port`."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._session, host="127.0.0.1", port=self.port, reuse_address=True
        )

    async def stop(self) -> None:
        """Stop listening and cut every open connection: the server is down."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        self._sessions.clear()
        await server.wait_closed()

    def refuse_next(
        self, n: int = 1, code: int = 451, *, at: Literal["RCPT", "DATA"] = "RCPT"
    ) -> None:
        """Answer the next `n` RCPT (or DATA) commands with `code` (451: try again later)."""
        self._refusals.extend([(at, code)] * n)

    def reject(self, address: str) -> None:
        """Refuse mail for `address` for good (550 5.1.1, an unknown mailbox)."""
        self._rejected.add(address.lower())

    async def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; return all of them."""
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.messages)

    # aiosmtpd

    def _session(self) -> SMTP:
        options: dict[str, Any] = {}
        if self._credentials is not None:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        session = SMTP(self, hostname="smtp.test", enable_SMTPUTF8=True, **options)
        self._sessions.add(session)
        return session

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self._credentials == (
            data.login.decode(),
            data.password.decode(),
        ):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def _refusal(self, command: str) -> str | None:
        if self._refusals and self._refusals[0][0] == command:
            _, code = self._refusals.pop(0)
            return f"{code} 4.3.0 Try again later" if code < 500 else f"{code} 5.0.0 Refused"
        return None

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._refusal("RCPT")
        if refusal is not None:
            return refusal
        if address.lower() in self._rejected:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._refusal("DATA")
        if refusal is not None:
            return refusal
        # On the wire lines end in CRLF; parsed content reads as Python text does.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        self.messages.append(message)
        self._arrived.set()
        return "250 2.0.0 Message accepted for delivery"
