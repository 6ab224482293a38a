"""The few web pages people see: small, localized, no scripts, nothing cached or framed."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiohttp import web

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;
color:#1d2a3a}
h1{font-size:1.35rem}.box{border:1px solid #d5dde6;border-radius:12px;padding:1.25rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:8px;border:0;background:#0b6e4f;
color:#fff;cursor:pointer;margin:.25rem 0}.muted{color:#5b6b7c;font-size:.9rem}
.error{border-color:#d9534f}ul{padding-left:1.2rem}
"""


def content_security_policy(form_origins: Iterable[str] = ()) -> str:
    """No scripts, nothing framed; forms go to the bot itself and to `form_origins` (the
    identity provider, where «Continue» redirects), and nowhere else."""
    targets = " ".join(("'self'", *form_origins))
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; "
        "frame-ancestors 'none'"
    )


HEADERS = {
    "Cache-Control": "no-store",
    # The URL holds a one-time token: it must not leak to other sites through Referer.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The web app widens form-action to the configured provider (bot.web.create_web_app).
    "Content-Security-Policy": content_security_policy(),
}


def page(
    *, title: str, body_html: str, lang: str, status: int = 200, error: bool = False
) -> web.Response:
    """`body_html` is trusted markup: callers escape what they put in it."""
    html = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<div class="box{" error" if error else ""}"><h1>{escape(title)}</h1>{body_html}</div>'
        "</body></html>"
    )
    return web.Response(text=html, content_type="text/html", status=status, headers=HEADERS)


def form(action: str, button: str, hidden: dict[str, str] | None = None) -> str:
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in (hidden or {}).items()
    )
    return (
        f'<form method="post" action="{escape(action)}">{fields}'
        f'<button type="submit">{escape(button)}</button></form>'
    )
