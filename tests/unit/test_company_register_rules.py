"""Company Register: parsing the published files, and the signatory rules (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.ops.demo import DEMO_DATA as SAMPLE  # the Company Register samples
from integrations.company_register import (
    OFFICERS_COLUMNS,
    REGISTER_COLUMNS,
    CompanyFile,
    OfficerFile,
    WrongFile,
    open_register_files,
)
from portal.company_register import (
    Officer,
    RegisterEntry,
    RepresentationRule,
    match_officer,
    name_words,
)
from portal.identifiers import normalize_personal_code
from portal.identity import NaturalPerson

BOM = "\ufeff"


def old_code(first_six: str, middle: str = "1234") -> str:
    """A valid old-format code starting with `first_six` (the check digit computed)."""
    weights = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    ten = first_six + middle
    check = (1101 - sum(w * int(d) for w, d in zip(weights, ten, strict=True))) % 11 % 10
    return normalize_personal_code(ten + str(check))


def person(given: str, family: str, code: str, previous: tuple[str, ...] = ()) -> NaturalPerson:
    return NaturalPerson(
        personal_code=code, given_name=given, family_name=family, previous_codes=previous
    )


def write(path: Path, header: tuple[str, ...], *rows: str, bom: bool = True) -> Path:
    path.write_text((BOM if bom else "") + ";".join(header) + "\r\n" + "".join(rows), "utf-8")
    return path


def company_line(regcode: str = "40103999940", name: str = '"SIA ""X"""', **over: str) -> str:
    fields = dict.fromkeys(REGISTER_COLUMNS, "")
    fields.update(regcode=regcode, name=name, type="SIA", registered="2016-04-12")
    fields.update(over)
    return ";".join(fields[c] for c in REGISTER_COLUMNS) + "\r\n"


def officer_line(id_: str = "1", regcode: str = "40103999940", **over: str) -> str:
    fields = dict.fromkeys(OFFICERS_COLUMNS, "")
    fields.update(
        id=id_,
        at_legal_entity_registration_number=regcode,
        name="Bērziņa Anna",
        latvian_identity_number_masked="120584-*****",
        rights_of_representation_type="INDIVIDUALLY",
        representation_with_at_least="0",
    )
    fields.update(over)
    return ";".join(fields[c] for c in OFFICERS_COLUMNS) + "\r\n"


# --- parsing ---------------------------------------------------------------------------------


def test_the_sample_register_parses_with_quoted_names_and_the_bom() -> None:
    with CompanyFile(SAMPLE / "register.csv") as companies:
        records = list(companies)
    assert companies.rows == 5 and companies.skipped == 0
    by_code = {record.regcode: record for record in records}
    assert next(iter(by_code)) == "40103999940"  # the BOM did not stick to the first column
    closed = by_code["40003666620"]
    assert closed.name == 'SIA "Slēgtā; Firma"'
    assert closed.legal_form == "SIA"
    assert closed.legal_form_text == "Sabiedrība ar ierobežotu atbildību"
    assert closed.registered == date(2001, 1, 15)
    assert closed.terminated == date(2020, 6, 30)
    assert closed.closed == "L"
    assert closed.address == "Rīga, Maskavas iela 1"
    active = by_code["40103999940"]
    assert active.name == 'SIA "Ozolkalna Koks"'
    assert active.terminated is None and active.closed is None
    assert by_code["40103555590"].legal_form == "BDR"


def test_the_sample_officers_parse() -> None:
    with OfficerFile(SAMPLE / "officers.csv") as officers:
        records = list(officers)
    assert [r.id for r in records] == list(range(9001, 9009))
    anna = records[0]
    assert anna.regcode == "40103999940"
    assert anna.name == "Bērziņa Anna"
    assert anna.code_masked == "120584-*****"
    assert anna.position == "CHAIR_OF_BOARD" and anna.governing_body == "EXECUTIVE_BOARD"
    assert anna.representation_type == "INDIVIDUALLY"
    assert anna.registered_on == date(2016, 4, 12)
    assert records[1].representation_type == "WITH_AT_LEAST"
    assert records[1].representation_with_at_least == 1
    council = records[6]
    assert council.position == "COUNCIL_MEMBER"
    assert council.representation_type is None
    assert council.representation_with_at_least is None  # empty, not 0


