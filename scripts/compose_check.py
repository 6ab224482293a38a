"""The driver of scripts/compose-check: the production stack in Docker, proven step by step.

Runs on the host with the project's .venv. The stack is docker/compose.yaml with
docker/compose.check.yaml (the emulator in Telegram's place); this process talks to it only
on loopback: Caddy's published HTTPS port (the public host name resolved to 127.0.0.1, TLS
checked against Caddy's internal CA), the emulator's control API, and the replicas' own
ports for the demo identity provider and mailbox. Docker and compose do the rest (kill,
restart, down, up); SQL goes through `psql` inside the PostgreSQL container.

Each step prints what it saw; the first failed assertion stops the check (the shell script
tears the stack down either way).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

from e2e_support import Person, buttons, mini_app_post  # noqa: E402
from registration_walk import register_ozolkalna  # noqa: E402

from emulator import EmulatorClient  # noqa: E402

HELP_REPLY = "Portāla karte"  # the start of /help's answer in Latvian
ASSERTIONS: list[tuple[str, float, str]] = []


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"compose_check: {name} is not set (run scripts/compose-check)")
    return value


@dataclass
class Stack:
    """docker compose for this project, and what the check reads from the containers."""

    compose: list[str]
    public_host: str
    https_port: int
    emulator_port: int
    bot_id: int
    database: str = "altum"

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        command = [*self.compose, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    async def arun(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        return await asyncio.to_thread(self.run, *args, check=check, timeout=timeout)

    def containers(self, service: str) -> list[str]:
        return sorted(self.run("ps", "-q", service).split())

    def sql(self, query: str) -> list[list[str]]:
        out = self.run(
            "exec", "-T", "postgres", "psql", "-U", "altum", "-d", self.database,
            "-At", "-F", "\t", "-c", query,
        )  # fmt: skip
        return [line.split("\t") for line in out.splitlines() if line]

    async def asql(self, query: str) -> list[list[str]]:
        return await asyncio.to_thread(self.sql, query)

    def replica_ports(self) -> list[int]:
        ports = []
        for index in range(1, len(self.containers("bot")) + 1):
            answer = self.run("port", "--index", str(index), "bot", "8080").strip()
            ports.append(int(answer.rsplit(":", 1)[1]))
        return ports

    def root_certificate(self, check: bool = True) -> str:
        path = "/data/caddy/pki/authorities/local/root.crt"
        return self.run("exec", "-T", "proxy", "cat", path, check=check)


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)[0]
    return result


def cpu_seconds(container: str) -> float:
    """The container's main process's user + system CPU, read on the host."""
    pid = inspect(container)["State"]["Pid"]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PublicHost(AbstractResolver):
    """PUBLIC_HOST:443 is Caddy's port published on loopback, as DNS would point to it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address, port = ("127.0.0.1", self.port) if host == self.host else (host, port)
        found = ResolveResult(
            hostname=host,
            host=address,
            port=port,
            family=socket.AF_INET,
            proto=0,
            flags=socket.AI_NUMERICHOST,
        )
        return [found]

    async def close(self) -> None:
        return None


async def step(name: str, work: Callable[[], Awaitable[str]]) -> None:
    print(f"\n== {name}", flush=True)
    started = time.monotonic()
    seen = await work()
    took = time.monotonic() - started
    ASSERTIONS.append((name, took, seen))
    print(f"   ok in {took:.1f} s: {seen}", flush=True)


async def until(
    probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 60, every: float = 0.5
) -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")
        await asyncio.sleep(every)


