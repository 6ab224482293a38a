"""Text formatting the way Telegram does it: parse_mode parsers and entity helpers.

The parsers follow tdlib's behaviour (the code behind the real Bot API server) closely,
including its error wording, so that a bot that gets "can't parse entities" from
Telegram gets it here too. Offsets and lengths are in UTF-16 code units, as in the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

# fmt: off
HTML_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "tg-time", "span", "pre", "code", "blockquote",
})
# fmt: on
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SPACES = " \t\r\n\v\f"
_COMMAND_RE = re.compile(r"(?<![\w/@])/([A-Za-z0-9_]{1,32})(@[A-Za-z0-9_]{3,32})?(?![\w/@])")


class EntityParseError(ValueError):
    """The text can't be parsed; str(self) is tdlib's message."""


_HTML_SPECIAL = re.compile(r"[<&]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _sort(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def checked_link(url: str) -> str:
    """Roughly LinkManager::get_checked_link: '' when Telegram would drop the link."""
    url = url.strip()
    if not url or any(c in url for c in " \n\t"):
        return ""
    scheme, sep, rest = url.partition("://")
    if sep:
        if scheme.lower() not in ("http", "https", "tg", "ton", "tonsite") or not rest:
            return ""
        return url
    if "." not in url or url.startswith("."):
        return ""
    return "http://" + url + ("" if "/" in url else "/")


def _link_entity(offset: int, length: int, url: str) -> Entity | None:
    checked = checked_link(url)
    if not checked:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode &lt; &gt; &amp; &quot; and numeric references; None leaves '&' as is."""
    end = pos + 1
    if text[end : end + 1] == "#":
        end += 1
        value = 0
        if text[end : end + 1] == "x":
            end += 1
            while end < len(text) and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < len(text) and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        decoded = chr(value)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end])
        if named is None:
            return None
        decoded = named
    if text[end : end + 1] == ";":
        end += 1
    return decoded, end


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int
    out_start: int


def parse_html(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    offset = 0
    entities: list[Entity] = []
    stack: list[_OpenTag] = []
    n = len(text)

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message)

    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            # A run of plain text up to the next tag or entity, in one step.
            match = _HTML_SPECIAL.search(text, i + 1)
            end = match.start() if match else n
            chunk = text[i:end]
            out.append(chunk)
            offset += utf16_len(chunk)
            i = end
            continue
        begin = i
        where = _byte_offset(text, begin)
        i += 1
        if text[i : i + 1] != "/":
            j = i
            while j < n and text[j] not in _SPACES and text[j] != ">":
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {where}")
            tag = text[i:j].lower()
            if tag not in HTML_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {where}')
            i = j
            argument = ""
            while i >= n or text[i] != ">":
                while i < n and text[i] in _SPACES:
                    i += 1
                if i < n and text[i] == ">":
                    break
                name_start = i
                while i < n and text[i] not in _SPACES and text[i] not in "=>/\"'":
                    i += 1
                name = text[name_start:i]
                if not name:
                    raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
                while i < n and text[i] in _SPACES:
                    i += 1
                if i >= n or text[i] != "=":
                    if i >= n:
                        raise fail(f'Unclosed start tag "{tag}" at byte offset {where}')
                    if tag == "blockquote" and name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while i < n and text[i] in _SPACES:
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {where}')
                if text[i] not in "'\"":
                    token_start = i
                    while i < n and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                        i += 1
                    value = text[token_start:i].lower()
                    if i < n and text[i] not in _SPACES and text[i] != ">":
                        raise fail(
                            f"Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_start)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {where}")
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
            stack.append(_OpenTag(tag, argument, offset, len(out)))
            i += 1
            continue
        # an end tag
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {where}")
        j = i
        while j < n and text[j] not in _SPACES and text[j] != ">":
            j += 1
        end_tag = text[begin + 2 : j].lower()
        while j < n and text[j] in _SPACES:
            j += 1
        if j >= n or text[j] != ">":
            raise fail(f"Unclosed end tag at byte offset {where}")
        top = stack[-1]
        if end_tag and end_tag != top.tag:
            raise fail(
                f'Unmatched end tag at byte offset {where}, expected "</{top.tag}>", '
                f'found "</{end_tag}>"'
            )
        if offset > top.offset:
            _close_html_entity(top, offset, "".join(out[top.out_start :]), entities)
        stack.pop()
        i = j + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sort(entities)


