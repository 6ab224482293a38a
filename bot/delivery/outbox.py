"""The transactional outbox for Bot API calls and e-mails: stored with the update, sent
after commit.

The process that handled an update sends its rows right away (they are leased to it at
insert); the sweeper of any process takes over rows whose lease ran out, such as those of a
process killed between commit and send. Delivery is at least once, and in order per chat for
Bot API calls.

E-mails (kind "email") go their own way: never under a chat's lock, never blocked by a chat's
failed call, and sent in the background so that a slow mail server holds up neither the
update that queued them nor the marking of Telegram messages. Each carries a Message-ID made
from its row id, so a mail sent again after a crash is recognisably the same mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendDocument
from aiogram.types import FSInputFile

from bot.delivery.payloads import from_payload, json_params, scrubbed, to_payload
from bot.delivery.telegram import RETRY_AFTER, Answer, JsonBotApi
from bot.locks import KeyedLocks
from bot.logs import fields
from dialogs.outgoing import Queued, stored_document
from integrations.email import (
    MailPermanentError,
    MailServerUnavailable,
    MailTemporaryError,
)
from storage.database import Database, DatabaseUnavailable
from storage.repositories import NewMessage, Outbox, PendingMessage

log = logging.getLogger(__name__)

TELEGRAM = "telegram"
EMAIL = "email"
PUSH = "push"  # a Bot API call paced by bot/delivery/push.py, never sent by `deliver`
NO_MAILER = "no mailer configured"
# Answers that mean "nothing left to do", not "try again".
_HARMLESS = ("message is not modified", "query is too old")


class Mailer(Protocol):
    """Sends one e-mail. Raises `integrations.email.MailTemporaryError` (retry later, with
    `MailServerUnavailable` when no mail can go now) or `MailPermanentError` (give up); any
    other exception counts as temporary."""

    async def send(
        self, *, to: str, subject: str, text: str, html: str | None = None, message_id: str
    ) -> None: ...


# One row's fate: ("sent" | "failed" | "postponed", error).
_Outcome = tuple[str, str]


class OutboxSender:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        lease: timedelta,
        sweep_every: float = 1.0,
        mailer: Mailer | None = None,
        mail_domain: str = "altum-bot",
        stored_files: Callable[[str], Path | None] | None = None,
    ) -> None:
        self._database = database
        self._bot = bot
        self._lease = lease
        self._sweep_every = sweep_every
        self._mailer = mailer
        self._mail_domain = mail_domain
        self._sent: list[int] = []  # sent, to be marked so in the next batch
        self._chat_locks = KeyedLocks()  # a chat's messages in order
        self._mail_tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        # Rows go out as the JSON they are stored as; through aiogram's models only when the
        # bot is no aiohttp-session Bot (a test's stand-in) or has request middleware of its own.
        self._api = JsonBotApi.for_bot(bot)
        # Where a stored document named by its hash is (`dialogs.outgoing.STORED`).
        self._stored_files = stored_files
        self.on_push: Callable[[], None] | None = None  # told when pushes were committed

    async def queue(self, outbox: Outbox, items: Iterable[Queued]) -> list[PendingMessage]:
        """Store Bot API calls in the caller's transaction. A call's secrets are kept
        readable only until it is sent or given up (see `bot.delivery.payloads.scrubbed`)."""
        items = list(items)
        rows: list[NewMessage] = []
        pushes: list[NewMessage] = []
        for item in items:
            payload = to_payload(item.method)
            scrub = scrubbed(payload, item.secrets) if item.secrets else None
            (pushes if item.push else rows).append(
                NewMessage(item.chat_id, payload, scrub, item.expires_at)
            )
        replies = iter(await outbox.add(kind=TELEGRAM, items=rows, lease=self._lease))
        # Pushes are not leased to us: the push sender of any process claims them at its pace.
        paced = iter(await outbox.add(kind=PUSH, items=pushes, lease=timedelta(0)))
        return [next(paced) if item.push else next(replies) for item in items]  # callers' order

    async def queue_email(
        self,
        outbox: Outbox,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        secrets: tuple[str, ...] = (),
        expires_at: datetime | None = None,
    ) -> list[PendingMessage]:
        """Store an e-mail in the caller's transaction; hand the result to `deliver` after
        commit. `secrets` (a confirmation link's token) are not kept once it is sent, and
        after `expires_at` it is not sent at all."""
        payload = {"to": to, "subject": subject, "text": text, "html": html}
        row = NewMessage(None, payload, scrubbed(payload, secrets), expires_at)
        return await outbox.add(kind=EMAIL, items=[row], lease=self._lease)

    def message_id(self, row_id: int) -> str:
        """The Message-ID of the e-mail in outbox row `row_id`: the same on every attempt."""
        return f"<outbox-{row_id}@{self._mail_domain}>"

    async def deliver(self, rows: list[PendingMessage]) -> None:
        """Send rows this process just committed (still leased to it): Bot API calls now, in
        order; e-mails in the background (see `drain`).

        Never raises: the rows are durable, and whatever is not sent now the sweeper sends.
        """
        if not rows:
            return
        if self.on_push is not None and any(row.kind == PUSH for row in rows):
            self.on_push()  # the push sender sends them at its pace
        rows = [row for row in rows if row.kind != PUSH]
        mails = [row for row in rows if row.kind == EMAIL]
        if mails and not self._closing:  # once closing, the lease runs out and a sweeper sends
            task = asyncio.create_task(self._deliver_in_background(mails))
            self._mail_tasks.add(task)
            task.add_done_callback(self._mail_tasks.discard)
        others = [row for row in rows if row.kind != EMAIL]
        if not others:
            return
        try:
            await self._send(others)
        except Exception:
            log.exception("outbox: immediate delivery failed; the sweeper will retry")

    async def drain(self) -> None:
        """Wait until the e-mails handed to `deliver` have been tried."""
        while self._mail_tasks:
            await asyncio.gather(*self._mail_tasks, return_exceptions=True)

    async def _deliver_in_background(self, rows: list[PendingMessage]) -> None:
        try:
            await self._send(rows)
        except Exception:
            log.exception("outbox: e-mail delivery failed; the sweeper will retry")

    async def sweep_once(self, limit: int = 100) -> int:
        async with self._database.transaction() as session:
            rows = await Outbox(session).claim_due(limit=limit, lease=self._lease)
        if rows:
            log.info("outbox: taking over pending messages", extra=fields(count=len(rows)))
            await self._send(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event, *, mark_every: float = 0.05) -> None:
        """Mark sent messages in batches and sweep, until `stop` is set.

        A sweep runs beside the marking, so that a slow mail server does not hold up marking
        Telegram messages sent (whose lease would otherwise run out, and be sent again)."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        sweeping: asyncio.Task[None] | None = None
        self._closing = False
        try:
            while not stop.is_set():
                try:
                    await self.mark_sent()
                except DatabaseUnavailable:
                    log.warning("outbox: database unavailable, will retry")
                except Exception:
                    log.exception("outbox: marking sent messages failed")
                if loop.time() >= next_sweep and (sweeping is None or sweeping.done()):
                    next_sweep = loop.time() + self._sweep_every
                    sweeping = asyncio.create_task(self._sweep_logged())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=mark_every)
        finally:
            self._closing = True  # e-mails not yet started are left to the lease
            if sweeping is not None:
                with contextlib.suppress(Exception):
                    await sweeping
            await self.drain()
            with contextlib.suppress(Exception):
                await self.mark_sent()

    async def mark_sent(self) -> None:
        """One transaction for everything sent since the last call: on SQLite, whose single
        writer every update waits for, one per message would halve throughput."""
        if not self._sent:
            return
        ids, self._sent = self._sent, []
        try:
            async with self._database.transaction() as session:
                await Outbox(session).mark_sent(ids)
        except Exception:
            self._sent.extend(ids)
            raise

    async def _sweep_logged(self) -> None:
        try:
            await self.sweep_once()
        except DatabaseUnavailable:
            log.warning("outbox: database unavailable, will retry")
        except Exception:
            log.exception("outbox: sweep failed")

    async def _send(self, rows: list[PendingMessage]) -> None:
        """Send rows of any kind (Bot API calls and e-mails side by side), then record what
        failed or has to wait in one transaction; what was sent is marked in the next batch."""
        telegram = [row for row in rows if row.kind == TELEGRAM]
        mails = [row for row in rows if row.kind == EMAIL]
        outcomes: dict[int, _Outcome] = {
            # A kind this version does not know: keep it for one that does.
            row.id: ("postponed", f"unknown kind {row.kind!r}")
            for row in rows
            if row.kind not in (TELEGRAM, EMAIL)
        }
        for part in await asyncio.gather(self._send_telegram(telegram), self._send_mails(mails)):
            outcomes.update(part)
        attempts = {row.id: row.attempts for row in rows}
        self._sent.extend(row_id for row_id, (outcome, _) in outcomes.items() if outcome == "sent")
        failed = [
            (row_id, error) for row_id, (outcome, error) in outcomes.items() if outcome == "failed"
        ]
        postponed = [
            (row_id, error, attempts[row_id])
            for row_id, (outcome, error) in outcomes.items()
            if outcome == "postponed"
        ]
        if not failed and not postponed:
            return
        async with self._database.transaction() as session:
            outbox = Outbox(session)
            for message_id, error in failed:
                await outbox.mark_failed(message_id, error)
            for message_id, error, tries in postponed:
                await outbox.retry_later(message_id, error, self.backoff(tries))

    @staticmethod
    def backoff(attempts: int) -> timedelta:
        """How long a row that failed `attempts` times before waits after one more failure."""
        return timedelta(seconds=min(300, 2 ** min(attempts, 8)))

    async def _send_telegram(self, rows: list[PendingMessage]) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}
        blocked_chats: set[int | None] = set()
        for row in rows:
            if row.chat_id in blocked_chats:
                continue  # keep the chat's order: the rest waits for the one that failed
            async with self._chat_locks.hold(row.chat_id):
                outcome, error = await self._send_one(row)
            outcomes[row.id] = (outcome, error)
            if outcome == "postponed":
                blocked_chats.add(row.chat_id)
        return outcomes

    async def _send_mails(self, rows: list[PendingMessage]) -> dict[int, _Outcome]:
        """One after another; once the server is unavailable, the rest wait as well. Never
        starts a send past half the lease, nor once closing: those rows stay leased, and a
        sweeper takes them over when the lease runs out (so no other process sends them while
        we still might)."""
        if not rows:
            return {}
        if self._mailer is None:
            log.warning("outbox: e-mails wait, no mailer configured", extra=fields(count=len(rows)))
            return {row.id: ("postponed", NO_MAILER) for row in rows}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lease.total_seconds() / 2
        outcomes: dict[int, _Outcome] = {}
        unavailable = ""
        for row in rows:
            if unavailable:
                outcomes[row.id] = ("postponed", unavailable)
                continue
            if self._closing or loop.time() > deadline:
                break
            try:
                outcomes[row.id] = await self._send_mail(self._mailer, row)
            except MailServerUnavailable as exc:
                unavailable = str(exc) or type(exc).__name__
                outcomes[row.id] = ("postponed", unavailable)
        return outcomes

    async def _send_mail(self, mailer: Mailer, row: PendingMessage) -> _Outcome:
        payload = row.payload
        try:
            to, subject, text = payload["to"], payload["subject"], payload["text"]
            html = payload.get("html")
        except (KeyError, TypeError):
            log.error("outbox: malformed e-mail row", extra=fields(id=row.id))
            return "failed", "malformed e-mail payload"
        try:
            await mailer.send(
                to=to, subject=subject, text=text, html=html, message_id=self.message_id(row.id)
            )
        except MailServerUnavailable:
            log.warning("outbox: mail server unavailable, will retry", extra=fields(id=row.id))
            raise
        except MailTemporaryError as exc:
            log.warning("outbox: e-mail will be retried", extra=fields(id=row.id, error=str(exc)))
            return "postponed", str(exc) or type(exc).__name__
        except MailPermanentError as exc:
            log.error("outbox: e-mail refused", extra=fields(id=row.id, error=str(exc)))
            return "failed", str(exc) or type(exc).__name__
        except Exception as exc:
            log.exception("outbox: e-mail failed unexpectedly, will retry", extra=fields(id=row.id))
            return "postponed", type(exc).__name__
        return "sent", ""

    async def _send_one(self, row: PendingMessage) -> _Outcome:
        if stored_document(row.payload) is not None:
            return self._outcome(row, await self._send_stored(row))
        params = None if self._api is None else json_params(self._bot, row.payload)
        if self._api is None or params is None:
            answer = await self._send_with_aiogram(row)
        else:
            answer = await self._api.call(row.payload["method"], params)
        return self._outcome(row, answer)

    async def _send_with_aiogram(self, row: PendingMessage) -> Answer:
        return await self.send_with_aiogram(row.payload)

    async def send_with_aiogram(self, payload: dict[str, Any]) -> Answer:
        """Through aiogram's models, session and request middlewares (`RetryRequests`)."""
        method = from_payload(payload)
        try:
            await self._bot(method)
        except TelegramBadRequest as exc:
            return Answer(ok=False, status=400, description=exc.message)
        except TelegramForbiddenError as exc:
            return Answer(ok=False, status=403, description=exc.message)
        except TelegramRetryAfter as exc:
            return Answer(
                ok=False, transient=RETRY_AFTER, parameters={"retry_after": exc.retry_after}
            )
        except (TelegramServerError, TelegramNetworkError) as exc:
            return Answer(ok=False, transient=type(exc).__name__)
        except TelegramAPIError as exc:
            return Answer(ok=False, description=exc.message)
        return Answer(ok=True)

    async def send_stored(self, row: PendingMessage) -> Answer:
        """For the push sender too: a stored document's row, uploaded from the store."""
        return await self._send_stored(row)

    async def _send_stored(self, row: PendingMessage) -> Answer:
        """A document from the file store: uploaded from disk (a row holds only its hash)."""
        reference = stored_document(row.payload)
        assert reference is not None
        sha256, name = reference
        path = self._stored_files(sha256) if self._stored_files is not None else None
        if path is None or not path.exists():
            log.error("outbox: a stored document is missing", extra=fields(id=row.id))
            return Answer(ok=False, description="stored document missing")
        method = from_payload(row.payload)
        assert isinstance(method, SendDocument)
        method.document = FSInputFile(path, filename=name)
        try:
            await self._bot(method)
        except TelegramBadRequest as exc:
            return Answer(ok=False, status=400, description=exc.message)
        except TelegramForbiddenError as exc:
            return Answer(ok=False, status=403, description=exc.message)
        except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError) as exc:
            return Answer(ok=False, transient=type(exc).__name__)
        except TelegramAPIError as exc:
            return Answer(ok=False, description=exc.message)
        return Answer(ok=True)

    @staticmethod
    def outcome(row: PendingMessage, answer: Answer) -> _Outcome:
        """What an answer means for a row: sent, failed for good, or postponed."""
        return OutboxSender._outcome(row, answer)

    @staticmethod
    def _outcome(row: PendingMessage, answer: Answer) -> _Outcome:
        if answer.ok:
            return "sent", ""
        if answer.transient:  # what the retry policy could not wait out
            log.warning("outbox: will retry", extra=fields(id=row.id, error=answer.transient))
            return "postponed", answer.transient
        description = answer.description
        moved = "migrate_to_chat_id" in answer.parameters  # for aiogram no TelegramBadRequest
        if answer.status == HTTPStatus.BAD_REQUEST and not moved:
            if any(text in description for text in _HARMLESS):
                return "sent", ""
            log.error(
                "outbox: Telegram refused a call",
                extra=fields(id=row.id, method=row.payload["method"], error=description),
            )
            return "failed", description
        if answer.status == HTTPStatus.FORBIDDEN:
            log.info("outbox: user blocked the bot", extra=fields(id=row.id))
        return "failed", description
