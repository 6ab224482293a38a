"""Buttons and list lines are cut at a word's end with "…", never mid-word."""

from __future__ import annotations

from dialogs.shorten import shorten


def test_a_text_that_fits_is_left_alone() -> None:
    assert (
        shorten("Nr. 1 · Mikroaizdevums · Melnraksts", 64) == "Nr. 1 · Mikroaizdevums · Melnraksts"
    )


def test_a_long_text_ends_at_a_word_with_an_ellipsis() -> None:
    text = (
        "Labdien! Lūdzu, atsūtiet parakstīto pieņemšanas-nodošanas aktu par darījumu AL-2024-0153."
    )
    cut = shorten(text, 80)
    assert cut == "Labdien! Lūdzu, atsūtiet parakstīto pieņemšanas-nodošanas aktu par darījumu…"
    assert len(cut) <= 80


def test_one_long_word_is_cut_at_the_limit() -> None:
    assert shorten("a" * 100, 10) == "a" * 9 + "…"
