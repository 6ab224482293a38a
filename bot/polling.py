"""Long polling that confirms an offset only after the updates were processed and committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.app import App
from bot.logs import fields
from storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, app: App, *, timeout: int = 25, limit: int = 100) -> None:
        self._app = app
        self._timeout = timeout
        self._limit = limit
        self._offset: int | None = None
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; the batch in hand is finished before returning."""
        allowed = self._app.dispatcher.resolve_used_update_types()
        while not stop.is_set():
            fetch = asyncio.ensure_future(
                self._app.bot(
                    GetUpdates(
                        offset=self._offset,
                        timeout=self._timeout,
                        limit=self._limit,
                        allowed_updates=allowed,
                    ),
                    request_timeout=self._timeout + 10,
                )
            )
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()  # nothing was fetched, so nothing is lost
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except (TelegramNetworkError, TelegramAPIError) as exc:
                await self._back_off(stop, f"getUpdates failed: {type(exc).__name__}")
                continue
            if updates:
                await self._process(updates, stop)
        await self._confirm()

    async def _confirm(self) -> None:
        """On the way out, tell the server what we processed, so it is not sent again."""
        if self._offset is None:
            return
        with contextlib.suppress(TelegramNetworkError, TelegramAPIError):
            await self._app.bot(GetUpdates(offset=self._offset, timeout=0, limit=1))

    async def _process(self, updates: list[Update], stop: asyncio.Event) -> None:
        results = await asyncio.gather(
            *(self._app.feed(update) for update in updates), return_exceptions=True
        )
        unacknowledged = [
            update.update_id
            for update, result in zip(updates, results, strict=True)
            if isinstance(result, DatabaseUnavailable)
        ]
        for update, result in zip(updates, results, strict=True):
            if isinstance(result, Exception) and not isinstance(result, DatabaseUnavailable):
                # Not a transient failure: retrying would fail the same way forever.
                log.error(
                    "update failed", exc_info=result, extra=fields(update_id=update.update_id)
                )
        if unacknowledged:
            # Ask again from the first one not done; those after it that were done are
            # recognised by their update id and skipped.
            self._offset = min(unacknowledged)
            await self._back_off(stop, "updates not processed; they will be fetched again")
        else:
            self._offset = max(update.update_id for update in updates) + 1
            self._failures = 0

    async def _back_off(self, stop: asyncio.Event, reason: str) -> None:
        self._failures += 1
        delay = min(30.0, 0.5 * 2 ** min(self._failures - 1, 6))
        log.warning("polling: backing off", extra=fields(reason=reason, seconds=delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
