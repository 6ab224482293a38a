"""The user guide (MANUAL-EN §4 «Palīdzība»): a PDF made from the bot's own menu, so that it
says what the menus offer today. The dialogs hand over the registry's texts already in the
reader's language; this lays them out."""

from __future__ import annotations

from collections.abc import Sequence

from portal.model import Block, Bullets, Fields, GuideSection, Heading, Paragraph, PrintedDocument


def user_guide(
    *,
    language: str,
    title: str,
    intro: str,
    sections: Sequence[GuideSection],
    other_commands_title: str,
    other_commands: Sequence[str],
    support_title: str,
    support: Sequence[tuple[str, str]],
    footer: str,
) -> PrintedDocument:
    blocks: list[Block] = [Paragraph(intro)]
    for section in sections:
        blocks.append(Heading(section.title))
        blocks.append(Paragraph(section.what))
        if section.items:
            blocks.append(Bullets(items=tuple(section.items)))
        if section.commands:
            blocks.append(Bullets(items=tuple(section.commands)))
    if other_commands:
        blocks += [Heading(other_commands_title), Bullets(items=tuple(other_commands))]
    if support:
        blocks += [Heading(support_title), Fields(rows=tuple(support))]
    return PrintedDocument(title=title, language=language, blocks=tuple(blocks), footer=footer)
