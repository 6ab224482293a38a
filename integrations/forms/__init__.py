"""Forms from YAML files: one file per form version, `forms/<id>.v<version>.yaml`.

`load_forms()` reads them all at start-up; any broken file stops it with `FormsInvalid`,
whose message names every problem as `file:line: location: reason`. Safe YAML loading only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from integrations.forms.schema import FormModel
from integrations.forms.yaml_source import Document, YamlProblem, load
from portal.forms.catalogue import FormCatalogue
from portal.forms.model import Form
from portal.forms.structure import problems as structure_problems

FORMS_DIRECTORY = Path(__file__).resolve().parent.parent.parent / "forms"
FILE_NAME = re.compile(r"(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.yaml")


@dataclass(frozen=True, slots=True)
class FormFileProblem:
    file: Path
    line: int | None
    location: str  # `steps[1] (company).fields[0] (amount).max`; empty for the whole file
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return (
            f"{where}: {self.location}: {self.reason}"
            if self.location
            else f"{where}: {self.reason}"
        )


class FormsInvalid(Exception):
    def __init__(self, problems: Sequence[FormFileProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the form files:\n{lines}")


def load_forms(directory: Path = FORMS_DIRECTORY) -> FormCatalogue:
    """Every form version in `directory`; raises `FormsInvalid` listing all problems found."""
    if not directory.is_dir():
        raise FormsInvalid([FormFileProblem(directory, None, "", "no such directory")])
    forms: list[Form] = []
    problems: list[FormFileProblem] = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".yml":
            problems.append(FormFileProblem(path, None, "", "name form files *.yaml"))
        if path.suffix != ".yaml":
            continue
        try:
            forms.append(load_form_file(path))
        except FormsInvalid as exc:
            problems.extend(exc.problems)
    if not forms and not problems:
        problems.append(FormFileProblem(directory, None, "", "no form files (*.yaml)"))
    if problems:
        raise FormsInvalid(problems)
    return FormCatalogue(forms)


def load_form_file(path: Path) -> Form:
    """One form file; raises `FormsInvalid` with every problem in it."""
    try:
        document = load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FormsInvalid([FormFileProblem(path, None, "", "not UTF-8 text")]) from None
    except YamlProblem as exc:
        raise FormsInvalid([FormFileProblem(path, exc.line, "", exc.reason)]) from None
    if not isinstance(document.data, dict):
        raise FormsInvalid([FormFileProblem(path, 1, "", "a form file is a mapping (id: …)")])
    try:
        form = FormModel.model_validate(document.data).build()
    except ValidationError as exc:
        raise FormsInvalid(
            [_problem(path, document, e["loc"], e["msg"]) for e in exc.errors()]
        ) from None
    found = [_problem(path, document, p.path, p.reason) for p in structure_problems(form)]
    name = FILE_NAME.fullmatch(path.name)
    expected = f"{form.id}.v{form.version}.yaml"
    if name is None or path.name != expected:
        found.append(FormFileProblem(path, None, "", f"the file of this form is named {expected}"))
    if found:
        raise FormsInvalid(found)
    return form


def _problem(
    path: Path, document: Document, loc: Sequence[str | int], reason: str
) -> FormFileProblem:
    return FormFileProblem(path, document.line_of(loc), _describe(loc, document.data), reason)


def _describe(loc: Sequence[str | int], data: Any) -> str:
    """`steps[1] (company).fields[0] (amount).max`: indexes with the ids they hold."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
            named = f" ({node['id']})" if isinstance(node, dict) and "id" in node else ""
            if parts:
                parts[-1] += f"[{step}]{named}"
            else:
                parts.append(f"[{step}]{named}")
        else:
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(step)
    return ".".join(parts)
