"""import-linter contract types of our own (`contract_types` in pyproject.toml).

`allow_list`: the modules of `source_modules` may import only the standard library, the
packages in `allowed_modules`, and themselves. A forbidden-list misses whatever nobody thought
of (pydantic, jwt, lxml, asyncpg would all pass "not aiogram, not sqlalchemy"); an allow-list
refuses every new dependency until someone decides the layer may have it.
"""

from __future__ import annotations

import sys
from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class AllowListContract(Contract):
    type_name = "allow_list"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        # Fields are parsed into plain values when the contract is built.
        sources: list[Any] = self.source_modules  # type: ignore[assignment]
        extra: list[str] = self.allowed_modules or []  # type: ignore[assignment]
        roots = {source.name.split(".")[0] for source in sources}
        allowed = set(sys.stdlib_module_names) | set(extra) | roots
        found: list[dict[str, Any]] = []
        for source in sources:
            for importer in sorted({source.name} | graph.find_descendants(source.name)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported.split(".")[0] in allowed:
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(detail["line_number"] for detail in details)
                    found.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not found, metadata={"imports": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["imports"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} -> {item['imported']} ({lines}): not on the allow-list"
            )
            output.new_line()
