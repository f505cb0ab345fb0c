"""The ``read:`` key, ``lookups.yaml`` and the required date format in a YAML spec (issue 10)."""

from sdtm.mapping.load_excel import read_excel_spec, write_excel_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.write_yaml import write_yaml_spec
from sdtm.read.options import ReadOptions

STUDY = "study:\n  studyid: S1\n"

LB = """\
domain: LB
file: lab/central.csv
read: {encoding: latin-1, delimiter: ";", skip_rows: 3, decimal: ",", na_values: [ND, "."]}
steps:
  - {target: LBTESTCD, algorithm: assign_lookup, source: LOINC, lookup: loinc}
  - {target: LBTEST, algorithm: assign_paired_term, source: LBTESTCD}
  - {target: LBORNRLO, algorithm: assign_range_low, source: RANGE}
  - {target: LBDTC, algorithm: assign_datetime, date: DATE, time: TIME, format: ISO 8601 basic,
     time_format: HHMM}
"""

LOOKUPS = """\
lookups:
  loinc:
    "26881-3": INTLK6
    "1988-5": CRP
"""


def _problems(loaded):
    return [str(p) for p in loaded.problems]


def test_read_options_lookups_and_formats_load(write_spec):
    folder = write_spec({"study.yaml": STUDY, "lb.yaml": LB, "lookups.yaml": LOOKUPS})
    loaded = read_yaml_spec(folder)
    assert _problems(loaded) == []
    block = loaded.spec.domains["LB"].blocks[0]
    assert block.read == ReadOptions(
        encoding="latin-1", delimiter=";", skip_rows=3, decimal=",", na_values=("ND", ".")
    )
    assert block.table == "lab/central.csv"
    assert loaded.spec.lookups == {"loinc": {"26881-3": "INTLK6", "1988-5": "CRP"}}
    assert block.steps[3].time_format == "HHMM"
    assert loaded.spec.read_plan == {"lab/central.csv": ("lab/central.csv", block.read)}


def test_bad_read_options_are_spec_problems_with_their_line(write_spec):
    text = LB.replace("skip_rows: 3", "skip_rows: three").replace("latin-1", "latin-99")
    folder = write_spec({"study.yaml": STUDY, "lb.yaml": text, "lookups.yaml": LOOKUPS})
    problems = _problems(read_yaml_spec(folder))
    assert "demo/lb.yaml:3: read: skip_rows must be a whole number, not 'three' [MP0106 " \
        "spec-malformed]" in problems
    expected = "lb.yaml:3: read: lab/central.csv: unknown encoding 'latin-99'"
    assert any(expected in p for p in problems)


def test_an_unknown_lookup_table_and_a_missing_date_format_are_spec_problems(write_spec):
    text = LB.replace("lookup: loinc", "lookup: loinc2").replace(
        " format: ISO 8601 basic,", ""
    )
    folder = write_spec({"study.yaml": STUDY, "lb.yaml": text, "lookups.yaml": LOOKUPS})
    problems = _problems(read_yaml_spec(folder))
    expected = "lookup table 'loinc2' is not in lookups.yaml (tables: loinc)"
    assert any(expected in p for p in problems)
    assert any("LB.LBDTC: needs 'format'" in p for p in problems)


def test_uses_of_one_file_with_different_options_are_a_spec_problem(write_spec):
    study = STUDY + (
        "skip:\n  - file: lab/central.csv\n    reason: other rows\n    read: {delimiter: ','}\n"
    )
    folder = write_spec({"study.yaml": study, "lb.yaml": LB, "lookups.yaml": LOOKUPS})
    problems = _problems(read_yaml_spec(folder))
    assert any(
        "lab/central.csv: read option delimiter is ',' here but ';' at demo/lb.yaml:1" in p
        for p in problems
    ), problems


def test_a_use_without_options_inherits_them(write_spec):
    study = STUDY + "skip:\n  - file: lab/central.csv\n    reason: other rows\n"
    folder = write_spec({"study.yaml": study, "lb.yaml": LB, "lookups.yaml": LOOKUPS})
    loaded = read_yaml_spec(folder)
    assert _problems(loaded) == []
    assert loaded.spec.read_plan["lab/central.csv"][1].delimiter == ";"


def test_sheets_of_one_workbook_are_separate_tables(write_spec):
    ae = "domain: AE\nfile: edc/forms.xlsx\nread: {sheet: AE}\nsteps:\n" \
         "  - {target: AETERM, algorithm: assign_no_ct, source: AETERM}\n"
    cm = "domain: CM\nfile: edc/forms.xlsx\nread: {sheet: CM, header_row: 2}\nsteps:\n" \
         "  - {target: CMTRT, algorithm: assign_no_ct, source: CMTRT}\n"
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": ae, "cm.yaml": cm})
    loaded = read_yaml_spec(folder)
    assert _problems(loaded) == []
    assert sorted(loaded.spec.read_plan) == ["edc/forms.xlsx[AE]", "edc/forms.xlsx[CM]"]


def test_read_options_and_lookups_survive_yaml_and_excel_round_trips(write_spec, tmp_path):
    folder = write_spec({"study.yaml": STUDY, "lb.yaml": LB, "lookups.yaml": LOOKUPS})
    spec = read_yaml_spec(folder).spec
    write_excel_spec(spec, tmp_path / "spec.xlsx")
    assert read_excel_spec(tmp_path / "spec.xlsx") == spec
    write_yaml_spec(spec, tmp_path / "again")
    again = read_yaml_spec(tmp_path / "again")
    assert _problems(again) == []
    assert again.spec.domains == spec.domains
    assert again.spec.lookups == spec.lookups
