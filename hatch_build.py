"""Compile the gettext catalogues (locales/*/LC_MESSAGES/*.po -> .mo) at build and install time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(self.root, "locales").glob("*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[-3])
            with po_path.with_suffix(".mo").open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