def _close_html_entity(top: _OpenTag, end: int, inner: str, entities: list[Entity]) -> None:
    start, length = top.offset, end - top.offset
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == start and last["length"] == length
    if top.tag in _SIMPLE_TAGS:
        entities.append({"type": _SIMPLE_TAGS[top.tag], "offset": start, "length": length})
    elif top.tag == "a":
        link = _link_entity(start, length, top.argument or inner)
        if link is not None:
            entities.append(link)
    elif top.tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": start,
                "length": length,
                "custom_emoji_id": top.argument,
            }
        )
    elif top.tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": start, "length": length})
    elif top.tag == "code":
        if last is not None and same_span and last["type"] == "pre" and top.argument:
            last["language"] = top.argument
        else:
            entity: Entity = {"type": "code", "offset": start, "length": length}
            if top.argument:
                entity["language"] = top.argument  # kept only until an enclosing <pre> closes
            entities.append(entity)
    elif top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append({"type": kind, "offset": start, "length": length})
    # tg-time: accepted like Telegram; the emulator produces no entity for it


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


@dataclass
class _MdOpen:
    kind: str
    offset: int
    byte_offset: int
    out_start: int
    argument: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    offset = 0
    entities: list[Entity] = []
    stack: list[_MdOpen] = []
    n = len(text)
    line_start = True

    def at(k: int) -> str:
        return text[k] if 0 <= k < n else ""

    def reserved(ch: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )

    def unclosed(top: _MdOpen) -> EntityParseError:
        name = _MDV2_NAMES.get(top.kind, top.kind)
        if top.kind == "pre" and top.argument:
            name = "PreCode"
        return EntityParseError(f"Can't find end of {name} entity at byte offset {top.byte_offset}")

    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and at(i + 1) and ord(at(i + 1)) <= 126:
            out.append(at(i + 1))
            offset += 1
            line_start = at(i + 1) == "\n"
            i += 2
            continue
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        reserved_chars = "`" if in_code else _MDV2_RESERVED
        if c not in reserved_chars:
            out.append(c)
            offset += utf16_len(c)
            line_start = False
            i += 1
            continue
        if c == "\n":
            # a newline ends a blockquote unless the next line continues it
            in_quote = any(o.kind == "blockquote" for o in stack)
            if in_quote and at(i + 1) != ">":
                if stack[-1].kind != "blockquote":
                    raise unclosed(stack[-1])  # entities can't span the end of a quote
                top = stack.pop()
                out.append("\n")
                offset += 1
                entities.append(
                    {"type": "blockquote", "offset": top.offset, "length": offset - top.offset}
                )
            else:
                out.append("\n")
                offset += 1
            line_start = True
            i += 1
            continue
        opened = stack[-1] if stack else None
        closes = opened is not None and (
            (opened.kind == "bold" and c == "*")
            or (opened.kind == "italic" and c == "_" and at(i + 1) != "_")
            or (opened.kind == "underline" and c == "_" and at(i + 1) == "_")
            or (opened.kind == "strikethrough" and c == "~")
            or (opened.kind == "spoiler" and c == "|" and at(i + 1) == "|")
            or (opened.kind == "code" and c == "`")
            or (opened.kind == "pre" and text[i : i + 3] == "```")
            or (opened.kind in ("text_link", "custom_emoji") and c == "]")
        )
        if opened is not None and closes:
            inner = "".join(out[opened.out_start :])
            i = _close_md_entity(text, i, opened, offset, inner, entities)
            stack.pop()
            line_start = False
            continue
        byte_offset = _byte_offset(text, i)
        if c == "_" and at(i + 1) == "_":
            stack.append(_MdOpen("underline", offset, byte_offset, len(out)))
            i += 2
        elif c == "_":
            stack.append(_MdOpen("italic", offset, byte_offset, len(out)))
            i += 1
        elif c == "*":
            stack.append(_MdOpen("bold", offset, byte_offset, len(out)))
            i += 1
        elif c == "~":
            stack.append(_MdOpen("strikethrough", offset, byte_offset, len(out)))
            i += 1
        elif c == "|" and at(i + 1) == "|":
            stack.append(_MdOpen("spoiler", offset, byte_offset, len(out)))
            i += 2
        elif c == "[":
            stack.append(_MdOpen("text_link", offset, byte_offset, len(out)))
            i += 1
        elif c == "!" and at(i + 1) == "[":
            stack.append(_MdOpen("custom_emoji", offset, byte_offset, len(out)))
            i += 2
        elif c == "`" and text[i : i + 3] == "```":
            i += 3
            lang_end = i
            while lang_end < n and text[lang_end] not in _SPACES and text[lang_end] != "`":
                lang_end += 1
            language = ""
            if lang_end != i and lang_end < n and text[lang_end] != "`":
                language, i = text[i:lang_end], lang_end
            if at(i) in "\r\n" and at(i):
                i += 2 if at(i + 1) in "\r\n" and at(i + 1) and at(i + 1) != at(i) else 1
            stack.append(_MdOpen("pre", offset, byte_offset, len(out), language))
        elif c == "`":
            stack.append(_MdOpen("code", offset, byte_offset, len(out)))
            i += 1
        elif c == ">" and line_start and not any(o.kind == "blockquote" for o in stack):
            stack.append(_MdOpen("blockquote", offset, byte_offset, len(out)))
            i += 1
        elif c == ">" and line_start:
            i += 1  # continuation line of the current blockquote
        else:
            raise reserved(c)
        line_start = False
    if stack and stack[-1].kind == "blockquote":
        top = stack.pop()
        if offset > top.offset:
            entities.append(
                {"type": "blockquote", "offset": top.offset, "length": offset - top.offset}
            )
    if stack:
        raise unclosed(stack[-1])
    return "".join(out), _sort(entities)


