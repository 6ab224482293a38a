"""The Mini App page's one script, run in Node with a stand-in DOM: it posts the initData from
the launch URL only inside a Telegram client (the apps' proxy, or a frame), never from a
plain browser tab, where a copied launch URL would otherwise hand over someone's initData."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from aiohttp import web

from web import login
from web.miniapp import bootstrap_page, frame_ancestors, origin_of

RUNNER = r"""
const vm = require("vm");
const [script, cases] = [process.argv[1], JSON.parse(process.argv[2])];
const results = cases.map(({hash, proxy, framed, notify}) => {
  let posted = null;
  const form = {elements: {init_data: {value: "unset"}},
                submit() { posted = this.elements.init_data.value; }};
  const win = {external: notify ? {notify() {}} : {AddSearchProvider() {}}};
  win.parent = framed ? {} : win;
  if (proxy) win.TelegramWebviewProxy = {postEvent() {}};
  vm.runInNewContext(script, {window: win, location: {hash}, URLSearchParams,
                              document: {getElementById: () => form}});
  return posted;
});
console.log(JSON.stringify(results));
"""


def page_script() -> str:
    response = bootstrap_page(
        action="/link/abc",
        title="t",
        waiting="w",
        without_script="n",
        lang="en",
        frame_ancestors=frame_ancestors(production=True, bot_api_url="https://api.telegram.org"),
    )
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp)
    assert nonce is not None and "default-src 'none'" in csp
    assert response.text is not None
    found = re.search(rf'<script nonce="{nonce.group(1)}">(.*?)</script>', response.text)
    assert found is not None and response.text.count("<script") == 1
    return found.group(1)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_page_posts_init_data_only_inside_telegram() -> None:
    launch = "#tgWebAppData=" + quote("query_id=Q&user=%7B%22id%22%3A7%7D&hash=ab", safe="")
    launch += "&tgWebAppVersion=8.0&tgWebAppPlatform=android"
    cases = [
        {"hash": launch, "proxy": False, "framed": False},  # a browser tab
        {"hash": launch, "proxy": True, "framed": False},  # Telegram's apps
        {"hash": launch, "proxy": False, "framed": True},  # Telegram Web's frame
        {"hash": launch, "notify": True, "framed": False},  # the old Windows Phone app
        {"hash": "", "proxy": True, "framed": False},  # inside Telegram, but no initData
    ]
    result = subprocess.run(
        ["node", "-e", RUNNER, page_script(), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    init_data = "query_id=Q&user=%7B%22id%22%3A7%7D&hash=ab"
    assert json.loads(result.stdout) == ["", init_data, init_data, init_data, ""]


def test_only_telegram_may_frame_the_pages_and_the_flow_cookie_survives_frames() -> None:
    telegram = "https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
    demo = frame_ancestors(production=False, bot_api_url="http://127.0.0.1:8081")
    assert demo == telegram + " http://127.0.0.1:8081"  # the web chat
    real = frame_ancestors(production=False, bot_api_url="https://api.telegram.org")
    assert real == telegram  # api.telegram.org frames nothing
    production = frame_ancestors(production=True, bot_api_url="http://127.0.0.1:8081")
    assert production == telegram
    assert origin_of("https://Bot.Altum.lv:443/x/") == "https://bot.altum.lv"
    assert origin_of("http://127.0.0.1:8080") == "http://127.0.0.1:8080"

    # On https the flow cookie must reach the callback from a cross-site frame (Telegram
    # Web) and from Latvija.lv's cross-site POST; plain http (the demo) cannot say None.
    # (Set by hand: this Python's http.cookies cannot say Partitioned.)
    https = SimpleNamespace(public_url="https://bot.altum.lv")
    assert flow_cookie(https) == {
        "altum_login=key",
        "Path=/auth",
        "HttpOnly",
        "Max-Age=600",
        "Secure",
        "SameSite=None",
        "Partitioned",
    }
    http = SimpleNamespace(public_url="http://127.0.0.1:8080")
    assert flow_cookie(http) == {
        "altum_login=key",
        "Path=/auth",
        "HttpOnly",
        "Max-Age=600",
        "SameSite=Lax",
    }


def flow_cookie(surface: SimpleNamespace) -> set[str]:
    response = web.Response()
    login._set_flow_cookie(response, surface, "key", max_age=600)  # type: ignore[arg-type]
    (cookie,) = response.headers.getall("Set-Cookie")
    return {part.strip() for part in cookie.split(";")}
