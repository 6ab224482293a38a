"""E-mails through the transactional outbox, against a real SMTP server and real databases."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from smtp_support import SmtpCapture, links_in
from sqlalchemy import select, update

from bot.delivery.outbox import NO_MAILER, OutboxSender
from dialogs.outgoing import Queued
from integrations.email import (
    MailPermanentError,
    MailServerUnavailable,
    MailTemporaryError,
    SmtpMailer,
)
from storage.database import Database
from storage.models import OutboxMessage
from storage.repositories import Outbox, PendingMessage, utcnow

LEASE = timedelta(seconds=60)
SENDER = "ALTUM <noreply@altum.lv>"
SUBJECT = "Apstipriniet e-pasta adresi — ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž"
TEXT = (
    "Labdien, Jānis Bērziņš!\n\n"
    "Lai apstiprinātu e-pasta adresi, atveriet saiti:\n"
    "https://mans.altum.lv/apstiprinat?token=šķēle-123.\n\n"
    "Ar cieņu, ALTUM"
)
HTML = "<p>Labdien, Jānis Bērziņš! <a href='https://mans.altum.lv/'>Apstiprināt</a></p>"


class RecordingBot:
    """Stands in for aiogram's Bot: records the Bot API calls it is asked to make."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def __call__(self, method: Any) -> bool:
        self.calls.append(method)
        return True


@dataclass
class Harness:
    database: Database
    smtp: SmtpCapture
    bot: RecordingBot

    def mailer(self, **overrides: Any) -> SmtpMailer:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.smtp.port,
            "sender": SENDER,
            "tls": "none",
            "timeout": 5,
        }
        return SmtpMailer(**(options | overrides))

    def sender(self, database: Database | None = None, **options: Any) -> OutboxSender:
        mailer = self.mailer()
        options.setdefault("mailer", mailer)
        return OutboxSender(
            database or self.database,
            self.bot,  # type: ignore[arg-type]
            lease=LEASE,
            mail_domain=mailer.domain,
            **options,
        )

    async def queue(
        self, sender: OutboxSender, *, to: str = "anna@example.lv", count: int = 1
    ) -> list[PendingMessage]:
        rows: list[PendingMessage] = []
        async with self.database.transaction() as session:
            for n in range(count):
                rows += await sender.queue_email(
                    Outbox(session),
                    to=to,
                    subject=f"{SUBJECT} {n}" if count > 1 else SUBJECT,
                    text=TEXT,
                    html=HTML,
                )
        return rows

    async def rows(self) -> list[OutboxMessage]:
        async with self.database.transaction() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def row(self, row_id: int) -> OutboxMessage:
        [row] = [row for row in await self.rows() if row.id == row_id]
        return row

    async def let_leases_run_out(self) -> None:
        """What waiting out a backoff or a lease would do, without the wait."""
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    database = Database(database_url)
    try:
        async with SmtpCapture() as smtp:
            yield Harness(database, smtp, RecordingBot())
    finally:
        await database.dispose()


def aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_a_committed_email_is_delivered_intact(harness: Harness) -> None:
    sender = harness.sender()
    [queued] = await harness.queue(sender, to="Jānis Bērziņš <janis@example.lv>")
    assert queued.kind == "email" and queued.chat_id is None
    await sender.deliver([queued])
    [message] = await harness.smtp.wait_for(1)
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == "Jānis Bērziņš <janis@example.lv>"
    assert message["Message-ID"] == f"<outbox-{queued.id}@altum.lv>"
    assert message["Date"] is not None
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().rstrip("\n") == TEXT
    assert html.get_content().rstrip("\n") == HTML
    assert links_in(message) == ["https://mans.altum.lv/apstiprinat?token=šķēle-123"]
    assert harness.smtp.envelopes == [("noreply@altum.lv", ["janis@example.lv"])]

    await sender.drain()
    await sender.mark_sent()
    [row] = await harness.rows()
    assert row.sent_at is not None and row.failed_at is None and row.attempts == 0
    assert harness.bot.calls == []


async def test_an_email_sent_again_after_a_crash_has_the_same_message_id(
    harness: Harness,
) -> None:
    crashed = harness.sender()
    [queued] = await harness.queue(crashed)
    await crashed.deliver([queued])
    await crashed.drain()
    # …and the process dies before marking it sent. Its lease runs out; another takes over.
    await harness.let_leases_run_out()
    survivor = harness.sender()
    assert await survivor.sweep_once() == 1
    first, second = await harness.smtp.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"] == f"<outbox-{queued.id}@altum.lv>"
    await survivor.mark_sent()
    assert (await harness.row(queued.id)).sent_at is not None


