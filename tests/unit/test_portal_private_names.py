"""No module of the portal reaches into another's private names (`apps._acting` once did):
what two modules share is public, so that renaming a private helper breaks nobody silently."""

from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def reaches(source: str) -> list[str]:
    """`module._name` through an imported portal module, or `from portal.x import _name`."""
    tree = ast.parse(source)
    modules: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal"):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("portal"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_check_sees_a_private_reach() -> None:
    source = "from portal import applications as apps\nx = apps._acting\n"
    assert reaches(source) == ["apps._acting"]
    assert reaches("from portal.clients import _hidden\n") == ["from portal.clients import _hidden"]
    assert reaches("from portal import applications as apps\nx = apps.acting_for\n") == []


def test_no_portal_module_uses_another_modules_private_names() -> None:
    offenders = {
        str(path.relative_to(PORTAL)): found
        for path in sorted(PORTAL.rglob("*.py"))
        if (found := reaches(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
