"""A thread's text is cut for Telegram's 4096-character limit between blocks, then lines,
then words, never inside an HTML entity; nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiogram.utils.i18n import I18n, ngettext

from bot.i18n import create_i18n
from dialogs.message_texts import LIMIT, split_blocks, unread_text
from dialogs.notices import message_received
from portal.model import MessageReceived


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


@pytest.fixture(scope="module")
def i18n() -> Iterator[I18n]:
    i18n = create_i18n()
    with i18n.context():
        yield i18n


@pytest.mark.parametrize(
    ("count", "unread", "documents", "pdf"),
    [
        (0, "0 nelasītu ziņu", "ar 0 dokumentiem", "viens PDF ar 0 lappusēm"),
        (1, "1 nelasīta ziņa", "ar 1 dokumentu", "viens PDF ar 1 lappusi"),
        (2, "2 nelasītas ziņas", "ar 2 dokumentiem", "viens PDF ar 2 lappusēm"),
        (11, "11 nelasītu ziņu", "ar 11 dokumentiem", "viens PDF ar 11 lappusēm"),
        (21, "21 nelasīta ziņa", "ar 21 dokumentu", "viens PDF ar 21 lappusi"),
    ],
)
def test_latvian_plurals(i18n: I18n, count: int, unread: str, documents: str, pdf: str) -> None:
    notice = MessageReceived(client_name="SIA X", subject="Tēma", thread_id=1, documents=count)
    photos = (
        "The photo is now one PDF of {count} page.",
        "The photos are now one PDF of {count} pages.",
    )
    with i18n.use_locale("lv"):
        assert unread_text(count) == unread
        if count:
            assert documents in message_received(notice)[0]
        assert pdf in ngettext(*photos, count).format(count=count)
    with i18n.use_locale("en"):
        assert unread_text(count) == f"{count} unread message" + ("" if count == 1 else "s")