async def test_while_smtp_is_down_the_email_waits_and_is_then_sent_exactly_once(
    harness: Harness,
) -> None:
    await harness.smtp.stop()
    sender = harness.sender(sweep_every=0.05)
    [queued] = await harness.queue(sender)
    await sender.deliver([queued])
    await sender.drain()
    row = await harness.row(queued.id)
    assert row.sent_at is None and row.failed_at is None
    assert row.attempts == 1
    assert "SMTPConnectError" in (row.last_error or "")
    assert aware(row.locked_until) > utcnow()  # backoff: not before its time
    assert await sender.sweep_once() == 0

    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 1  # still down: one more attempt, nothing lost
    row = await harness.row(queued.id)
    assert row.attempts == 2 and row.sent_at is None and row.failed_at is None

    await harness.smtp.start()
    await harness.let_leases_run_out()
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    try:
        [message] = await harness.smtp.wait_for(1)
        await asyncio.sleep(0.5)  # several more sweeps
    finally:
        stop.set()
        await running
    assert message["Message-ID"] == f"<outbox-{queued.id}@altum.lv>"
    assert len(harness.smtp.messages) == 1
    row = await harness.row(queued.id)
    assert row.sent_at is not None and row.attempts == 2


async def test_an_unknown_recipient_fails_the_email_for_good(harness: Harness) -> None:
    harness.smtp.reject("nobody@example.lv")
    sender = harness.sender()
    [queued] = await harness.queue(sender, to="nobody@example.lv")
    await sender.deliver([queued])
    await sender.drain()
    row = await harness.row(queued.id)
    assert row.failed_at is not None and row.sent_at is None
    assert "550" in (row.last_error or "") and "User unknown" in (row.last_error or "")
    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 0  # not retried
    assert harness.smtp.messages == []


async def test_a_malformed_address_fails_without_troubling_the_server(harness: Harness) -> None:
    sender = harness.sender()
    [queued] = await harness.queue(sender, to="anna.example.lv")
    await sender.deliver([queued])
    await sender.drain()
    row = await harness.row(queued.id)
    assert row.failed_at is not None and "malformed" in (row.last_error or "")
    assert harness.smtp.envelopes == []


@pytest.mark.parametrize("at", ["RCPT", "DATA"])
async def test_a_temporary_refusal_is_retried_after_the_backoff(harness: Harness, at: str) -> None:
    harness.smtp.refuse_next(1, code=451, at=at)  # type: ignore[arg-type]
    sender = harness.sender()
    [queued] = await harness.queue(sender)
    await sender.deliver([queued])
    await sender.drain()
    row = await harness.row(queued.id)
    assert row.attempts == 1 and row.sent_at is None and row.failed_at is None
    assert "451" in (row.last_error or "")
    assert await sender.sweep_once() == 0  # backing off

    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 1
    [message] = await harness.smtp.wait_for(1)
    assert message["Subject"] == SUBJECT
    await sender.mark_sent()
    assert (await harness.row(queued.id)).sent_at is not None
    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 0
    assert len(harness.smtp.messages) == 1


async def test_without_a_mailer_emails_wait_and_are_never_dropped(harness: Harness) -> None:
    sender = harness.sender(mailer=None)
    [queued] = await harness.queue(sender)
    await sender.deliver([queued])
    await sender.drain()
    row = await harness.row(queued.id)
    assert row.last_error == NO_MAILER and row.attempts == 1
    assert row.failed_at is None and row.sent_at is None

    # A process that has a mailer sends it.
    await harness.let_leases_run_out()
    configured = harness.sender()
    assert await configured.sweep_once() == 1
    await harness.smtp.wait_for(1)


async def test_when_the_server_is_down_the_rest_of_a_batch_waits_without_trying(
    harness: Harness,
) -> None:
    await harness.smtp.stop()
    sender = harness.sender()
    queued = await harness.queue(sender, count=3)
    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 3
    rows = await harness.rows()
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert all("SMTPConnectError" in (row.last_error or "") for row in rows)
    await harness.smtp.start()
    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 3
    messages = await harness.smtp.wait_for(3)
    assert sorted(m["Message-ID"] for m in messages) == sorted(
        f"<outbox-{row.id}@altum.lv>" for row in queued
    )


