"""Step ``confidence``/``rationale`` and spec ``status`` (issue 16): read, written, kept."""

import pytest
from openpyxl import load_workbook

from sdtm.errors import SpecError
from sdtm.mapping.load_excel import read_excel_spec, write_excel_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.status import draft_findings, spec_status, steps_to_review
from sdtm.mapping.write_yaml import write_yaml_spec

STUDY = "study:\n  studyid: S1\n  status: draft\n"
AE = """\
domain: AE
file: edc/ae.csv
steps:
  - {target: STUDYID, algorithm: hardcode_no_ct, value: S1}
  - {target: AETERM, algorithm: assign_no_ct, source: AETERM, confidence: 1,
     rationale: "column AETERM has the variable's name"}
  - {target: AESER, algorithm: assign_ct, source: SER, codelist: NY, confidence: 0.45,
     rationale: "values are NY terms"}
  - {target: _NOT_SUBMITTED, algorithm: not_submitted, source: FORM, confidence: 0,
     reason: "TODO (sdtm propose): no variable recognized", rationale: none found}
"""


def test_confidence_rationale_and_status_are_read(write_spec):
    loaded = read_yaml_spec(write_spec({"study.yaml": STUDY, "ae.yaml": AE}))
    assert loaded.problems == ()
    steps = loaded.spec.domains["AE"].blocks[0].steps
    assert [(s.confidence, s.rationale) for s in steps] == [
        (None, None),  # hand-written step: no confidence
        (1.0, "column AETERM has the variable's name"),
        (0.45, "values are NY terms"),
        (0.0, "none found"),
    ]
    assert loaded.spec.status == "draft"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("confidence: 1.5", "confidence must be from 0 to 1, not '1.5'"),
        ("confidence: high", "confidence must be a number from 0 to 1, not 'high'"),
    ],
    ids=["above-one", "not-a-number"],
)
def test_bad_confidence_is_a_problem_with_its_line(write_spec, line, message):
    text = AE.replace("confidence: 0.45", line)
    loaded = read_yaml_spec(write_spec({"study.yaml": STUDY, "ae.yaml": text}))
    assert [str(p) for p in loaded.problems] == [
        f"demo/ae.yaml:7: AE.AESER: {message} [MP0106 spec-malformed]"
    ]


def test_unknown_status_is_a_problem(write_spec):
    loaded = read_yaml_spec(write_spec({"study.yaml": "study:\n  studyid: S1\n  status: final\n"}))
    assert [str(p) for p in loaded.problems] == [
        "demo/study.yaml:3: study status must be one of draft, reviewed, not 'final' "
        "[MP0106 spec-malformed]"
    ]


def test_yaml_and_excel_round_trips_keep_confidence_rationale_and_status(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec({"study.yaml": STUDY, "ae.yaml": AE})).spec
    write_yaml_spec(spec, tmp_path / "again" / "demo")
    again = read_yaml_spec(tmp_path / "again" / "demo")
    assert again.problems == ()
    assert again.spec == spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    sheet = load_workbook(workbook)["Variables"]
    header = [c.value for c in sheet[1]]
    third = [c.value for c in sheet[4]]
    assert (third[header.index("Confidence")], third[header.index("Rationale")]) == (
        "0.45",
        "values are NY terms",
    )
    from_excel = read_excel_spec(workbook)
    assert from_excel == spec
    assert from_excel.status == "draft"
    assert from_excel.domains["AE"].blocks[0].steps[2].confidence == 0.45


def test_a_change_of_confidence_makes_specs_differ(write_spec):
    spec = read_yaml_spec(write_spec({"study.yaml": STUDY, "ae.yaml": AE})).spec
    other = read_yaml_spec(
        write_spec({"study.yaml": STUDY, "ae.yaml": AE.replace("0.45", "0.5")}, study="demo2")
    ).spec
    assert spec != other


def test_workbook_without_the_new_columns_still_reads(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec({"study.yaml": "study:\n  studyid: S1\n", "ae.yaml": AE})).spec
    workbook = tmp_path / "old.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    sheet = book["Variables"]
    header = [c.value for c in sheet[1]]
    # A workbook written before issue 16 has neither column.
    sheet.delete_cols(header.index("Confidence") + 1, 2)
    book.save(workbook)
    steps = read_excel_spec(workbook).domains["AE"].blocks[0].steps
    assert [s.confidence for s in steps] == [None, None, None, None]


def test_bad_confidence_cell_names_sheet_and_row(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec({"study.yaml": STUDY, "ae.yaml": AE})).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    sheet = book["Variables"]
    column = [c.value for c in sheet[1]].index("Confidence") + 1
    sheet.cell(row=4, column=column, value="2")
    book.save(workbook)
    with pytest.raises(SpecError, match=r"spec\.xlsx:Variables:4: confidence must be from 0 to 1"):
        read_excel_spec(workbook)


def test_draft_spec_gives_one_mp0030_warning(write_spec):
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": AE})
    spec = read_yaml_spec(folder).spec
    # Two steps are below 0.8 (0.45 and the TODO at 0); the hand-written one has none.
    assert steps_to_review(spec) == 2
    table = draft_findings(spec)
    assert table.rows(["rule_id", "severity", "value", "source_file"]) == [
        ["MP0030", "warning", "2", "demo/study.yaml"]
    ]
    assert spec_status(folder) == "draft"


def test_reviewed_spec_gives_no_finding(write_spec):
    folder = write_spec({"study.yaml": "study:\n  studyid: S1\n  status: reviewed\n"})
    spec = read_yaml_spec(folder).spec
    assert len(draft_findings(spec)) == 0
    assert spec_status(folder) == "reviewed"
