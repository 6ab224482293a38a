"""What every page a person opens must pass in a real browser: its language declared, readable
on a 360 px wide phone without scrolling sideways, buttons reachable and usable by keyboard.
(No external resources: `Page.keep_local` fails any request off this machine.)"""

from __future__ import annotations

import json

from browser_support import Page

PHONE_WIDTH = 360


async def check_page(page: Page, *, lang: str, frame_id: str | None = None) -> None:
    declared = await page.evaluate("document.documentElement.lang", frame_id=frame_id)
    assert declared == lang, f"lang={declared!r}, expected {lang!r}"
    scroll, visible = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
        frame_id=frame_id,
    )
    assert visible <= PHONE_WIDTH, f"the viewport is {visible} px wide: not a phone"
    assert scroll <= visible, f"{scroll} px of content in a {visible} px wide view"


async def tab_to(page: Page, label: str, *, frame_id: str | None = None, limit: int = 40) -> None:
    """Press Tab until the focus is on the button `label` (fails if it never gets there),
    and see that the focus shows."""
    focused = (
        "(() => { const e = document.activeElement;"
        " return e && e.tagName === 'BUTTON' ? e.textContent : null; })()"
    )
    seen = []
    for _ in range(limit):
        await page.key("Tab")
        now = await page.evaluate(focused, frame_id=frame_id)
        if now == label:
            ring = await page.evaluate(
                "getComputedStyle(document.activeElement).outlineStyle", frame_id=frame_id
            )
            assert ring != "none", f"{label!r} has the focus but shows no focus ring"
            return
        seen.append(now)
    raise AssertionError(f"Tab never reached {label!r}; focus went: {json.dumps(seen)}")
