"""The few web pages people see: small, localized, nothing cached; no scripts but our own
small ones, no frames but Telegram's."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from html import escape

from aiohttp import web

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;
color:#1d2a3a;overflow-wrap:break-word}
h1{font-size:1.35rem}.box{border:1px solid #d5dde6;border-radius:12px;padding:1.25rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:8px;border:0;background:#0b6e4f;
color:#fff;cursor:pointer;margin:.25rem 0}.muted{color:#5b6b7c;font-size:.9rem}
.error{border-color:#d9534f}ul{padding-left:1.2rem}
"""

HEADERS = {
    "Cache-Control": "no-store",
    # URLs hold one-time tokens: no Referer to other sites. Same-origin requests keep theirs,
    # and with it a real `Origin` on our own form posts ("no-referrer" would make it "null").
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def content_security_policy(
    *,
    form_origins: Iterable[str] = (),
    frame_ancestors: str | None = None,
    script_nonce: str | None = None,
) -> str:
    """No scripts but one of ours by nonce; framed by nobody unless `frame_ancestors` says
    who may (the Telegram clients that show Mini Apps in a frame); forms go to the bot itself
    and to `form_origins` (the identity provider «Continue» redirects to), nowhere else."""
    directives = {
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "base-uri": "'none'",
        "form-action": " ".join(("'self'", *form_origins)),
        "frame-ancestors": frame_ancestors or "'none'",
    }
    if script_nonce is not None:
        directives["script-src"] = f"'nonce-{script_nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def allow_forms_to(policy: str, form_origins: Iterable[str]) -> str:
    """`policy` with its form-action widened to `form_origins` too: pages are built without
    knowing the provider, the web app (`web.create_web_app`) adds it to every answer."""
    sources = " ".join(form_origins)
    if not sources:
        return policy
    return "; ".join(
        f"{part} {sources}" if part.split()[:1] == ["form-action"] else part
        for part in (directive.strip() for directive in policy.split(";"))
    )


def headers(
    *, frame_ancestors: str | None = None, script_nonce: str | None = None
) -> dict[str, str]:
    """The pages' headers, with their content security policy (see above)."""
    csp = content_security_policy(frame_ancestors=frame_ancestors, script_nonce=script_nonce)
    result = {**HEADERS, "Content-Security-Policy": csp}
    if frame_ancestors is None:
        result["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
    return result


def page(
    *,
    title: str,
    body_html: str,
    lang: str,
    status: int = 200,
    error: bool = False,
    frame_ancestors: str | None = None,
    script: str | None = None,
) -> web.Response:
    """`body_html` is trusted markup: callers escape what they put in it. `script` is ours
    too: it runs by a fresh nonce, and nothing else does."""
    nonce = secrets.token_urlsafe(16) if script is not None else None
    tail = f'<script nonce="{nonce}">{script}</script>' if script is not None else ""
    html = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<div class="box{" error" if error else ""}"><h1>{escape(title)}</h1>{body_html}</div>'
        f"{tail}</body></html>"
    )
    return web.Response(
        text=html,
        content_type="text/html",
        status=status,
        headers=headers(frame_ancestors=frame_ancestors, script_nonce=nonce),
    )


def form(action: str, button: str, hidden: dict[str, str] | None = None) -> str:
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in (hidden or {}).items()
    )
    return (
        f'<form method="post" action="{escape(action)}">{fields}'
        f'<button type="submit">{escape(button)}</button></form>'
    )
