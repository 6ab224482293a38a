"""Typed async client for the emulator's control API (used by tests and benchmarks)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypedDict

import aiohttp

JSON = dict[str, Any]


class SentInfo(TypedDict):
    update_id: int
    message_id: int
    queued: bool  # False when the bot's allowed_updates filtered the update out


class UploadInfo(SentInfo):
    file_id: str


class CallbackInfo(TypedDict):
    update_id: int
    callback_query_id: str
    data: str


class WebAppLaunch(TypedDict):
    url: str  # the button's
    init_data: str
    launch_url: str  # url#tgWebAppData=…&tgWebAppVersion=…&tgWebAppPlatform=web


class InjectedInfo(TypedDict):
    update_id: int
    queued: bool  # False when the bot's allowed_updates filtered the update out


class EmulatorError(Exception):
    """The control API refused a request (e.g. pressing a button that isn't there)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorClient:
    """`async with EmulatorClient(base_url) as emu: await emu.send_text(bot, user, "/start")`."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: Any = None,
        wait: float = 0.0,
    ) -> Any:
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        timeout = aiohttp.ClientTimeout(total=wait + 30)
        async with self._http().request(
            method,
            f"{self.base_url}/control{path}",
            json=json,
            params=query,
            data=data,
            timeout=timeout,
        ) as response:
            body = await response.json(content_type=None)
            if response.status >= 400:
                message = body.get("error", "") if isinstance(body, dict) else str(body)
                raise EmulatorError(response.status, message)
            return body

    # --- bots and settings -------------------------------------------------------------

    async def bots(self) -> list[JSON]:
        result: list[JSON] = await self._request("GET", "/bots")
        return result

    async def configure_bot(
        self, bot_id: int, *, username: str | None = None, first_name: str | None = None
    ) -> JSON:
        body = {"username": username, "first_name": first_name}
        result: JSON = await self._request("POST", f"/bots/{bot_id}", json=body)
        return result

    async def reset(self, bot_id: int) -> JSON:
        result: JSON = await self._request("POST", f"/bots/{bot_id}/reset")
        return result

    async def settings(self) -> JSON:
        result: JSON = await self._request("GET", "/settings")
        return result

    async def update_settings(self, **values: Any) -> JSON:
        result: JSON = await self._request("PATCH", "/settings", json=values)
        return result

    # --- users and what they do --------------------------------------------------------

    async def create_user(
        self,
        bot_id: int,
        first_name: str = "Anna",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "lv",
        user_id: int | None = None,
        started: bool = False,
    ) -> JSON:
        body = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "id": user_id,
            "started": started,
        }
        result: JSON = await self._request("POST", f"/bots/{bot_id}/users", json=body)
        return result

    async def users(self, bot_id: int) -> list[JSON]:
        result: list[JSON] = await self._request("GET", f"/bots/{bot_id}/users")
        return result

    async def user(self, bot_id: int, user_id: int) -> JSON:
        result: JSON = await self._request("GET", f"/bots/{bot_id}/users/{user_id}")
        return result

    async def send_text(
        self, bot_id: int, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> SentInfo:
        body = {"text": text, "reply_to_message_id": reply_to_message_id}
        result: SentInfo = await self._request(
            "POST", f"/bots/{bot_id}/users/{user_id}/messages", json=body
        )
        return result

    async def press(
        self,
        bot_id: int,
        user_id: int,
        message_id: int,
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> CallbackInfo:
        """Press an inline button found by its visible text or its callback_data."""
        body = {"message_id": message_id, "text": text, "data": data}
        result: CallbackInfo = await self._request(
            "POST", f"/bots/{bot_id}/users/{user_id}/press", json=body
        )
        return result

    async def forge_callback(
        self, bot_id: int, user_id: int, message_id: int, data: str, *, age_seconds: float = 0.0
    ) -> CallbackInfo:
        """Send any callback data for any message id, without checking buttons."""
        body = {"message_id": message_id, "data": data, "age_seconds": age_seconds}
        result: CallbackInfo = await self._request(
            "POST", f"/bots/{bot_id}/users/{user_id}/forge_callback", json=body
        )
        return result

    async def open_web_app(
        self,
        bot_id: int,
        user_id: int,
        message_id: int,
        *,
        text: str | None = None,
        age_seconds: float = 0.0,
    ) -> WebAppLaunch:
        """Press a `web_app` button (the first, or the one with this text): its URL, the
        signed initData, and the URL a Telegram client would open (initData in the fragment).
        `age_seconds` backdates `auth_date`."""
        body = {"message_id": message_id, "text": text, "age_seconds": age_seconds}
        result: WebAppLaunch = await self._request(
            "POST", f"/bots/{bot_id}/users/{user_id}/open_web_app", json=body
        )
        return result

    async def init_data(self, bot_id: int, user_id: int, *, age_seconds: float = 0.0) -> str:
        """Signed Mini App initData for this user of this bot."""
        result = await self._request(
            "GET",
            f"/bots/{bot_id}/users/{user_id}/init_data",
            params={"age_seconds": age_seconds},
        )
        return str(result["init_data"])

    async def _upload(
        self,
        bot_id: int,
        user_id: int,
        kind: str,
        data: bytes,
        file_name: str,
        mime_type: str | None,
        caption: str | None,
        allow_empty: bool = False,
    ) -> UploadInfo:
        form = aiohttp.FormData(quote_fields=False)  # raw UTF-8 names, as aiogram sends
        form.add_field(
            "file", data, filename=file_name, content_type=mime_type or "application/octet-stream"
        )
        if caption is not None:
            form.add_field("caption", caption)
        if allow_empty:
            form.add_field("allow_empty", "1")
        result: UploadInfo = await self._request(
            "POST", f"/bots/{bot_id}/users/{user_id}/{kind}", data=form
        )
        return result

    async def send_document(
        self,
        bot_id: int,
        user_id: int,
        data: bytes,
        file_name: str = "document.pdf",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        allow_empty: bool = False,
    ) -> UploadInfo:
        """`allow_empty`: send 0 bytes, which Telegram's apps never do (refused otherwise)."""
        return await self._upload(
            bot_id, user_id, "documents", data, file_name, mime_type, caption, allow_empty
        )

    async def send_photo(
        self,
        bot_id: int,
        user_id: int,
        data: bytes,
        *,
        file_name: str = "photo.jpg",
        caption: str | None = None,
    ) -> UploadInfo:
        return await self._upload(bot_id, user_id, "photos", data, file_name, "image/jpeg", caption)

    async def block(self, bot_id: int, user_id: int) -> JSON:
        result: JSON = await self._request("POST", f"/bots/{bot_id}/users/{user_id}/block")
        return result

    async def unblock(self, bot_id: int, user_id: int) -> JSON:
        result: JSON = await self._request("POST", f"/bots/{bot_id}/users/{user_id}/unblock")
        return result

    # --- updates -----------------------------------------------------------------------

    async def pending_updates(self, bot_id: int) -> list[JSON]:
        result: JSON = await self._request("GET", f"/bots/{bot_id}/updates")
        pending: list[JSON] = result["pending"]
        return pending

    async def inject_update(
        self, bot_id: int, update: JSON, *, chat_id: int | None = None
    ) -> InjectedInfo:
        """Queue an update exactly as given, e.g. one the bot's library cannot parse."""
        body = {"update": update, "chat_id": chat_id}
        result: InjectedInfo = await self._request("POST", f"/bots/{bot_id}/updates", json=body)
        return result

    async def redeliver(self, bot_id: int, update_id: int) -> JSON:
        result: JSON = await self._request("POST", f"/bots/{bot_id}/updates/{update_id}/redeliver")
        return result

    # --- chats -------------------------------------------------------------------------

    async def messages(
        self,
        bot_id: int,
        chat_id: int,
        *,
        after: int = 0,
        include_deleted: bool = True,
        wait: float = 0.0,
    ) -> list[JSON]:
        """Messages of a chat (both directions) with id > after; wait for at least one."""
        params = {"after": after, "include_deleted": include_deleted, "wait": wait}
        result: list[JSON] = await self._request(
            "GET", f"/bots/{bot_id}/chats/{chat_id}/messages", params=params, wait=wait
        )
        return result

    async def next_bot_message(
        self,
        bot_id: int,
        chat_id: int,
        *,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 (a server-side wait, not a client timeout)
    ) -> JSON:
        """The first message the bot sent in the chat after message id `after`.

        Raises TimeoutError when none arrives within `timeout` seconds.
        """
        try:
            result: JSON = await self._request(
                "GET",
                f"/bots/{bot_id}/chats/{chat_id}/next_bot_message",
                params={"after": after, "timeout": timeout},
                wait=timeout,
            )
        except EmulatorError as exc:
            if exc.status == 408:
                raise TimeoutError(exc.message) from exc
            raise
        return result

    async def chat_view(
        self, bot_id: int, chat_id: int, *, version: int = -1, wait: float = 0.0
    ) -> JSON:
        result: JSON = await self._request(
            "GET",
            f"/bots/{bot_id}/chats/{chat_id}/view",
            params={"version": version, "wait": wait},
            wait=wait,
        )
        return result

    async def download(self, bot_id: int, file_id: str) -> bytes:
        url = f"{self.base_url}/control/bots/{bot_id}/files/{file_id}"
        async with self._http().get(url) as response:
            if response.status >= 400:
                raise EmulatorError(response.status, await response.text())
            return await response.read()

    # --- calls log, faults, webhook ----------------------------------------------------

    async def calls(
        self,
        bot_id: int,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        since: int = 0,
        wait: float = 0.0,
        min: int | None = None,
    ) -> list[JSON]:
        """Bot API calls with seq > since; with wait, return once `min` (default 1) match."""
        params = {"method": method, "chat_id": chat_id, "since": since, "wait": wait, "min": min}
        result: JSON = await self._request("GET", f"/bots/{bot_id}/calls", params=params, wait=wait)
        found: list[JSON] = result["calls"]
        return found

    async def last_seq(self, bot_id: int) -> int:
        """The newest call's seq: pass it as `since` to see only later calls."""
        result: JSON = await self._request("GET", f"/bots/{bot_id}/calls", params={"since": 2**62})
        last: int = result["last_seq"]
        return last

    async def add_fault(
        self,
        bot_id: int,
        method: str = "*",
        *,
        status: int | None = None,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        latency_ms: int = 0,
        drop: bool = False,
        body: str | None = None,
    ) -> JSON:
        payload = {
            "method": method,
            "status": status,
            "count": count,
            "retry_after": retry_after,
            "description": description,
            "latency_ms": latency_ms,
            "drop": drop,
            "body": body,
        }
        result: JSON = await self._request("POST", f"/bots/{bot_id}/faults", json=payload)
        return result

    async def faults(self, bot_id: int) -> list[JSON]:
        result: list[JSON] = await self._request("GET", f"/bots/{bot_id}/faults")
        return result

    async def clear_faults(self, bot_id: int) -> None:
        await self._request("DELETE", f"/bots/{bot_id}/faults")

    async def webhook_info(self, bot_id: int) -> JSON:
        result: JSON = await self._request("GET", f"/bots/{bot_id}/webhook")
        return result

    async def commands(self, bot_id: int) -> list[JSON]:
        result: list[JSON] = await self._request("GET", f"/bots/{bot_id}/commands")
        return result


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
