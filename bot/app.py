"""The app factory: one place where settings, database, Bot, Dispatcher and dialogs meet."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation
from aiogram.types import BotCommandScopeDefault, Update
from aiogram.utils.i18n import I18n

from bot.delivery.demo_mail import DemoMailbox
from bot.delivery.outbox import OutboxSender
from bot.delivery.push import PushSender
from bot.delivery.reminders import ReminderScheduler
from bot.delivery.telegram import create_bot
from bot.engine.fsm import SqlStorage
from bot.engine.group_commit import GroupCommit
from bot.engine.intake import Intake, Verdict
from bot.engine.isolation import LocalEventIsolation
from bot.engine.prefetch import FilePrefetch
from bot.engine.processing import UpdateTransaction
from bot.engine.quarantine import QuarantineDesk
from bot.guide import user_guide
from bot.i18n import AccountI18nMiddleware, create_i18n
from bot.identity import create_identity_provider
from bot.metrics import Metrics
from bot.settings import Settings
from dialogs.commands import bot_commands
from dialogs.routers import root_router
from dialogs.sections import DialogSettings
from dialogs.uploads import FileDesk
from integrations.email import SmtpMailer
from integrations.files import ContentStore, FileInspector, PhotoPdfBinder
from integrations.forms import load_forms
from integrations.pdf import FpdfWriter
from portal import languages
from portal.ports import IdentityProvider
from storage.database import Database
from storage.push import Pace

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    database: Database
    bot: Bot
    dispatcher: Dispatcher
    sender: OutboxSender
    i18n: I18n
    isolation: BaseEventIsolation
    identity: IdentityProvider
    mailer: SmtpMailer | DemoMailbox
    batches: GroupCommit
    metrics: Metrics
    concurrency: asyncio.Semaphore = field(init=False)
    intake: Intake = field(init=False)
    pushes: PushSender = field(init=False)
    reminders: ReminderScheduler = field(init=False)

    def __post_init__(self) -> None:
        self.concurrency = asyncio.Semaphore(self.settings.handler_concurrency)
        # Every push (notices, reminders) goes through one paced sender (bot/delivery/push.py).
        self.pushes = PushSender(
            self.database,
            self.bot,
            self.sender,
            pace=Pace(
                rate=self.settings.push_rate_per_second,
                lease=timedelta(seconds=self.settings.outbox_lease_seconds),
            ),
        )
        self.sender.on_push = self.pushes.wake
        self.reminders = ReminderScheduler(
            self.database,
            self.sender,
            self.i18n,
            policy=self.settings.reminder_policy,
            every=self.settings.reminder_check_seconds,
        )
        desk = QuarantineDesk(
            database=self.database, sender=self.sender, isolation=self.isolation, i18n=self.i18n
        )
        self.intake = Intake(
            bot=self.bot,
            dispatch=self.dispatch,
            answers=self.answers,
            database=self.database,
            desk=desk,
            metrics=self.metrics,
            attempts=self.settings.update_attempts,
        )

    async def feed_raw(self, raw: dict[str, Any]) -> Verdict:
        """An update as Telegram sent it (polling, webhook): parsed, then `feed`; set aside
        at once if it cannot be parsed. Raises DatabaseUnavailable if not done."""
        update = await self.intake.parse(raw)
        if update is None:
            return Verdict.SET_ASIDE
        return await self.feed(update)

    async def feed(self, update: Update) -> Verdict:
        """Handle one update to the end: handled, or after failing set aside (bot/engine/intake.py).
        Raises DatabaseUnavailable if not done: it must come again."""
        return await self.intake.take(update)

    async def answers(self) -> bool:
        """Whether what every update needs answers now: the database, and Redis when it holds
        the per-user locks. Asked only after a failure, to tell an outage from a bad update."""
        if not await self.database.answers():
            return False
        if isinstance(self.isolation, RedisEventIsolation):
            try:
                await asyncio.wait_for(self.isolation.redis.ping(), timeout=5)
            except Exception:
                return False
        return True

    async def dispatch(self, update: Update) -> Any:
        """One attempt at an update; bounded concurrency."""
        async with self.concurrency:
            return await self.dispatcher.feed_update(self.bot, update)

    async def set_commands(self) -> None:
        await self.bot.set_my_commands(
            bot_commands(self.i18n, languages.DEFAULT), scope=BotCommandScopeDefault()
        )
        for locale in languages.SUPPORTED:
            await self.bot.set_my_commands(
                bot_commands(self.i18n, locale),
                scope=BotCommandScopeDefault(),
                language_code=locale,
            )

    async def close(self) -> None:
        close_identity = getattr(self.identity, "close", None)
        if close_identity is not None:
            await close_identity()
        await self.bot.session.close()
        await self.isolation.close()
        await self.database.dispose()


def create_app(settings: Settings, *, extra_routers: tuple[Any, ...] = ()) -> App:
    token = settings.bot_token.get_secret_value()
    if not token:
        raise ValueError("BOT_TOKEN is not set")
    metrics = Metrics()
    database = Database(settings.database_url, pool_size=settings.handler_concurrency)
    database.on_unavailable = metrics.database_error
    bot = create_bot(token, settings.telegram_api_url, on_error=metrics.bot_api_error)
    i18n = create_i18n()
    mailer: SmtpMailer | DemoMailbox
    if settings.demo_mode and "host" not in settings.smtp.model_fields_set:
        mailer = DemoMailbox()  # the demo has no SMTP server: mails show on /demo/mail
    else:
        mailer = SmtpMailer(
            host=settings.smtp.host,
            port=settings.smtp.port,
            username=settings.smtp.user,
            password=settings.smtp.password.get_secret_value(),
            sender=settings.smtp.from_,
            tls=settings.smtp.tls,
            timeout=settings.smtp.timeout_seconds,
        )
    store = ContentStore(settings.files.dir)
    sender = OutboxSender(
        database,
        bot,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        mailer=mailer,
        mail_domain=mailer.domain,
        stored_files=store.sending_path,
    )
    isolation: BaseEventIsolation
    if settings.redis_url is not None:
        isolation = RedisEventIsolation.from_url(settings.redis_url.get_secret_value())
    else:
        isolation = LocalEventIsolation()

    # The built-in FSM middleware would read state before our transaction begins; we register
    # it ourselves, inside the transaction, and do the per-user locking in UpdateTransaction.
    dispatcher = Dispatcher(storage=SqlStorage(database), disable_fsm=True)
    dispatcher.fsm.events_isolation = DisabledEventIsolation()
    batches = GroupCommit(database=database, sender=sender)
    desk = FileDesk(
        store=store,
        inspector=FileInspector(),
        binder=PhotoPdfBinder(),
        rules=settings.files.rules(),
    )
    # First, outside any transaction: a message's file is downloaded (bot/engine/prefetch.py).
    dispatcher.update.outer_middleware(FilePrefetch(desk))
    dispatcher.update.outer_middleware(
        UpdateTransaction(sender=sender, isolation=isolation, batches=batches)
    )
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(AccountI18nMiddleware(i18n))
    for router in extra_routers:  # before the dialogs, whose fallback takes everything
        dispatcher.include_router(router)
    dispatcher.include_router(
        root_router(
            DialogSettings(
                public_url=settings.public_url,
                limits=settings.limits,
                at_least_counts=settings.registration.at_least_counts,
                forms=load_forms(),
                files=desk,
                support_phone=settings.support_phone,
                support_email=settings.support_email,
                guide=user_guide(i18n, settings),
                signature_minutes=settings.signature_confirmation_minutes,
                reminders=settings.reminder_policy,
                pdf=FpdfWriter(),
            )
        )
    )
    metrics.expect(dispatcher.resolve_used_update_types())
    return App(
        settings=settings,
        database=database,
        bot=bot,
        dispatcher=dispatcher,
        sender=sender,
        i18n=i18n,
        isolation=isolation,
        identity=create_identity_provider(settings),
        mailer=mailer,
        batches=batches,
        metrics=metrics,
    )
