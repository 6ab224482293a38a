"""Cutting a text to fit a button or a list line without cutting a word in half."""

from __future__ import annotations


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its longest start that ends at a word's
    end (or the limit, for one long word), with "…": never "Melnrakst" for "Melnraksts"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:·—-") + "…"