def _close_md_entity(
    text: str, i: int, top: _MdOpen, offset: int, inner: str, entities: list[Entity]
) -> int:
    """Close the entity whose end marker starts at text[i]; return the index after it."""
    start, length = top.offset, offset - top.offset
    entity: Entity | None = {"type": top.kind, "offset": start, "length": length}
    if top.kind in ("underline", "spoiler"):
        i += 2
    elif top.kind == "pre":
        i += 3
        if top.argument and entity is not None:
            entity["language"] = top.argument
    elif top.kind in ("text_link", "custom_emoji"):
        url = inner
        i += 1
        if text[i : i + 1] == "(":
            url_start = i + 1
            chars: list[str] = []
            i += 1
            while i < len(text) and text[i] != ")":
                if text[i] == "\\" and i + 1 < len(text) and ord(text[i + 1]) <= 126:
                    chars.append(text[i + 1])
                    i += 2
                    continue
                chars.append(text[i])
                i += 1
            if i >= len(text):
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, url_start)}"
                )
            i += 1
            url = "".join(chars)
        elif top.kind == "custom_emoji":
            raise EntityParseError("The entity must contain a tg://emoji or tg://time URL")
        if top.kind == "custom_emoji":
            match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
            if match is None:
                raise EntityParseError("Invalid tg://emoji or tg://time URL specified")
            entity = {
                "type": "custom_emoji",
                "offset": start,
                "length": length,
                "custom_emoji_id": match.group(1),
            }
        else:
            entity = _link_entity(start, length, url)
    else:
        i += 1
    if entity is not None and length > 0:
        entities.append(entity)
    return i


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown (v1): *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out: list[str] = []
    offset = 0
    entities: list[Entity] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and text[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            offset += utf16_len(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = c == "`" and text[i : i + 3] == "```"
        i += 3 if is_pre else 1
        language = ""
        if is_pre:
            lang_end = i
            while lang_end < n and text[lang_end] not in _SPACES and text[lang_end] != "`":
                lang_end += 1
            if lang_end != i and lang_end < n and text[lang_end] != "`":
                language, i = text[i:lang_end], lang_end
            if i < n and text[i] in "\r\n":
                i += 1
        start = offset
        chunk_start = len(out)
        while i < n and (text[i] != end_char or (is_pre and text[i : i + 3] != "```")):
            out.append(text[i])
            offset += utf16_len(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = offset - start
        if c == "[":
            url = "".join(out[chunk_start:])
            if text[i + 1 : i + 2] == "(":
                close = text.find(")", i + 2)
                close = n if close < 0 else close
                url, i = text[i + 2 : close], close
            link = _link_entity(start, length, url) if length else None
            if link is not None:
                entities.append(link)
        elif length:
            kind = {"_": "italic", "*": "bold"}.get(c, "pre" if is_pre else "code")
            entity: Entity = {"type": kind, "offset": start, "length": length}
            if language:
                entity["language"] = language
            entities.append(entity)
        i += 3 if is_pre else 1
    return "".join(out), _sort(entities)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Apply parse_mode ('' or None means plain text). Raises EntityParseError."""
    mode = (parse_mode or "").lower()
    if not text or mode in ("", "none"):
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError("unsupported parse_mode")


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace like Telegram, moving entities along with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def command_entities(text: str) -> list[Entity]:
    """bot_command entities Telegram adds to a user's text (e.g. /start, /help@bot)."""
    entities: list[Entity] = []
    for match in _COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities
