"""A real browser for the tests that need one: headless Chromium driven over the DevTools
protocol (a WebSocket; aiohttp is all it takes), so pages run their scripts under their
real CSP, frames, cookies and request headers.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it). Without it
the tests that use it are skipped, saying why.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_missing() -> str | None:
    """Why no browser can run here (a reason to skip), or None."""
    if any(shutil.which(name) for name in CANDIDATES):
        return None
    return "Chromium is not installed (apt-get install chromium)"


class Page:
    """One tab: navigate, evaluate JavaScript in it or in one of its frames, type, press
    keys, pick files, take screenshots, refuse requests that leave this machine."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.blocked: list[str] = []  # requests `keep_local` refused, by URL
        # One reader: answers go to their callers, events to listeners (which may not wait
        # for an answer themselves: they start a task).
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                if "id" in message:
                    waiter = self._waiting.pop(message["id"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(message)
                    continue
                for listener in self._listeners.get(message.get("method", ""), []):
                    listener(message.get("params", {}))
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("the tab is gone"))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = waiter
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        message = await asyncio.wait_for(waiter, timeout=30)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        result: dict[str, Any] = message.get("result", {})
        return result

    def on(self, event: str, listener: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.setdefault(event, []).append(listener)

    def _spawn(self, call: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def keep_local(self) -> None:
        """Every request of this tab and its frames that is not to 127.0.0.1 fails (and is
        listed in `blocked`): a page that needs the internet shows it here."""

        def paused(params: dict[str, Any]) -> None:
            url = params["request"]["url"]
            if urlsplit(url).hostname == "127.0.0.1":
                self._spawn(self._quietly("Fetch.continueRequest", requestId=params["requestId"]))
            else:
                self.blocked.append(url)
                self._spawn(
                    self._quietly(
                        "Fetch.failRequest",
                        requestId=params["requestId"],
                        errorReason="BlockedByClient",
                    )
                )

        self.on("Fetch.requestPaused", paused)
        await self.send("Fetch.enable", patterns=[{"urlPattern": "*"}])

    async def _quietly(self, method: str, **params: Any) -> None:
        with contextlib.suppress(RuntimeError, ConnectionError, TimeoutError):
            await self.send(method, **params)

    async def phone(self, width: int = 360, height: int = 740, scale: float = 1) -> None:
        """A phone's viewport: `width` CSS pixels wide, touch, mobile layout rules."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=scale,
            mobile=True,
        )

    async def languages(self, accept: str) -> None:
        """The browser's preferred languages, as its `Accept-Language` says them."""
        await self.send("Network.enable")
        await self.send("Network.setExtraHTTPHeaders", headers={"Accept-Language": accept})

    async def without_scripts(self) -> None:
        """Pages in this tab run no JavaScript (and show their <noscript>)."""
        await self.send("Emulation.setScriptExecutionDisabled", value=True)

    async def key(self, key: str, *, shift: bool = False) -> None:
        """Press and release `key` ("Tab", "Enter") as a keyboard would, to what has focus."""
        codes = {"Tab": 9, "Enter": 13}
        common: dict[str, Any] = {
            "key": key,
            "code": key,
            "windowsVirtualKeyCode": codes[key],
            "modifiers": 8 if shift else 0,
        }
        text = {"text": "\r"} if key == "Enter" else {}
        await self.send("Input.dispatchKeyEvent", type="keyDown", **common, **text)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    async def type_text(self, text: str) -> None:
        """Type `text` into what has focus, as an input method would."""
        await self.send("Input.insertText", text=text)

    async def choose_files(self, selector: str, *paths: Path) -> None:
        """Pick files in the file input `selector`, as its dialog would (fires `change`)."""
        root = await self.send("DOM.getDocument", depth=0)
        found = await self.send(
            "DOM.querySelector", nodeId=root["root"]["nodeId"], selector=selector
        )
        await self.send(
            "DOM.setFileInputFiles", files=[str(p) for p in paths], nodeId=found["nodeId"]
        )

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        """Close the tab (its scripts stop: the web chat's long poll too)."""
        if not self._reader.done():
            await self._quietly("Page.close")
        self._reader.cancel()
        await self._ws.close()

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def frames(self) -> list[tuple[str, str]]:
        """(frame id, URL) of the page and every frame in it, the page first."""
        found: list[tuple[str, str]] = []

        def walk(node: dict[str, Any]) -> None:
            found.append((node["frame"]["id"], node["frame"]["url"]))
            for child in node.get("childFrames", []):
                walk(child)

        walk((await self.send("Page.getFrameTree"))["frameTree"])
        return found

    async def evaluate(self, expression: str, *, frame_id: str | None = None) -> Any:
        params: dict[str, Any] = {
            "expression": expression,
            "returnByValue": True,
            "awaitPromise": True,
        }
        if frame_id is not None:  # a world of our own in that frame: same DOM, no clashes
            world = await self.send("Page.createIsolatedWorld", frameId=frame_id)
            params["contextId"] = world["executionContextId"]
        answer = await self.send("Runtime.evaluate", **params)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression!r} failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def wait_for(
        self, expression: str, *, frame_id: str | None = None, timeout: float = 15.0
    ) -> Any:
        """Until `expression` is truthy in the page (or frame); its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with contextlib.suppress(RuntimeError):  # mid-navigation
                value = await self.evaluate(expression, frame_id=frame_id)
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"never true: {expression}")
            await asyncio.sleep(0.1)

    async def wait_for_frame(self, contains: str, timeout: float = 15.0) -> str:
        """The id of the first frame (not the page) whose URL contains `contains`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for frame_id, url in (await self.frames())[1:]:
                if contains in url:
                    return frame_id
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no frame at {contains!r}: {await self.frames()}")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium for the length of an `async with`; yields `new_page()`."""
    binary = next(path for name in CANDIDATES if (path := shutil.which(name)))
    profile = Path(tempfile.mkdtemp(prefix="altum-chromium-"))
    process = await asyncio.create_subprocess_exec(
        binary,
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    http = aiohttp.ClientSession()
    pages: list[Page] = []
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().count("\n") >= 1:
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split("\n", 1)[0])

        async def new_page() -> Page:
            async with http.put(f"http://127.0.0.1:{port}/json/new?about:blank") as response:
                target = json.loads(await response.text())
            ws = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
            page = Page(ws)
            pages.append(page)
            await page.send("Page.enable")
            return page

        yield new_page
    finally:
        for page in pages:
            await page.close()
        await http.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(profile, ignore_errors=True)
