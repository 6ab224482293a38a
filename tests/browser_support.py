"""A real browser for the tests that need one: headless Chromium driven over the DevTools
protocol (a WebSocket; aiohttp is all it takes), so pages run their scripts under their
real CSP, frames, cookies and request headers.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it). Without it
the tests that use it are skipped, saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_missing() -> str | None:
    """Why no browser can run here (a reason to skip), or None."""
    if any(shutil.which(name) for name in CANDIDATES):
        return None
    return "Chromium is not installed (apt-get install chromium)"


class Page:
    """One tab: navigate, evaluate JavaScript in it or in one of its frames."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        while True:  # events arrive in between; only the answer matters here
            message = await self._ws.receive_json(timeout=30)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

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
    sockets: list[aiohttp.ClientWebSocketResponse] = []
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
            sockets.append(ws)
            page = Page(ws)
            await page.send("Page.enable")
            return page

        yield new_page
    finally:
        for ws in sockets:
            await ws.close()
        await http.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(profile, ignore_errors=True)