def test_a_file_without_bom_reads_the_same(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", REGISTER_COLUMNS, company_line(), bom=False)
    with CompanyFile(path) as companies:
        assert [r.regcode for r in companies] == ["40103999940"]


def test_names_with_semicolons_quotes_and_newlines(tmp_path: Path) -> None:
    name = '"SIA ""A; B"" ""C"""'
    address = '"Rīga;\r\nKr. Barona iela 1"'
    path = write(tmp_path / "r.csv", REGISTER_COLUMNS, company_line(name=name, address=address))
    with CompanyFile(path) as companies:
        (record,) = list(companies)
    assert record.name == 'SIA "A; B" "C"'
    assert record.address == "Rīga;\r\nKr. Barona iela 1"


@pytest.mark.parametrize(
    ("cls", "sample"),
    [(CompanyFile, "officers.csv"), (OfficerFile, "register.csv")],
)
def test_a_swapped_file_is_refused(cls: type[CompanyFile | OfficerFile], sample: str) -> None:
    with pytest.raises(WrongFile, match="looks like"):
        cls(SAMPLE / sample)


def test_a_foreign_or_empty_file_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "x.csv"
    foreign.write_text("a;b;c\n1;2;3\n", "utf-8")
    with pytest.raises(WrongFile, match="unexpected header"):
        CompanyFile(foreign)
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(WrongFile, match="empty"):
        OfficerFile(empty)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00r\x00e\x00g")
    with pytest.raises(WrongFile):
        CompanyFile(binary)


def test_both_headers_are_checked_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(WrongFile, match=r"officers\.csv"):
        open_register_files(SAMPLE / "register.csv", SAMPLE / "register.csv")


def test_malformed_rows_are_skipped_and_counted_by_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(
        tmp_path / "r.csv",
        REGISTER_COLUMNS,
        company_line("40103999940"),  # line 2
        company_line("4010399994", name="Short Code Ltd"),  # 3: regcode not 11 digits
        company_line("40103888880", registered="12.04.2016"),  # 4: not ISO
        "40103777710;;too;few\r\n",  # 5: wrong field count
        company_line("40103666620", name='"SIA ""Bad"" quote"x'),  # 6: bad quoting
        "\r\n",  # 7: blank line: ignored, not counted
        company_line("40103555590", terminated="2020-02-30"),  # 8: no such date
        company_line("40103444440"),  # 9
    )
    with CompanyFile(path) as companies:
        codes = [r.regcode for r in companies]
    assert codes == ["40103999940", "40103444440"]
    assert companies.rows == 2
    assert companies.skipped == 5
    assert companies.skipped_lines == [3, 4, 5, 6, 8]
    # Logs say where and why, never the content.
    assert "line 3" in caplog.text
    for secret in ("Short Code", "4010399994;", "Bad", "12.04.2016", "2020-02-30"):
        assert secret not in caplog.text


def test_officer_numbers_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        OFFICERS_COLUMNS,
        officer_line("1"),
        officer_line("x2"),  # id not a number
        officer_line("3", representation_with_at_least="two"),
        officer_line("4", representation_with_at_least=""),
        officer_line("", regcode="40103999940"),  # no id
    )
    with OfficerFile(path) as officers:
        records = list(officers)
    assert [r.id for r in records] == [1, 4]
    assert records[1].representation_with_at_least is None
    assert officers.skipped_lines == [3, 4, 6]


