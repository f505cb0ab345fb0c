from pathlib import Path

import pytest
from openpyxl import load_workbook

from sdtm.errors import SpecError
from sdtm.mapping.load_excel import read_excel_spec, write_excel_spec
from sdtm.mapping.load_yaml import read_yaml_spec

REPO = Path(__file__).resolve().parents[2]

FILES = {
    "study.yaml": (
        "study:\n  studyid: S1\n  settings: {cutoff: '2024-10-31'}\n"
        "skip:\n  - file: edc/aph.csv\n    reason: out of scope\n"
        "    where: {column: MFG, op: in, value: [Failed, Released]}\n"
    ),
    "ae.yaml": """\
domain: AE
blocks:
  - file: edc/ae.csv
    where: {all: [{column: X, op: not_null}, {column: Y, op: gt, value: "1.5"}]}
    join:
      - {file: edc/dm.csv, on: {SUBJID: SUBJID, SITEID: SITEID}, prefix: DM_,
         where: {column: RECONS, op: eq, value: "0"}}
    steps:
      - {target: STUDYID, algorithm: hardcode_no_ct, value: S1}
      - {target: USUBJID, algorithm: assign_concat, value: S1, sources: [SITEID, SUBJID]}
      - {target: AESTDTC, algorithm: assign_datetime, date: D, time: T, format: DD MON YYYY}
      - target: AESER
        algorithm: hardcode_ct
        value: "Y"
        codelist: NY
        when: {any: [{column: S, op: eq, value: "1"}, {column: S, op: eq, value: Yes}]}
      - {target: CTCAEGR, algorithm: split_to_supp, source: G, qlabel: CTCAE Grade, qorig: CRF}
      - {target: CRS, algorithm: relrec, source: LINE, rdomain: CM, rvariable: CMSPID}
      - {target: AESEV, algorithm: not_submitted, reason: not collected}
""",
    "synonyms.yaml": "synonyms:\n  ROUTE: {IV: INTRAVENOUS, PO: ORAL}\n",
    "visits.yaml": (
        "visits:\n  - {visitnum: 1, visit: SCREENING, raw: [SCR, SCREENING], epoch: SCREENING}\n"
        "  - {visitnum: 6.5, visit: DAY 0, visitdy: 1}\n"
    ),
    "units.yaml": "conversions:\n  - {testcd: TRIG, from: mg/dL, to: mmol/L, factor: 0.01129, "
    "decimals: 2}\n",
    "design.yaml": "arms:\n  - {armcd: DL1, arm: Dose 1}\n  - {armcd: DL2, arm: Dose 2}\nts: []\n",
}


def test_round_trip_yaml_excel_gives_the_same_spec(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec(FILES)).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    again = read_excel_spec(workbook)
    assert again == spec
    assert again.domains["AE"].blocks[0].steps[3].when == spec.domains["AE"].blocks[0].steps[3].when


def test_round_trip_detects_a_change(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec(FILES)).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    book["Variables"]["F3"] = "S2"  # first step's Value: S1 -> S2
    book.save(workbook)
    assert read_excel_spec(workbook) != spec


def test_workbook_has_reviewer_sheets(write_spec, tmp_path):
    spec = read_yaml_spec(write_spec(FILES)).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    for sheet in ("Datasets", "Variables", "Codelists", "Value Level", "Methods"):
        assert sheet in book.sheetnames
    variables = book["Variables"]
    assert [c.value for c in variables[1]][:5] == [
        "Dataset",
        "Block",
        "Order",
        "Variable",
        "Algorithm",
    ]
    assert [c.value for c in variables[2]][:5] == ["AE", "1", "1", "STUDYID", "hardcode_no_ct"]


def test_missing_sheet_is_a_spec_error(tmp_path, write_spec):
    spec = read_yaml_spec(write_spec(FILES)).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    del book["Methods"]
    book.save(workbook)
    with pytest.raises(SpecError, match=r"spec.xlsx: missing sheet\(s\) Methods"):
        read_excel_spec(workbook)


def test_bad_operator_names_sheet_and_row(tmp_path, write_spec):
    spec = read_yaml_spec(write_spec(FILES)).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    book = load_workbook(workbook)
    book["Value Level"]["E2"] = "bigger"
    book.save(workbook)
    with pytest.raises(SpecError, match=r"spec.xlsx:Value Level:2: unknown operator 'bigger'"):
        read_excel_spec(workbook)


def test_round_trip_on_the_bundled_study(tmp_path):
    folder = REPO / "mappings" / "cart-psca-001"
    spec = read_yaml_spec(folder).spec
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(spec, workbook)
    assert read_excel_spec(workbook) == spec


def test_yaml_writer_round_trip(write_spec, tmp_path):
    from sdtm.mapping.write_yaml import write_yaml_spec

    spec = read_yaml_spec(write_spec(FILES)).spec
    out = tmp_path / "again" / "demo"
    write_yaml_spec(spec, out)
    loaded = read_yaml_spec(out)
    assert loaded.problems == ()
    assert loaded.spec == spec