async def test_a_hanging_mail_server_delays_no_telegram_message(harness: Harness) -> None:
    """The server accepts the connection and never says a word: the reply to the chat goes out
    at once, and the update that queued both is not held up."""
    silent: list[asyncio.StreamWriter] = []

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        sender = harness.sender(mailer=harness.mailer(port=port, timeout=1.5))
        from aiogram.methods import SendMessage

        async with harness.database.transaction() as session:
            outbox = Outbox(session)
            rows = await sender.queue_email(outbox, to="anna@example.lv", subject="S", text="T")
            rows += await sender.queue(outbox, [Queued(7, SendMessage(chat_id=7, text="Labdien"))])
        loop = asyncio.get_running_loop()
        started = loop.time()
        await sender.deliver(rows)
        assert loop.time() - started < 0.5
        assert [call.text for call in harness.bot.calls] == ["Labdien"]
        await sender.drain()  # the e-mail waits for its timeout, alone
        assert loop.time() - started >= 1.4
        await sender.mark_sent()
        mail, reply = await harness.rows()
        assert reply.sent_at is not None
        assert mail.sent_at is None and mail.attempts == 1
        assert "Timeout" in (mail.last_error or "")
    finally:
        for writer in silent:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_failing_email_does_not_block_the_chat_it_concerns(harness: Harness) -> None:
    """E-mails take no chat lock and no chat's turn: a refused one leaves Telegram alone."""
    harness.smtp.refuse_next(1)
    sender = harness.sender()
    from aiogram.methods import SendMessage

    async with harness.database.transaction() as session:
        outbox = Outbox(session)
        rows = await sender.queue_email(outbox, to="anna@example.lv", subject="S", text="T")
        rows += await sender.queue(outbox, [Queued(None, SendMessage(chat_id=7, text="Gatavs"))])
    await harness.let_leases_run_out()
    assert await sender.sweep_once() == 2
    assert [call.text for call in harness.bot.calls] == ["Gatavs"]
    await sender.mark_sent()
    mail, reply = await harness.rows()
    assert reply.sent_at is not None and mail.attempts == 1


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_sweepers_racing_deliver_each_email_once(harness: Harness) -> None:
    """Two processes' sweepers take over the same abandoned e-mails at the same moment."""
    first_database = Database(harness.database.engine.url.render_as_string(False))
    second_database = Database(harness.database.engine.url.render_as_string(False))
    try:
        first = harness.sender(first_database)
        second = harness.sender(second_database)
        queued = await harness.queue(first, count=20)
        await harness.let_leases_run_out()
        claimed = await asyncio.gather(first.sweep_once(limit=15), second.sweep_once(limit=15))
        assert sum(claimed) == 20
        await harness.let_leases_run_out()  # even once the leases ran out again…
        await first.mark_sent()
        await second.mark_sent()
        assert list(await asyncio.gather(first.sweep_once(), second.sweep_once())) == [0, 0]
        messages = await harness.smtp.wait_for(20)
        await asyncio.sleep(0.2)
        assert len(harness.smtp.messages) == 20
        assert sorted(m["Message-ID"] for m in messages) == sorted(
            f"<outbox-{row.id}@altum.lv>" for row in queued
        )
        assert all(row.sent_at is not None for row in await harness.rows())
    finally:
        await first_database.dispose()
        await second_database.dispose()


# The mailer alone


async def test_the_mailer_sorts_failures() -> None:
    async with SmtpCapture() as smtp:
        await _sort_failures(smtp)


async def _sort_failures(smtp: SmtpCapture) -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=smtp.port, sender=SENDER, tls="none", timeout=5)
    smtp.reject("nobody@example.lv")
    with pytest.raises(MailPermanentError, match="550"):
        await mailer.send(to="nobody@example.lv", subject="S", text="T", message_id="<a@b.lv>")
    with pytest.raises(MailPermanentError, match="malformed"):
        await mailer.send(to="a@b.lv\r\nBcc: x@y.lv", subject="S", text="T", message_id="<a@b>")
    smtp.refuse_next(1, code=452, at="DATA")
    with pytest.raises(MailTemporaryError, match="452") as temporary:
        await mailer.send(to="anna@example.lv", subject="S", text="T", message_id="<a@b.lv>")
    assert not isinstance(temporary.value, MailServerUnavailable)
    await smtp.stop()
    with pytest.raises(MailServerUnavailable):
        await mailer.send(to="anna@example.lv", subject="S", text="T", message_id="<a@b.lv>")
    assert smtp.messages == []


async def test_the_mailer_logs_in_and_never_logs_the_password_or_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with SmtpCapture(credentials=("bot@altum.lv", "s3cret-Pa55")) as smtp:
        good = SmtpMailer(
            host="127.0.0.1",
            port=smtp.port,
            username="bot@altum.lv",
            password="s3cret-Pa55",
            sender=SENDER,
            tls="none",
            timeout=5,
        )
        await good.send(to="anna@example.lv", subject=SUBJECT, text=TEXT, message_id="<1@a.lv>")
        assert smtp.logins == ["bot@altum.lv"]
        bad = SmtpMailer(
            host="127.0.0.1",
            port=smtp.port,
            username="bot@altum.lv",
            password="wr0ng-Pa55",
            sender=SENDER,
            tls="none",
            timeout=5,
        )
        with pytest.raises(MailServerUnavailable, match="535"):
            await bad.send(to="anna@example.lv", subject="S", text=TEXT, message_id="<2@a.lv>")
        assert "Pa55" not in repr(good) + repr(bad)
    ours = [record for record in caplog.records if not record.name.startswith("mail.log")]
    logged = "".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    assert "Pa55" not in logged
    assert "token=" not in logged