def test_rows_are_streamed_not_loaded(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", REGISTER_COLUMNS, *(company_line() for _ in range(3)))
    companies = CompanyFile(path)
    iterator = iter(companies)
    next(iterator)
    assert companies.rows == 1  # one record parsed so far
    companies.close()


# --- rules -----------------------------------------------------------------------------------


def officer(
    name: str = "Bērziņa Anna",
    code: str | None = "120584-*****",
    kind: str | None = "INDIVIDUALLY",
    at_least: int | None = 0,
    position: str = "BOARD_MEMBER",
    body: str = "EXECUTIVE_BOARD",
) -> Officer:
    return Officer(
        name=name,
        code_masked=code,
        position=position,
        governing_body=body,
        representation_type=kind,
        representation_with_at_least=at_least,
    )


def entry(
    *officers: Officer, terminated: date | None = None, closed: str | None = None
) -> RegisterEntry:
    return RegisterEntry(
        regcode="40103999940",
        name='SIA "Ozolkalna Koks"',
        legal_form="SIA",
        legal_form_text="Sabiedrība ar ierobežotu atbildību",
        address="Cēsis",
        registered=date(2016, 4, 12),
        terminated=terminated,
        closed=closed,
        officers=officers,
    )


def test_is_active() -> None:
    assert entry().is_active
    assert not entry(terminated=date(2020, 6, 30)).is_active
    assert not entry(closed="L").is_active
    assert not entry(terminated=date(2020, 6, 30), closed="L").is_active


@pytest.mark.parametrize(
    ("kind", "at_least", "expected"),
    [
        ("INDIVIDUALLY", 0, RepresentationRule("individually")),
        ("WITH_ALL", 0, RepresentationRule("with_all")),
        ("WITH_AT_LEAST", 1, RepresentationRule("with_at_least", 1)),
        ("with_at_least", 2, RepresentationRule("with_at_least", 2)),
        ("WITH_AT_LEAST", None, RepresentationRule("with_all")),  # no N: the strict reading
        ("WITH_AT_LEAST", 0, RepresentationRule("with_all")),
        (None, None, RepresentationRule("with_all")),  # board member, column empty: by law
        ("SOMETHING_NEW", 3, RepresentationRule("with_all")),
    ],
)
def test_representation_rule(
    kind: str | None, at_least: int | None, expected: RepresentationRule
) -> None:
    assert RepresentationRule.from_register(kind, at_least) == expected


def test_signers_required() -> None:
    assert RepresentationRule("individually").signers_required(signatories=3, counts="others") == 1
    assert RepresentationRule("with_all").signers_required(signatories=3, counts="others") == 3
    two = RepresentationRule("with_at_least", 1)
    assert two.signers_required(signatories=3, counts="others") == 2
    assert two.signers_required(signatories=3, counts="total") == 1
    assert (
        RepresentationRule("with_at_least", 5).signers_required(signatories=3, counts="others") == 3
    )


def test_who_can_represent() -> None:
    assert officer().can_represent
    board_without_rights = officer(kind=None, at_least=None)
    assert board_without_rights.can_represent
    assert board_without_rights.representation_rule == RepresentationRule("with_all")
    council = officer(kind=None, at_least=None, position="COUNCIL_MEMBER", body="SUPERVISORY_BOARD")
    assert not council.can_represent
    assert council.representation_rule is None
    assert entry(officer(), council).signatories == (officer(),)


def test_name_words() -> None:
    assert name_words("Bērziņa  Anna") == name_words("ANNA BĒRZIŅA") == {"bērziņa", "anna"}
    # Composed and decomposed diacritics are the same letters.
    assert name_words("Be\u0304rzin\u0327a Anna") == name_words("Bērziņa Anna")
    assert name_words("Bērziņa-Kalniņa Anna") == name_words("Anna Bērziņa Kalniņa")
    assert name_words("Berzina Anna") != name_words("Bērziņa Anna")  # diacritics count


def test_match_by_name_and_six_digits() -> None:
    anna = officer()
    company = entry(anna, officer("Kalniņš Jānis", "030379-*****", "WITH_AT_LEAST", 1))
    # Latvija.lv sends surnames in upper case; the register writes "Surname Firstname".
    found = match_officer(company, person("Anna", "BĒRZIŅA", old_code("120584")))
    assert found is not None
    assert found.officer == anna
    assert found.rule == RepresentationRule("individually")
    assert found.likely and not found.weak
    janis = match_officer(company, person("Jānis", "Kalniņš", old_code("030379")))
    assert janis is not None and janis.rule == RepresentationRule("with_at_least", 1)


def test_several_given_names_and_double_surnames() -> None:
    company = entry(officer("Bērziņa-Kalniņa Anna Marija", "120584-*****"))
    assert (
        match_officer(company, person("Anna Marija", "Bērziņa-Kalniņa", old_code("120584")))
        is not None
    )
    assert match_officer(company, person("Anna", "Bērziņa-Kalniņa", old_code("120584"))) is None


def test_a_new_format_code_is_a_weak_match() -> None:
    company = entry(officer("Ozols Pēteris", "329876-*****", "WITH_AT_LEAST", 1))
    found = match_officer(company, person("Pēteris", "Ozols", "32987612345"))
    assert found is not None and found.likely and found.weak


def test_a_previous_code_matches_too() -> None:
    company = entry(officer())
    found = match_officer(
        company, person("Anna", "Bērziņa", "32111122222", previous=(old_code("120584"),))
    )
    assert found is not None and not found.weak


@pytest.mark.parametrize(
    "who",
    [
        person("Anna", "Bērziņa", old_code("120585")),  # wrong digits
        person("Anna", "Bērziņa", old_code("051284")),
        person("Anna", "Berzina", old_code("120584")),  # diacritics missing
        person("Anne", "Bērziņa", old_code("120584")),  # wrong name
        person("Anna", "Kalniņa", old_code("120584")),
        person("Anna Marija", "Bērziņa", old_code("120584")),  # an extra given name
    ],
)
def test_no_match(who: NaturalPerson) -> None:
    assert match_officer(entry(officer()), who) is None


def test_a_council_member_without_rights_is_no_signatory() -> None:
    council = officer(
        "Egle Dace", "110265-*****", None, None, position="COUNCIL_MEMBER", body="SUPERVISORY_BOARD"
    )
    assert match_officer(entry(council), person("Dace", "Egle", old_code("110265"))) is None


def test_an_officer_without_a_code_never_matches() -> None:
    legal_entity = officer("Holding SIA", None)
    assert match_officer(entry(legal_entity), person("SIA", "Holding", old_code("120584"))) is None
    masked_oddly = officer(code="*****-*****")
    assert match_officer(entry(masked_oddly), person("Anna", "Bērziņa", old_code("120584"))) is None


def test_the_widest_rights_win_when_one_person_holds_two_posts() -> None:
    joint = officer(kind="WITH_ALL")
    alone = replace(officer(), position="CHAIR_OF_BOARD")
    found = match_officer(entry(joint, alone), person("Anna", "Bērziņa", old_code("120584")))
    assert found is not None and found.officer == alone
