"""The API's documentation page: the OpenAPI document rendered to plain HTML on the server.
No scripts and nothing from a CDN, so it works with no internet access."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from api.problems import KINDS

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d2a3a}h1{font-size:1.5rem}h2{margin-top:2.5rem;border-bottom:1px solid #d5dde6}
h3{font-size:1.05rem;margin:1.6rem 0 .3rem}code,pre{font:13px/1.4 ui-monospace,monospace}
pre{background:#f4f6f8;padding:.6rem;overflow:auto;border-radius:6px;max-height:24rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700}.GET{color:#0b6e4f}
.PUT,.PATCH{color:#8a5a00}.POST{color:#1f5fbf}.DELETE{color:#b3261e}
table{border-collapse:collapse;display:block;overflow-x:auto}td,th{border:1px solid #d5dde6;
padding:.2rem .5rem;text-align:left;vertical-align:top}.muted{color:#5b6b7c}
td code,h3 code{overflow-wrap:anywhere}
"""
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
}


def render(spec: dict[str, Any]) -> str:
    info = spec["info"]
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info['title'])}</h1>",
        "".join(f"<p>{_inline(p)}</p>" for p in info["description"].split("\n\n")),
        '<p class="muted">Machine-readable: <a href="/api/v1/openapi.json">'
        "openapi.json</a> (OpenAPI 3.1).</p>",
        "<ul>"
        + "".join(
            f'<li><a href="#tag-{escape(t["name"])}">{escape(t["name"])}</a> — '
            f"{escape(t['description'])}</li>"
            for t in spec["tags"]
        )
        + '<li><a href="#problems">Problems</a></li></ul>',
    ]
    for tag in spec["tags"]:
        parts.append(f'<h2 id="tag-{escape(tag["name"])}">{escape(tag["name"])}</h2>')
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if tag["name"] in operation["tags"]:
                    parts.append(_operation(method.upper(), path, operation))
    parts.append(
        '<h2 id="problems">Problems</h2><p>Every error is <code>application/'
        "problem+json</code> (RFC 9457); its <code>type</code> points here.</p><dl>"
    )
    for status, (slug, title) in sorted(KINDS.items()):
        parts.append(f'<dt id="problem-{slug}"><b>{status}</b> {escape(title)}</dt>')
    parts.append("</dl><h2>Schemas</h2>")
    for name, schema in spec["components"]["schemas"].items():
        parts.append(f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>{_json(schema)}')
    parts.append("</body></html>")
    return "".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    anchor = escape(operation["operationId"])
    html = [
        f'<h3 id="{anchor}"><span class="m {method}">{method}</span>'
        f"<code>/api/v1{escape(path)}</code></h3>",
        f"<p><b>{escape(operation['summary'])}</b></p>",
        "".join(f"<p>{_inline(p)}</p>" for p in operation.get("description", "").split("\n\n")),
    ]
    parameters = operation.get("parameters", [])
    if parameters:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{p['in']}</td>"
            f"<td>{'yes' if p['required'] else 'no'}</td>"
            f"<td><code>{escape(json.dumps(p['schema'], ensure_ascii=False))}</code>"
            f"{' — ' + escape(p['description']) if p.get('description') else ''}</td></tr>"
            for p in parameters
        )
        html.append(
            "<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>"
            f"{rows}</table>"
        )
    body = operation.get("requestBody")
    if body:
        html.append("<p>Body:</p>" + _json(body["content"]["application/json"]["schema"]))
    answers = []
    for status, answer in operation["responses"].items():
        content: dict[str, Any] = answer.get("content", {})
        first: dict[str, Any] = next(iter(content.values()), {})
        schema = first.get("schema")
        ref = schema.get("$ref", "").rsplit("/", 1)[-1] if schema else ""
        target = f' — <a href="#schema-{escape(ref)}">{escape(ref)}</a>' if ref else ""
        answers.append(f"<li><b>{status}</b> {escape(answer['description'])}{target}</li>")
    html.append("<ul>" + "".join(answers) + "</ul>")
    return "".join(html)


def _json(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"


def _inline(text: str) -> str:
    """Markdown's `code` spans only; everything else as text."""
    pieces = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
