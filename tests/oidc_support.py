"""A real OpenID Connect provider for tests (node-oidc-provider), and a scripted browser for it.

`OidcTestProvider` runs `tests/identity/oidc_server/server.mjs` with Node on a free port of
127.0.0.1; `scripts/setup` installs its node_modules (`npm ci`). Without Node or npm the tests
that use it are skipped, saying why; with npm but no node_modules they fail, saying to run
scripts/setup.

    async with OidcTestProvider(
        redirect_uris=["http://127.0.0.1:8080/callback"],
        accounts={"anna": {"serial_number": "PNOLV-010190-12345",
                           "given_name": "Anna", "family_name": "Bērziņa"}},
    ) as idp:
        provider = OidcProvider(issuer=idp.issuer, client_id=idp.client_id,
                                client_secret=idp.client_secret)
        ...
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            callback = await browser_login(browser, start.redirect_url, "anna")

Accounts map an account id (what the person types at the login form) to the claims the
provider releases: `serial_number`, `given_name`, `family_name`, `personal_code`, `domain`,
`name_identifier`, `subject_type`, `name` (derived from the names if absent). Scopes:
`openid`; `profile` → given_name, family_name, name, personal_code, name_identifier,
subject_type (as a broker in front of Latvija.lv would pass them on); `urn:lvrtc:fpeil:aa` →
given_name, family_name, serial_number, domain. The claims are in the ID token and at the
userinfo endpoint.

`browser_login` needs a session made with `aiohttp.CookieJar(unsafe=True)`: the provider's
interaction cookies are set by a host that is an IP address (127.0.0.1), and aiohttp's default
cookie jar ignores cookies from IP addresses, so the login would loop without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest

SERVER_DIR = Path(__file__).resolve().parent / "identity" / "oidc_server"


def _missing_tools() -> str | None:
    """Why the node provider cannot run here (a reason to skip), or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed: the OpenID Connect tests need Node.js and npm"
    return None


