"""The web pages reach the database only through the Surface the runtime hands them: a
database outage comes to them as `web.surface.Unavailable`, which the login callback answers
with 503 (try again later), telling nobody anything was done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import create_i18n
from bot.surfaces import transactions
from dialogs.outgoing import Outgoing
from portal.model import TimeLimits
from portal.ports import UnitOfWork
from storage.database import Database, DatabaseUnavailable
from web import create_web_app
from web.login import CALLBACK_PATH, COOKIE
from web.miniapp import frame_ancestors
from web.surface import Surface, Unavailable


async def test_a_database_that_does_not_answer_is_unavailable_to_the_pages() -> None:
    """Nothing listens on port 1: the page's first query fails, and so does the transaction."""
    database = Database("postgresql://nobody@127.0.0.1:1/none")
    app = SimpleNamespace(database=database, sender=None)  # nothing is sent after a failure

    async def work(uow: UnitOfWork, _outgoing: Outgoing) -> None:
        await uow.accounts.get(7)

    try:
        run = transactions(app)  # type: ignore[arg-type]
        try:
            await run(work)
        except Unavailable as unavailable:
            assert isinstance(unavailable.__cause__, DatabaseUnavailable)
        else:
            raise AssertionError("no Unavailable")
    finally:
        await database.dispose()


class OutageWhileLinking:
    """The flow is taken (first transaction); the database is gone when the person is to be
    linked (second). Any further transaction, such as telling the chat, is counted."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, work: Callable[[Any, Any], Awaitable[Any]], /) -> Any:
        self.calls += 1
        if self.calls == 1:
            flow = SimpleNamespace(provider="demo", telegram_user_id=7, flow_state={})
            return flow, "en"
        raise Unavailable("simulated outage")


class Provider:
    name = "demo"

    async def finish(self, **_arguments: Any) -> object:
        return object()  # never used: the outage comes first


async def test_an_outage_while_linking_answers_503_and_tells_the_chat_nothing() -> None:
    transaction = OutageWhileLinking()
    surface = Surface(
        transaction=transaction,
        i18n=create_i18n(),
        identity=Provider(),  # type: ignore[arg-type]
        public_url="http://127.0.0.1:8080",
        mini_app_key=b"k",
        frame_ancestors=frame_ancestors(production=True, bot_api_url="https://api.telegram.org"),
        limits=TimeLimits(
            login_link=timedelta(minutes=10),
            login_flow=timedelta(minutes=10),
            confirmation=timedelta(hours=24),
        ),
        registration_review=True,
        at_least_counts="others",
    )
    async with TestClient(TestServer(create_web_app(surface))) as client:
        client.session.cookie_jar.update_cookies({COOKIE: "flow-session"})
        async with client.get(CALLBACK_PATH, params={"state": "s", "person": "anna"}) as page:
            assert page.status == 503
            assert "not answering right now" in await page.text()
    assert transaction.calls == 2  # taken, then the outage; no third to tell the chat
