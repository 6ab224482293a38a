"""The parse_mode parsers on their own: text, UTF-16 offsets and tdlib's error messages."""

from __future__ import annotations

import pytest

from emulator.entities import (
    EntityParseError,
    command_entities,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    strip_text,
)


def test_html_nesting_and_entities() -> None:
    text, entities = parse_html("<b>a<i>b</i></b><u>c</u><s>d</s><tg-spoiler>e</tg-spoiler>")
    assert text == "abcde"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 2),
        ("italic", 1, 1),
        ("underline", 2, 1),
        ("strikethrough", 3, 1),
        ("spoiler", 4, 1),
    ]


def test_html_utf16_offsets_and_character_references() -> None:
    text, entities = parse_html("🇱🇻 <code>&#x41;&#66;&quot;</code>")
    assert text == '🇱🇻 AB"'
    assert entities == [{"type": "code", "offset": 5, "length": 3}]


def test_html_links_and_blockquotes() -> None:
    text, entities = parse_html(
        '<a href="mans.altum.lv">portāls</a><blockquote expandable>q</blockquote>'
    )
    assert text == "portālsq"
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 7,
        "url": "http://mans.altum.lv/",
    }
    assert entities[1]["type"] == "expandable_blockquote"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("ā<div>", 'Unsupported start tag "div" at byte offset 2'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_html_errors_use_byte_offsets(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value) == message


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse_markdown_v2(
        "*b* _i_ __u__ ~s~ ||p|| `c` [l](https://altum.lv) 1\\.5 \\- ok"
    )
    assert text == "b i u s p c l 1.5 - ok"
    kinds = [e["type"] for e in entities]
    assert kinds == ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("*open", "Can't find end of Bold entity at byte offset 0"),
        ("x _y", "Can't find end of Italic entity at byte offset 2"),
        ("[a](http://x.lv", "Can't find end of a URL at byte offset 4"),
    ],
)
def test_markdown_v2_errors(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_markdown_v2(source)
    assert str(caught.value) == message


def test_legacy_markdown() -> None:
    assert parse_markdown("*b* _i_") == (
        "b i",
        [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 2, "length": 1}],
    )
    with pytest.raises(EntityParseError, match="Can't find end of the entity"):
        parse_markdown("*b")


def test_strip_moves_entities() -> None:
    text, entities = strip_text("  hi  ", [{"type": "bold", "offset": 1, "length": 4}])
    assert text == "hi"
    assert entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_bot_commands_are_found_like_telegram() -> None:
    found = command_entities("/start ok /help@altum_test_bot, not/this")
    assert [(e["offset"], e["length"]) for e in found] == [(0, 6), (10, 20)]
