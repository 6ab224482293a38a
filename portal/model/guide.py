"""The user guide's content: the menu's sections as the reader sees them, in their language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuideSection:
    title: str  # the menu button
    what: str  # what it does (the portal map's line)
    items: tuple[str, ...] = ()  # its own buttons, in order
    commands: tuple[str, ...] = ()  # "/client — Choose the client you act for"