@dataclass
class Check:
    stack: Stack
    http: aiohttp.ClientSession
    emu: EmulatorClient
    public_url: str
    newcomer: Person | None = None  # Telegram user Emily, who logs in as Anna Bērziņa
    notes: dict[str, Any] = field(default_factory=dict)

    # --- health -------------------------------------------------------------------------

    async def healthy(self) -> str:
        services = ("postgres", "redis", "proxy", "emulator", "bot")

        async def all_healthy() -> bool:
            states = [
                inspect(c)["State"].get("Health", {}).get("Status")
                for s in services
                for c in self.stack.containers(s)
            ]
            return all(state == "healthy" for state in states)

        await until(all_healthy, "every service's health check is green", timeout=120)
        (migrate,) = self.stack.containers("migrate")
        state = inspect(migrate)["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 0, state
        replicas = self.stack.containers("bot")
        assert len(replicas) == 2, replicas
        async with self.http.get(self.public_url + "/healthz") as response:
            assert response.status == 200, response.status
            hsts = response.headers.get("Strict-Transport-Security")
            assert hsts == "max-age=31536000", hsts
        async with self.http.get(self.public_url + "/demo/mail") as response:
            assert response.status == 404, "Caddy must not pass the demo pages"
        return (
            "postgres, redis, proxy, emulator and 2 bot replicas healthy; migrate exited 0; "
            "https /healthz through Caddy 200 with HSTS (TLS from Caddy's internal CA); "
            "/demo/mail through Caddy 404"
        )

    async def locked_down(self) -> str:
        seen = []
        for service in ("bot", "emulator"):
            for container in self.stack.containers(service):
                info = inspect(container)
                assert info["HostConfig"]["ReadonlyRootfs"] is True, (service, "read-only")
                assert info["HostConfig"]["CapDrop"] == ["ALL"], (service, "capabilities")
                uid = subprocess.run(
                    ["docker", "exec", container, "id", "-u"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                assert uid == "10001", (service, uid)
                write = subprocess.run(
                    ["docker", "exec", container, "touch", "/opt/altum/probe"],
                    capture_output=True,
                    text=True,
                )
                assert write.returncode != 0 and "Read-only" in write.stderr, write.stderr
                seen.append(service)
        (migrate,) = self.stack.containers("migrate")
        info = inspect(migrate)
        assert info["HostConfig"]["ReadonlyRootfs"] is True and info["Config"]["User"]
        return (
            f"{len(seen)} containers ({', '.join(sorted(set(seen)))}) and migrate: uid 10001, "
            "read-only root (touch fails: Read-only file system), all capabilities dropped"
        )

    # --- the conversation ---------------------------------------------------------------

    async def conversation(self) -> str:
        user = await self.emu.create_user(self.stack.bot_id, "Emily", language_code="en")
        newcomer = Person(emu=self.emu, user_id=user["id"], bot_id=self.stack.bot_id)
        self.newcomer = newcomer
        await newcomer.say("/start")
        greeting, menu = await newcomer.replies(2, timeout=20)
        assert greeting["text"].startswith("Hello, Emily!"), greeting["text"]
        assert "🔐 Log in" in buttons(menu), buttons(menu)
        launch = await newcomer.login_app()
        assert launch["url"].startswith(self.public_url + "/link/"), launch["url"]
        await self.demo_login(launch["launch_url"], "anna")
        linked = await newcomer.reply(timeout=20)
        assert "Bērziņa" in linked["text"], linked["text"]
        await newcomer.reply(timeout=20)  # the clients to choose from
        await register_ozolkalna(newcomer, self.emu)
        link = await self.confirmation_link()
        async with self.http.get(link) as page:
            assert page.status == 200, page.status
        async with self.http.post(link) as page:
            assert page.status == 200, await page.text()
        registered, menu = await newcomer.replies(2, timeout=20)
        assert "is registered" in registered["text"], registered["text"]
        assert "Awaiting ALTUM's check" in menu["text"], menu["text"]  # the API's review
        await newcomer.say("/client")
        clients = await newcomer.reply(timeout=20)
        assert any("Ozolkalna" in b for b in buttons(clients)), clients
        self.notes["client_buttons"] = buttons(clients)
        rows = await self.stack.asql("select name, status from clients order by id")
        return (
            "through Caddy's webhook: /start, /login (Mini App with initData signed by the "
            "emulator, demo provider on a replica, callback through Caddy) linked Anna "
            "Bērziņa; /register walked to the end; the confirmation link from a replica's "
            f"demo mailbox confirmed it through Caddy; /client lists {buttons(clients)}; "
            f"clients in PostgreSQL: {rows}"
        )

    async def demo_login(self, launch_url: str, person: str) -> None:
        """The Mini App page posts its initData; our page sends the browser to the identity
        provider. The demo provider is served by the replicas but is not behind Caddy (as
        Latvija.lv is not): the check opens it on a replica's own port."""
        async with self.http.get(launch_url) as response:
            assert response.status == 200, await response.text()
        async with mini_app_post(self.http, launch_url, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            authorize = response.headers["Location"]
        assert authorize.startswith(self.public_url + "/demo/authorize"), authorize
        port = self.stack.replica_ports()[0]
        direct = f"http://127.0.0.1:{port}" + authorize[len(self.public_url) :]
        async with self.http.get(direct) as response:
            assert response.status == 200, await response.text()
        query = dict(parse_qsl(urlsplit(direct).query))
        async with self.http.post(
            direct.split("?", 1)[0], data={**query, "person": person}, allow_redirects=False
        ) as response:
            assert response.status == 303, await response.text()
            callback = response.headers["Location"]
        assert callback.startswith(self.public_url + "/auth/callback"), callback
        async with self.http.get(callback) as response:  # through Caddy, with the cookie
            assert response.status == 200, await response.text()

    async def confirmation_link(self) -> str:
        """The confirmation e-mail went out from whichever replica sent it: look in both
        replicas' demo mailboxes."""
        pattern = re.compile(r'href="(' + re.escape(self.public_url) + r'/confirm/[^"]+)"')
        found: list[str] = []

        async def look() -> bool:
            for port in self.stack.replica_ports():
                async with self.http.get(f"http://127.0.0.1:{port}/demo/mail") as page:
                    found.extend(pattern.findall(await page.text()))
            return bool(found)

        await until(look, "the confirmation e-mail is in a demo mailbox", timeout=30)
        return found[0]

    # --- a replica killed mid-run --------------------------------------------------------

    async def users(self, count: int, prefix: str) -> list[Person]:
        people = []
        for n in range(count):
            user = await self.emu.create_user(
                self.stack.bot_id, f"{prefix}{n}", language_code="lv", started=True
            )
            people.append(Person(emu=self.emu, user_id=user["id"], bot_id=self.stack.bot_id))
        return people

    async def help_replies(self, someone: Person) -> list[dict[str, Any]]:
        messages = await self.emu.messages(self.stack.bot_id, someone.user_id)
        return [
            m
            for m in messages
            if m.get("from", {}).get("is_bot") and m["text"].startswith(HELP_REPLY)
        ]

    async def each_gets(self, people: list[Person], count: int, timeout: float) -> None:
        async def done() -> bool:
            got = [len(await self.help_replies(p)) for p in people]
            if max(got) > count:
                extra = people[got.index(max(got))]
                raise AssertionError(
                    f"a duplicate reply: {got}\n{await self.chat_story(extra.user_id)}"
                )
            return min(got) == count

        await until(done, f"every user has {count} replies", timeout=timeout)

    async def chat_story(self, chat_id: int) -> str:
        """What the emulator and the outbox saw of one chat, for a failure message."""
        bot = self.stack.bot_id
        lines = ["messages (id, from bot, date, text):"]
        for m in await self.emu.messages(bot, chat_id):
            lines.append(f"  {m['message_id']} {m['from_bot']} {m['date']} {m['text'][:30]!r}")
        lines.append("sendMessage calls (seq, status, fault, time, source):")
        for c in await self.emu.calls(bot, method="sendMessage", chat_id=chat_id):
            lines.append(f"  {c['seq']} {c['status']} {c['fault']} {c['time']} {c['source']}")
        lines.append("outbox rows (id, created, locked_until, sent, attempts, error):")
        for row in await self.stack.asql(
            "select id, created_at, locked_until, sent_at, attempts, last_error from outbox "
            f"where chat_id = {chat_id} order by id"
        ):
            lines.append("  " + " | ".join(row))
        return "\n".join(lines)

    async def replica_killed(self) -> str:
        people = await self.users(8, "Kill")
        replicas = self.stack.containers("bot")
        cpu_before = {c: cpu_seconds(c) for c in replicas}
        for _round in range(3):  # warm-up: both replicas serve (round robin)
            await asyncio.gather(*(p.say("/help") for p in people))
            await self.each_gets(people, _round + 1, timeout=30)
        served = {c[:12]: round(cpu_seconds(c) - cpu_before[c], 2) for c in replicas}
        assert all(v > 0.05 for v in served.values()), f"a replica took no webhooks: {served}"
        # Replies hang 4 s and never arrive: whoever sends them now, fails, and the kill
        # comes while they hang. The killed replica's are left to their lease
        # (OUTBOX_LEASE_SECONDS, 15 s here: longer than a reply's own retries after two such
        # drops, else the sweeper would send a reply still being retried, and it would
        # arrive twice).
        await self.emu.add_fault(
            self.stack.bot_id, "sendMessage", latency_ms=4000, drop=True, count=len(people)
        )
        await asyncio.gather(*(p.say("/help") for p in people))
        chats = ",".join(str(p.user_id) for p in people)
        pending_sql = (
            "select id, extract(epoch from locked_until) from outbox "
            f"where sent_at is null and kind = 'telegram' and chat_id in ({chats})"
        )
        pending: dict[int, float] = {}

        async def committed() -> bool:
            pending.update({int(i): float(t) for i, t in await self.stack.asql(pending_sql)})
            return len(pending) >= len(people)

        await until(committed, "the burst is committed", timeout=20, every=0.1)
        victim = replicas[0]
        killed_at = time.time()
        subprocess.run(
            ["docker", "kill", "--signal", "KILL", victim], check=True, capture_output=True
        )
        locks = await self.redis_locks()
        for _ in range(2):  # the survivor takes the webhooks (the emulator retries 502s)
            await asyncio.gather(*(p.say("/help") for p in people))
        await self.each_gets(people, 6, timeout=90)
        all_answered = time.time() - killed_at
        await asyncio.sleep(17)  # a lease and more: time for a duplicate to show up
        await self.each_gets(people, 6, timeout=1)
        ids = ",".join(map(str, pending))
        sent = {
            int(i): float(t)
            for i, t in await self.stack.asql(
                f"select id, extract(epoch from sent_at) from outbox where id in ({ids})"
            )
        }
        assert len(sent) == len(pending), (pending, sent)
        after_lease = [i for i in pending if sent[i] >= pending[i]]
        assert after_lease, f"no row waited for its lease: {pending} {sent}"
        assert await self.emu.pending_updates(self.stack.bot_id) == []
        info = await self.emu.webhook_info(self.stack.bot_id)
        subprocess.run(["docker", "start", victim], check=True, capture_output=True)
        await until(self.all_bots_healthy, "the killed replica is back", timeout=120)
        return (
            f"8 users x 6 /help, every one answered exactly once, the last {all_answered:.0f} s "
            f"after the kill (per-person locks in Redis just after it: {locks}; those the dead "
            "replica held keep its people waiting until they expire); before the kill both "
            f"replicas served (CPU s {served}); {len(pending)} replies committed and unsent "
            f"when {victim[:12]} got SIGKILL; {len(after_lease)} of them sent only after "
            f"their lease ran out (by the survivor's sweeper), the rest by the survivor's "
            f"retries; webhook last error seen by the emulator: "
            f"{info.get('last_error_message')!r}; no update left pending"
        )

    async def redis_locks(self) -> str:
        """The per-person locks in Redis right now, with their seconds to live."""
        keys = (await self.stack.arun("exec", "-T", "redis", "redis-cli", "--scan")).split()
        ttls = []
        for key in keys:
            if key.endswith(":lock"):
                ttl = await self.stack.arun("exec", "-T", "redis", "redis-cli", "ttl", key)
                if ttl.strip() != "-2":  # released since the scan
                    ttls.append(ttl.strip())
        return f"{len(ttls)} (seconds to live: {', '.join(sorted(ttls))})"

    # --- PostgreSQL restarted -------------------------------------------------------------

    async def postgres_restarted(self) -> str:
        people = await self.users(4, "Pg")
        await self.stack.arun("stop", "postgres")
        async with self.http.get(self.public_url + "/healthz") as response:
            down_health = response.status
        assert down_health >= 500, down_health
        await asyncio.gather(*(p.say("/help") for p in people))

        async def refused() -> bool:
            info = await self.emu.webhook_info(self.stack.bot_id)
            return bool(re.search(r"\b5\d\d\b", info.get("last_error_message") or "")) and (
                info.get("last_error_date", 0) >= started
            )

        started = int(time.time())
        await until(refused, "the webhook answers 5xx", timeout=30)
        error = (await self.emu.webhook_info(self.stack.bot_id))["last_error_message"]
        for p in people:
            assert await self.help_replies(p) == []
        await self.stack.arun("start", "postgres")
        await self.each_gets(people, 1, timeout=90)
        await asyncio.gather(*(p.say("/help") for p in people))
        await self.each_gets(people, 2, timeout=30)
        await asyncio.sleep(3)
        await self.each_gets(people, 2, timeout=1)
        await until(self.all_bots_healthy, "the replicas are healthy again", timeout=60)
        return (
            f"PostgreSQL stopped: /healthz through Caddy {down_health}, webhooks answered "
            f"{error!r} and no reply went out; started again: the 4 waiting updates "
            "answered once each, then 4 more; both replicas healthy again"
        )

    async def all_bots_healthy(self) -> bool:
        states = [
            inspect(c)["State"].get("Health", {}).get("Status")
            for c in self.stack.containers("bot")
        ]
        return len(states) == 2 and all(s == "healthy" for s in states)

    # --- down && up ---------------------------------------------------------------------

    COUNTED = (
        "persons",
        "telegram_accounts",
        "clients",
        "memberships",
        "registrations",
        "activity_events",
        "processed_updates",
        "ur_companies",
    )

    async def counts(self) -> dict[str, int]:
        query = " union all ".join(f"select '{t}', count(*) from {t}" for t in self.COUNTED)
        return {name: int(n) for name, n in await self.stack.asql(query)}

    async def down_up(self) -> str:
        before = await self.counts()
        root = self.stack.root_certificate()
        await self.stack.arun("down")
        await self.stack.arun("up", "-d")
        await until(self.all_bots_healthy, "the replicas are healthy after up", timeout=120)
        after = await self.counts()
        assert after == before, (before, after)
        assert self.stack.root_certificate() == root, "Caddy's CA changed"
        # The emulator is Telegram's stand-in and keeps nothing: the same user again, and the
        # webhook set again (Telegram would have kept both).
        await self.stack.arun("run", "--rm", "--no-deps", "bot", "set-webhook")
        await self.fresh_update_ids()
        assert self.newcomer is not None
        user = await self.emu.create_user(
            self.stack.bot_id, "Emily", language_code="en", user_id=self.newcomer.user_id
        )
        again = Person(emu=self.emu, user_id=user["id"], bot_id=self.stack.bot_id)
        await again.say("/client")
        clients = await again.reply(timeout=30)
        assert buttons(clients) == self.notes["client_buttons"], buttons(clients)
        return (
            f"row counts equal before and after ({before}); Caddy's internal CA kept; "
            f"the same Telegram user's /client lists {buttons(clients)} again"
        )

    async def fresh_update_ids(self) -> None:
        """The new emulator numbers updates from a random start; the bot remembers the ids
        it processed for a week. An overlap would make new updates look like redeliveries:
        start the emulator's world afresh until it cannot."""
        for _ in range(10):
            async with self.http.get(
                f"{self.emu.base_url}/control/bots/{self.stack.bot_id}/updates"
            ) as answer:
                first = int((await answer.json())["next_update_id"])
            clash = await self.stack.asql(
                "select count(*) from processed_updates "
                f"where update_id between {first} and {first + 100000}"
            )
            if clash == [["0"]]:
                return
            await self.emu.reset(self.stack.bot_id)
            await self.stack.arun("run", "--rm", "--no-deps", "bot", "set-webhook")
        raise AssertionError("the emulator's update ids keep overlapping the processed ones")

    # --- the back-office API --------------------------------------------------------------

    async def backoffice_api(self) -> str:
        """ALTUM's side: a token made with the CLI in a one-off container, then the API
        through Caddy: the registration's events, its review, the approval told in chat."""
        scopes = ("registrations:read", "registrations:write", "clients:read", "events:read")
        made = await self.stack.arun(
            "run", "--rm", "--no-deps", "bot", "api-token", "create", "compose-check",
            *(f"--scope={scope}" for scope in scopes),
        )  # fmt: skip
        token = made.strip().splitlines()[-1]
        api = self.public_url + "/api/v1"
        auth = {"Authorization": f"Bearer {token}"}
        async with self.http.get(api + "/registrations") as answer:
            assert answer.status == 401, answer.status  # no token
        async with self.http.get(api + "/events", headers=auth) as answer:
            assert answer.status == 200, await answer.text()
            events = [e["type"] for e in (await answer.json())["events"]]
        assert {"client.registered", "client.confirmed"} <= set(events), events
        query = "?status=awaiting_review"
        async with self.http.get(api + "/registrations" + query, headers=auth) as answer:
            (waiting,) = (await answer.json())["items"]
        assert waiting["name"] == 'SIA "Ozolkalna Koks"', waiting
        approve = f"{api}/registrations/{waiting['id']}/approve"
        async with self.http.post(approve, headers=auth) as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["status"] == "approved"
        assert self.newcomer is not None
        told = await self.newcomer.reply(timeout=20)
        assert "You can now sign and submit" in told["text"], told["text"]
        async with self.http.get(f"{api}/clients/{waiting['client_id']}", headers=auth) as answer:
            client = await answer.json()
        assert client["awaiting_review"] is False, client
        return (
            "a token made by `run --rm bot api-token create`; through Caddy: no token 401; "
            f"/api/v1/events {events}; the registration awaiting review approved (200, "
            "approved), the chat told 'You can now sign and submit…', the client no longer "
            "awaiting review"
        )


@contextlib.asynccontextmanager
async def connected(stack: Stack, ca_file: Path) -> AsyncIterator[Check]:
    context = ssl.create_default_context(cafile=str(ca_file))
    connector = aiohttp.TCPConnector(
        resolver=PublicHost(stack.public_host, stack.https_port), ssl=context
    )
    async with (
        aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as http,
        EmulatorClient(f"http://127.0.0.1:{stack.emulator_port}") as emu,
    ):
        yield Check(stack=stack, http=http, emu=emu, public_url=f"https://{stack.public_host}")


async def main() -> int:
    stack = Stack(
        compose=shlex.split(env("COMPOSE")),
        public_host=env("PUBLIC_HOST"),
        https_port=int(env("HTTPS_PORT")),
        emulator_port=int(env("EMULATOR_PORT")),
        bot_id=int(env("BOT_TOKEN").split(":", 1)[0]),
    )
    started = time.monotonic()
    print("== build (the production Dockerfile; PYTHON_IMAGE=" + env("PYTHON_IMAGE") + ")")
    await stack.arun("build", timeout=1800)
    print(f"   built in {time.monotonic() - started:.0f} s", flush=True)
    up = time.monotonic()
    # Caddy first: its internal CA's root certificate is what the emulator (and this
    # driver) trust for https://PUBLIC_HOST.
    await stack.arun("up", "-d", "proxy", timeout=600)
    ca_file = Path(env("CADDY_ROOT_CERT"))
    for _ in range(120):
        certificate = await asyncio.to_thread(stack.root_certificate, check=False)
        if "BEGIN CERTIFICATE" in certificate:
            break
        await asyncio.sleep(0.5)
    ca_file.write_text(certificate)
    ca_file.chmod(0o644)
    await stack.arun("up", "-d", timeout=600)
    await stack.arun("run", "--rm", "--no-deps", "bot", "set-webhook")
    # The daily Company Register import, as documented, with the demo's sample files.
    imported = await stack.arun("run", "--rm", "--no-deps", "ur-import")
    print(f"   ur-import: {imported.strip().splitlines()[-1]}")
    print(f"   up, webhook set and register imported in {time.monotonic() - up:.0f} s", flush=True)
    async with connected(stack, ca_file) as check:
        await step("health checks", check.healthy)
        await step("non-root, read-only", check.locked_down)
        await step("a conversation through the webhook path", check.conversation)
        await step("the back-office API through Caddy", check.backoffice_api)
        for _ in range(int(os.environ.get("COMPOSE_CHECK_KILLS", "1"))):
            await step("a replica killed mid-run", check.replica_killed)
        await step("PostgreSQL restarted", check.postgres_restarted)
        await step("docker compose down && up", check.down_up)
    total = time.monotonic() - started
    print(f"\ncompose-check: {len(ASSERTIONS)} steps passed in {total:.0f} s (with the build)")
    for name, took, _seen in ASSERTIONS:
        print(f"  {took:6.1f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
