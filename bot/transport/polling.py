"""Long polling that confirms an update only after it was processed and committed.

Updates are handled as they arrive, without waiting for the rest of their batch, yet the
offset sent to `getUpdates` never passes an update still in flight: it is the lowest update id
not yet done. Updates the server hands out again while still in flight (or done but not yet
confirmable) are skipped here, and any that slip through are skipped by the processed-updates
table. One user's updates are handled in the order they came.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from bot.app import App
from bot.engine.raw_updates import JSON, sender_of, update_id_of
from bot.logs import fields
from bot.metrics import status_code_label
from storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)

# While updates are in flight a long poll returns at once (they are still pending on the
# server), so we poll as soon as one finishes, or after this long: the most a new update
# waits to be fetched while a slow one is in flight.
IN_FLIGHT_POLL_INTERVAL = 0.01
# Fetches start at least this far apart, so finishing updates cannot make the poller spin.
MIN_FETCH_SPACING = 0.005


class PollingRefused(Exception):
    """getUpdates answered with an error (a webhook is set, the token is wrong, a 5xx...)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Poller:
    def __init__(self, app: App, *, timeout: int = 25, limit: int = 100) -> None:
        self._app = app
        self._timeout = timeout
        self._limit = limit
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._done: set[int] = set()  # processed, but an earlier update is still in flight
        self._retry: set[int] = set()  # failed for want of the database: to be fetched again
        self._confirmed: int | None = None  # every id below this one is processed
        self._last_of_user: dict[int, asyncio.Task[None]] = {}
        self._failures = 0
        self._wake = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None

    @property
    def offset(self) -> int | None:
        pending = self._in_flight.keys() | self._retry
        return min(pending) if pending else self._confirmed

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then finish what is in flight and confirm it."""
        allowed = self._app.dispatcher.resolve_used_update_types()
        while not stop.is_set():
            try:
                if not await self._poll_once(stop, allowed):
                    break
            except Exception:
                # A bug of ours in the loop itself: it must not end the service.
                log.exception("polling: unexpected error; going on")
                self._failures += 1
                await self._back_off(stop, "unexpected error")
        if self._in_flight:
            await asyncio.wait(set(self._in_flight.values()))
        await self._confirm()
        if self._http is not None:
            await self._http.close()

    async def _poll_once(self, stop: asyncio.Event, allowed: list[str]) -> bool:
        """One fetch and the start of what it brought; False when stopping."""
        loop = asyncio.get_running_loop()
        if self._failures:
            await self._back_off(stop, "database unavailable; updates will be fetched again")
            if stop.is_set():
                return False
        self._wake.clear()  # before looking: a task finishing later sets it again
        if len(self._in_flight) >= self._app.settings.handler_concurrency:
            await self._wait_for_progress(within=None)
            return True
        fetched_at = loop.time()
        fresh = await self._fetch(stop, allowed)
        if fresh is None:
            return False
        for update_id, raw in fresh:
            self._start(update_id, raw)
        if self._in_flight:
            # A fetch now would mostly repeat what is in flight: wait for one to finish.
            await self._wait_for_progress(within=IN_FLIGHT_POLL_INTERVAL)
            await asyncio.sleep(max(0.0, fetched_at + MIN_FETCH_SPACING - loop.time()))
        return True

    async def _fetch(
        self, stop: asyncio.Event, allowed: list[str]
    ) -> list[tuple[int, JSON]] | None:
        """New updates, as JSON with their ids; None when stopping. Errors back off and
        return [].

        Raw JSON: the updates already in flight come back on every call, and validating them
        all again with pydantic cost more CPU than handling the new ones. Each is parsed in
        its own task, so that one our library cannot read is set aside alone.
        """
        timeout = 0 if self._in_flight else self._timeout
        fetch = asyncio.ensure_future(self._get_updates(timeout, allowed))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()  # nothing fetched yet, so nothing is lost
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
            return None
        try:
            raw = fetch.result()
        except PollingRefused as exc:
            self._app.metrics.bot_api_error(
                status_code_label(exc.status) if exc.status else "other"
            )
            await self._back_off(stop, f"getUpdates refused: {exc}")
            return []
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._app.metrics.bot_api_error("network")
            # The class name only: an aiohttp error's text can hold the URL, and so the token.
            await self._back_off(stop, f"getUpdates failed: {type(exc).__name__}")
            return []
        # Below `_confirmed` all is done: an answer to a fetch sent before an update finished
        # still carries it.
        floor = self._confirmed or 0
        fresh = []
        for item in raw:
            update_id = update_id_of(item)
            if update_id is None:  # not from Telegram; the offset passes it by with the rest
                log.warning("getUpdates: an item without an update id skipped")
                continue
            new = update_id not in self._in_flight and update_id not in self._done
            if new and update_id >= floor:
                fresh.append((update_id, item))
        return fresh

    async def _get_updates(self, long_poll: int, allowed: list[str]) -> list[dict[str, Any]]:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        bot = self._app.bot
        url = bot.session.api.api_url(token=bot.token, method="getUpdates")
        payload: dict[str, Any] = {
            "timeout": long_poll,
            "limit": self._limit,
            "allowed_updates": allowed,
        }
        if self.offset is not None:
            payload["offset"] = self.offset
        async with self._http.post(
            url, json=payload, timeout=aiohttp.ClientTimeout(total=long_poll + 10)
        ) as response:
            body = await response.json(content_type=None)
        if not isinstance(body, dict) or not body.get("ok"):
            description = body.get("description") if isinstance(body, dict) else None
            raise PollingRefused(
                f"{response.status} {description or 'no description'}", status=response.status
            )
        result = body.get("result")
        if not isinstance(result, list):
            raise PollingRefused(f"{response.status} an answer without a list of updates")
        return result

    def _start(self, update_id: int, raw: JSON) -> None:
        self._retry.discard(update_id)
        user = sender_of(raw)
        previous = self._last_of_user.get(user) if user is not None else None
        task = asyncio.create_task(self._handle(update_id, raw, previous))
        self._in_flight[update_id] = task
        if user is not None:
            self._last_of_user[user] = task
            task.add_done_callback(lambda t: self._forget_user(user, t))

    async def _handle(self, update_id: int, raw: JSON, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:  # one user's updates in the order they came
            await asyncio.wait({previous})
        try:
            await self._app.feed_raw(raw)  # handled, or set aside in quarantine
        except DatabaseUnavailable:
            # Not done: it holds the offset down, so it is fetched and handled again.
            del self._in_flight[update_id]
            self._retry.add(update_id)
            self._failures += 1
            self._wake.set()
            return
        except Exception:
            # feed_raw sets failing updates aside; should that itself fail, go on regardless.
            log.exception("update failed", extra=fields(update_id=update_id))
        self._finish(update_id)

    def _finish(self, update_id: int) -> None:
        del self._in_flight[update_id]
        self._failures = 0
        self._done.add(update_id)
        pending = self._in_flight.keys() | self._retry
        floor = min(pending) if pending else None
        confirmable = {i for i in self._done if floor is None or i < floor}
        if confirmable:
            highest = max(confirmable) + 1
            self._confirmed = max(self._confirmed or 0, highest)
            self._done -= confirmable
        self._wake.set()

    def _forget_user(self, user: int, task: asyncio.Task[None]) -> None:
        if self._last_of_user.get(user) is task:
            del self._last_of_user[user]

    async def _wait_for_progress(self, *, within: float | None) -> None:
        """Until an update in flight finishes (or `within` seconds pass)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=within)

    async def _confirm(self) -> None:
        """On the way out, tell the server what we processed, so it is not sent again."""
        if self.offset is None:
            return
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError, PollingRefused):
            await self._get_updates(0, self._app.dispatcher.resolve_used_update_types())

    async def _back_off(self, stop: asyncio.Event, reason: str) -> None:
        delay = min(30.0, 0.5 * 2 ** min(max(self._failures, 1) - 1, 6))
        log.warning("polling: backing off", extra=fields(reason=reason, seconds=delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
