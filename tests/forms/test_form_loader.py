"""Form files: the shipped ones all load with both languages; a broken one stops the load and
says which file, which line, which field and why."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from integrations.forms import FORMS_DIRECTORY, FormsInvalid, load_form_file, load_forms
from portal.forms.catalogue import FormCatalogue, UnknownForm
from portal.forms.model import ContextRef, FieldType, FormKind, Text

SHIPPED = {
    "working_capital_loan": FormKind.APPLICATION,
    "investment_loan": FormKind.APPLICATION,
    "micro_loan": FormKind.APPLICATION,
    "start_up_loan": FormKind.APPLICATION,
    "energy_efficiency_loan": FormKind.APPLICATION,
    "change_request": FormKind.DEAL_APPLICATION,
    "disbursement": FormKind.DEAL_APPLICATION,
    "client_questionnaire": FormKind.QUESTIONNAIRE,
    "easi_questionnaire": FormKind.QUESTIONNAIRE,
    "satisfaction_survey": FormKind.QUESTIONNAIRE,
}
LATVIAN_LETTERS = re.compile(r"[āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ]")


@cache
def shipped() -> FormCatalogue:
    return load_forms()


def test_every_shipped_form_loads() -> None:
    catalogue = load_forms()
    assert {f.id: f.kind for f in catalogue} == SHIPPED
    assert [f.id for f in catalogue.offered(FormKind.DEAL_APPLICATION)] == [
        "disbursement",
        "change_request",
    ]
    for form_id in ("working_capital_loan", "disbursement", "change_request"):
        assert catalogue.current(form_id).needs_signatures
    assert not catalogue.current("satisfaction_survey").needs_signatures


def _texts(form_id: str) -> list[tuple[str, Text]]:
    form = shipped().current(form_id)
    found = [("title", form.title)]
    for step in form.steps:
        found.append((step.id, step.title))
        for field in step.fields:
            found += [(field.id, t) for t in (field.label, field.question, field.hint) if t]
            found += [(f"{field.id}.{o.id}", o.label) for o in field.options]
    return found


@pytest.mark.parametrize("form_id", sorted(SHIPPED))
def test_every_text_is_there_in_both_languages(form_id: str) -> None:
    for where, text in _texts(form_id):
        assert text.lv.strip() and text.en.strip(), where
        assert "{" not in text.lv + text.en, where
    questions = [t for where, t in _texts(form_id) if len(t.en) > 30]
    # A long text that is the same in both languages was not translated.
    assert [t.en for t in questions if t.lv == t.en] == []
    # Latvian texts are Latvian: most of them carry Latvian letters.
    with_letters = [t for _, t in _texts(form_id) if LATVIAN_LETTERS.search(t.lv)]
    assert len(with_letters) >= len(_texts(form_id)) // 2


def test_every_question_has_a_question_text() -> None:
    for form in shipped():
        for field in form.fields:
            assert field.question is not None, f"{form.id}.{field.id}"


def test_the_disbursement_is_bounded_by_the_deals_undrawn_balance() -> None:
    disbursement = shipped().current("disbursement")
    assert [f.id for f in disbursement.fields] == [
        "amount",
        "target_iban",
        "planned_date",
        "purpose",
        "supporting_documents",
    ]
    amount = disbursement.field("amount")
    assert amount.type is FieldType.MONEY
    assert ContextRef("deal.undrawn_balance") in amount.rules.max
    assert disbursement.field("target_iban").countries == ("LV",)
    assert disbursement.context_keys == {"today", "deal.undrawn_balance"}


MINIMAL = """\
id: sample
version: 1
kind: application
needs_signatures: true
title: {lv: Paraugs, en: Sample}
steps:
  - id: first
    title: {lv: Pirmais, en: First}
    fields:
      - id: amount
        type: money
        label: {lv: Summa, en: Amount}
        max: 1000
      - id: purpose
        type: choice
        label: {lv: Mērķis, en: Purpose}
        options:
          - {id: a, label: {lv: A, en: A}}
          - {id: b, label: {lv: B, en: B}}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(FormsInvalid) as caught:
        load_form_file(path)
    return [str(p) for p in caught.value.problems]


