"""Pages that open as a Telegram Mini App and must know who opened them (logging in; later,
confirming a signature).

Telegram opens a Mini App button's URL with the signed `initData` in the fragment
(`#tgWebAppData=…`), which never reaches a server by itself. `bootstrap_page` answers the GET
with a page whose one small script (ours, by nonce; nothing loaded from elsewhere) posts it
back to the same URL; `opened_by` checks that post: our own origin, and `initData` genuine
(`portal.miniapp`), fresh and of the expected user. Opened any other way there is no
`initData`, and the caller refuses.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from portal.miniapp import MiniAppRefusal, MiniAppRefused, MiniAppUser, verify_init_data
from web.pages import page
from web.surface import Surface

FIELD = "init_data"
# The web clients that show Mini Apps in a frame (the apps use a web view, not a frame).
TELEGRAM_WEB_CLIENTS = (
    "https://web.telegram.org",
    "https://webk.telegram.org",
    "https://webz.telegram.org",
)
# Posts initData only from inside a Telegram client, detected as telegram-web-app.js detects
# it: the apps' injected proxy, or a frame (which only Telegram's web clients may make: see
# `frame_ancestors`). A launch URL copied out of a Mini App, initData and all, and opened in
# a browser posts nothing.
_POST_INIT_DATA = (
    '(function(){var f=document.getElementById("tg-form");'
    'var inTelegram=window.TelegramWebviewProxy!==undefined||!!(window.external&&"notify"in '
    "window.external)||window.parent!==window;"
    "var launch=new URLSearchParams(location.hash.slice(1));"
    f'f.elements["{FIELD}"].value=inTelegram?launch.get("tgWebAppData")||"":"";'
    "f.submit();})();"
)


def origin_of(url: str) -> str:
    """`https://bot.example.lv:443/x` -> `https://bot.example.lv`, as browsers send Origin."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default = {"https": 443, "http": 80}.get(scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}{port}"


def frame_ancestors(*, production: bool, bot_api_url: str) -> str:
    """Who may show these pages in a frame: Telegram's web clients; outside production also
    the Bot API server's origin, which is the emulator's web chat in the demo and tests."""
    allowed = list(TELEGRAM_WEB_CLIENTS)
    if not production:
        emulator = origin_of(bot_api_url)
        if emulator not in allowed and emulator != "https://api.telegram.org":
            allowed.append(emulator)
    return " ".join(allowed)


def bootstrap_page(
    *, action: str, title: str, waiting: str, without_script: str, lang: str, frame_ancestors: str
) -> web.Response:
    """A page that posts the Mini App's `initData` to `action` at once."""
    body = (
        f"<p>{escape(waiting)}</p>"
        f'<form method="post" action="{escape(action)}" id="tg-form">'
        f'<input type="hidden" name="{FIELD}" value=""></form>'
        f"<noscript><p>{escape(without_script)}</p></noscript>"
    )
    return page(
        title=title,
        body_html=body,
        lang=lang,
        frame_ancestors=frame_ancestors,
        script=_POST_INIT_DATA,
    )


def opened_by_another_site(request: web.Request) -> bool:
    """A top-level navigation another site started (a link or redirect on its page, such as
    another bot's Mini App sending its web view here). Telegram's apps open a Mini App
    themselves (`Sec-Fetch-Site: none`) and its web client in a frame; browsers without
    fetch metadata send neither header."""
    return request.headers.get("Sec-Fetch-Dest") == "document" and request.headers.get(
        "Sec-Fetch-Site"
    ) in ("cross-site", "same-site")


def from_our_page(request: web.Request, public_url: str) -> bool:
    """A POST from our own page. Browsers send `Origin` with every POST (our pages' referrer
    policy keeps it real) and `Sec-Fetch-Site` where they can; another site's form sends
    its own origin, `null`, or cross-site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    return request.headers.get("Origin") == origin_of(public_url)


async def opened_by(
    request: web.Request, *, surface: Surface, now: datetime, expected_user_id: int | None = None
) -> MiniAppUser:
    """The Telegram user who opened this page as our bot's Mini App, from a POST made by
    `bootstrap_page`. Raises `MiniAppRefused`: FOREIGN_ORIGIN for a post from another site,
    MISSING without `initData` (a browser), and as `verify_init_data` does."""
    if not from_our_page(request, surface.public_url):
        raise MiniAppRefused(MiniAppRefusal.FOREIGN_ORIGIN)
    data = await request.post()
    init_data = data.get(FIELD, "")
    return verify_init_data(
        init_data if isinstance(init_data, str) else "",
        key=surface.mini_app_key,
        now=now,
        expected_user_id=expected_user_id,
    )