class OidcTestProvider:
    """`node server.mjs` on a free port, for the length of an `async with`.

    Exposes `issuer`, `port`, `client_id`, `client_secret`. Stops the whole process group on
    exit (SIGTERM, then SIGKILL after 5 s), so no Node process outlives the test.
    """

    def __init__(
        self,
        *,
        redirect_uris: Sequence[str],
        accounts: Mapping[str, Mapping[str, str]],
        client_id: str = "altum-bot",
        client_secret: str = "altum-bot-secret",
        token_endpoint_auth_method: str = "client_secret_basic",
        startup_timeout: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.issuer = ""
        self.port = 0
        self._config: dict[str, Any] = {
            "port": 0,
            "clients": [
                {
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "redirect_uris": list(redirect_uris),
                    "token_endpoint_auth_method": token_endpoint_auth_method,
                }
            ],
            "accounts": {key: dict(claims) for key, claims in accounts.items()},
        }
        self._startup_timeout = startup_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._output: deque[str] = deque(maxlen=200)
        self._drains: list[asyncio.Task[None]] = []

    @property
    def output(self) -> str:
        """The provider's recent stdout and stderr lines, for failure messages."""
        return "\n".join(self._output)

    async def __aenter__(self) -> OidcTestProvider:
        reason = _missing_tools()
        if reason is not None:
            pytest.skip(reason)
        if not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
            pytest.fail(
                f"{SERVER_DIR / 'node_modules'} is missing: run scripts/setup (npm ci there)",
                pytrace=False,
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="oidc-test-")
        config_path = Path(self._tmp.name) / "config.json"
        config_path.write_text(json.dumps(self._config), encoding="utf-8")
        try:
            await self._launch(config_path)
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def _launch(self, config_path: Path) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "node",
            "server.mjs",
            str(config_path),
            "--exit-with-stdin",  # if this process dies without stopping it, it stops itself
            cwd=SERVER_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, killed as a whole on exit
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._drains.append(asyncio.create_task(self._drain(self._process.stderr, "stderr")))
        try:
            async with asyncio.timeout(self._startup_timeout):
                while True:
                    raw = await self._process.stdout.readline()
                    if not raw:
                        code = await self._process.wait()
                        raise RuntimeError(
                            f"the OIDC test provider exited ({code}) before it was ready:\n"
                            + self.output
                        )
                    line = raw.decode(errors="replace").rstrip()
                    self._output.append(f"stdout: {line}")
                    if line.startswith("ready "):
                        ready = json.loads(line.removeprefix("ready "))
                        self.issuer = ready["issuer"]
                        self.port = int(ready["port"])
                        break
        except TimeoutError:
            raise RuntimeError(
                f"the OIDC test provider was not ready in {self._startup_timeout} s:\n"
                + self.output
            ) from None
        self._drains.append(asyncio.create_task(self._drain(self._process.stdout, "stdout")))

    async def _drain(self, stream: asyncio.StreamReader, name: str) -> None:
        while raw := await stream.readline():
            self._output.append(f"{name}: {raw.decode(errors='replace').rstrip()}")

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
            # Anything the server started in its group goes with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for task in self._drains:
            task.cancel()
        for task in self._drains:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._drains.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class LoginFailed(AssertionError):
    """The scripted browser did not get through the provider's pages."""


class _Page(HTMLParser):
    """The forms (action, method, fields) and links of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action", ""),
                    "method": attributes.get("method", "get").lower(),
                    "fields": {},
                }
            )
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


async def browser_login(
    session: aiohttp.ClientSession,
    authorization_url: str,
    account_id: str,
    *,
    consent: bool = True,
) -> str:
    """Go through the provider's login and consent pages as a browser would.

    Types `account_id` into the login form (any password), then approves the consent form
    (or, with `consent=False`, follows the page's cancel link, the provider's interaction
    abort endpoint, so the flow ends with `error=access_denied`). Returns the URL the provider
    finally redirects to, on the relying party's `redirect_uri`, without requesting it.

    `session` must use `aiohttp.CookieJar(unsafe=True)` (the provider is on an IP address).
    """
    redirect_uri = parse_qs(urlsplit(authorization_url).query).get("redirect_uri", [""])[0]
    provider_origin = urlsplit(authorization_url)[:2]

    def at_relying_party(url: str) -> bool:
        if redirect_uri:
            return url.split("?", 1)[0].split("#", 1)[0] == redirect_uri
        return urlsplit(url)[:2] != provider_origin

    method, url, form = "GET", authorization_url, None
    seen_login = 0
    for _ in range(30):
        async with session.request(method, url, data=form, allow_redirects=False) as response:
            body = await response.text()
            if response.status in (301, 302, 303, 307, 308):
                target = urljoin(url, response.headers["Location"])
                if at_relying_party(target):
                    return target
                method, url, form = "GET", target, None
                continue
            if response.status != 200:
                raise LoginFailed(f"{method} {url} answered {response.status}: {body[:500]}")
        page = _Page()
        page.feed(body)
        prompts = [f for f in page.forms if f["fields"].get("prompt") in ("login", "consent")]
        if not prompts:
            raise LoginFailed(f"no login or consent form at {url}: {body[:500]}")
        chosen = prompts[0]
        if chosen["fields"]["prompt"] == "login":
            seen_login += 1
            if seen_login > 1:
                raise LoginFailed(f"the provider asked to log in again: is {account_id!r} known?")
            fields = {**chosen["fields"], "login": account_id, "password": "any password"}
        else:
            if not consent:
                aborts = [link for link in page.links if "/abort" in link]
                if not aborts:
                    raise LoginFailed(f"no cancel link on the consent page at {url}")
                method, url, form = "GET", urljoin(url, aborts[0]), None
                continue
            fields = dict(chosen["fields"])
        method, url, form = chosen["method"].upper(), urljoin(url, chosen["action"]), fields
    raise LoginFailed(f"too many steps at the provider, last at {url}")