def test_the_minimal_file_loads(tmp_path: Path) -> None:
    form = load_form_file(write(tmp_path, "sample.v1.yaml", MINIMAL))
    assert [f.id for f in form.fields] == ["amount", "purpose"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (  # a misspelt key
            "        max: 1000\n",
            "        max: 1000\n        requried: false\n",
            ":14: steps[0] (first).fields[0] (amount).requried: Extra inputs are not permitted",
        ),
        (
            "needs_signatures: true\n",
            "",
            ": needs_signatures: Field required",
        ),
        (
            "type: money",
            "type: cash",
            ":11: steps[0] (first).fields[0] (amount).type: Input should be 'text'",
        ),
        (
            "        max: 1000\n",
            "        max: 1000\n        max: 2000\n",
            ":14: duplicate key «max»",
        ),
        (
            "        max: 1000\n",
            "        max: {context: deal.balance}\n",
            ":13: steps[0] (first).fields[0] (amount).max.context: unknown context «deal.balance»",
        ),
        (
            "        max: 1000\n",
            "        max: 2026-01-31\n",
            ":13: steps[0] (first).fields[0] (amount).max: a money field needs a number here",
        ),
        (
            "        max: 1000\n",
            "        max: lots\n",
            ":13: steps[0] (first).fields[0] (amount).max: Value error, a number, a date",
        ),
        (
            "        max: 1000\n",
            "        max: 1000\n        when: {field: purpose, equals: a}\n",
            "(amount).when.field: «purpose» is not a field asked before this one",
        ),
        (
            "      - id: purpose\n",
            "      - id: amount\n",
            ":14: steps[0] (first).fields[1] (amount).id: «amount» is used twice",
        ),
        (
            "title: {lv: Paraugs, en: Sample}",
            "title: {lv: Paraugs}",
            ":5: title.en: Field required",
        ),
        (
            "          - {id: b, label: {lv: B, en: B}}\n",
            "",
            ":18: steps[0] (first).fields[1] (purpose).options: a choice needs at least two",
        ),
        (
            "title: {lv: Paraugs, en: Sample}",
            "title: !!python/object/apply:os.system [echo]",
            ":5: could not determine a constructor for the tag",
        ),
        (
            "    fields:\n",
            "    fields: [\n",
            ": while parsing a flow",
        ),
        (
            "        max: 1000\n",
            "        max: {field: purpose}\n",
            ":13: steps[0] (first).fields[0] (amount).max.field: «purpose» is not an earlier field",
        ),
        (
            "        max: 1000\n",
            "        max: {context: today}\n",
            "(amount).max.context: «today» is not a number",
        ),
        (
            "        max: 1000\n",
            "        max: 1000\n        min: 2000\n",
            "(amount).min: min is above max",
        ),
        (
            "        max: 1000\n",
            "        max: {context: deal.amount, days: 3}\n",
            "(amount).max.days: days only shift dates",
        ),
        (
            "        max: 1000\n",
            "        max: 1000\n        pattern: '[a-'\n",
            "(amount).max_length: only text fields have lengths and patterns",
        ),
    ],
)
def test_a_broken_file_names_line_field_and_reason(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in MINIMAL
    path = write(tmp_path, "sample.v1.yaml", MINIMAL.replace(old, new, 1))
    found = problems_of(path)
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(path)) for p in found)


def test_a_condition_must_fit_the_answer_it_looks_at(tmp_path: Path) -> None:
    text = MINIMAL + (
        "      - id: more\n"
        "        type: text\n"
        "        label: {lv: Vēl, en: More}\n"
        "        when: {field: purpose, equals: c}\n"
    )
    found = problems_of(write(tmp_path, "sample.v1.yaml", text))
    assert found == [
        f"{tmp_path}/sample.v1.yaml:23: steps[0] (first).fields[2] (more).when.equals: "
        "«c» is not an option of «purpose»"
    ]


def test_the_file_name_must_match_the_form(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, "sample.v2.yaml", MINIMAL))
    assert found == [f"{tmp_path}/sample.v2.yaml: the file of this form is named sample.v1.yaml"]


def test_all_broken_files_are_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "sample.v1.yaml", MINIMAL)
    write(
        tmp_path, "other.v1.yaml", MINIMAL.replace("id: sample", "id: other").replace("1000", "x")
    )
    write(tmp_path, "third.v1.yaml", "- just\n- a list\n")
    write(tmp_path, "old.yml", MINIMAL)
    write(tmp_path, "README.md", "not a form")
    with pytest.raises(FormsInvalid) as caught:
        load_forms(tmp_path)
    message = str(caught.value)
    assert "3 problem(s)" in message
    assert "old.yml: name form files *.yaml" in message
    assert "other.v1.yaml:13: steps[0] (first).fields[0] (amount).max" in message
    assert "third.v1.yaml:1: a form file is a mapping" in message
    assert "sample.v1.yaml" not in message


def test_an_empty_or_missing_directory_stops_the_load(tmp_path: Path) -> None:
    with pytest.raises(FormsInvalid, match="no form files"):
        load_forms(tmp_path)
    with pytest.raises(FormsInvalid, match="no such directory"):
        load_forms(tmp_path / "missing")


def test_a_draft_keeps_its_version_while_new_drafts_get_the_newest(tmp_path: Path) -> None:
    write(tmp_path, "sample.v1.yaml", MINIMAL)
    write(tmp_path, "sample.v2.yaml", MINIMAL.replace("version: 1", "version: 2"))
    catalogue = load_forms(tmp_path)
    assert catalogue.current("sample").version == 2
    assert catalogue.get("sample", 1).version == 1
    with pytest.raises(UnknownForm):
        catalogue.get("sample", 3)


def test_the_forms_directory_is_the_repositorys() -> None:
    assert Path(__file__).resolve().parents[2] / "forms" == FORMS_DIRECTORY
