"""A thread's text is cut for Telegram's 4096-character limit between blocks, then lines,
then words, never inside an HTML entity; nothing is lost."""

from __future__ import annotations

from dialogs.message_texts import LIMIT, split_blocks


def test_blocks_are_joined_while_they_fit() -> None:
    assert split_blocks(["a", "b"]) == ["a\n\nb"]
    assert split_blocks(["a" * 3000, "b" * 3000]) == ["a" * 3000, "b" * 3000]


def test_a_long_block_is_cut_between_words_and_never_inside_an_entity() -> None:
    words = " ".join(f"vārds{n} &amp; &lt;b&gt;" for n in range(1200))
    texts = split_blocks(["<i>01.12.2026 09:00 — ALTUM</i>\n" + words])
    assert len(texts) > 1 and all(len(text) <= LIMIT for text in texts)
    for text in texts:
        # every '&' starts a whole entity: none was split at the cut
        for piece in text.split("&")[1:]:
            assert piece.startswith(("amp;", "lt;", "gt;"))
    assert "".join(texts).replace(" ", "").replace("\n", "") == (
        ("<i>01.12.2026 09:00 — ALTUM</i>\n" + words).replace(" ", "").replace("\n", "")
    )


def test_a_line_without_spaces_is_cut_at_the_limit() -> None:
    texts = split_blocks(["x" * (LIMIT * 2 + 10)])
    assert [len(text) for text in texts] == [LIMIT, LIMIT, 10]
