"""Range split, regex extract, study lookup and CT paired-term algorithms (issue 10).

Each has a passing case and a failing case; the CT pairs come from the bundled CT package
(CDISC publishes LBTESTCD INTLK6 and LBTEST "Interleukin 6" under one C-code, C74834).
"""

import pandas as pd
import pytest

from sdtm.config import default_specs_dir
from sdtm.findings import FindingsTable
from sdtm.mapping.algorithms import ALGORITHMS, MapContext
from sdtm.mapping.check import missing_raw_columns
from sdtm.mapping.spec import Block, DomainMapping, MappingSpec, Step
from sdtm.mapping.text_algorithms import extract_group
from sdtm.standards import load_standards


def _values(result):
    return [None if pd.isna(v) else v for v in result.values]


def _found(result):
    if result.findings is None:
        return []
    table = FindingsTable.from_frame(result.findings)
    return table.rows(["rule_id", "source_row", "variable", "value"])


@pytest.fixture(scope="module")
def standards():
    return load_standards(default_specs_dir())


RANGES = ["3.0-7.0", "<5.0", "<=0.5", ">10", ">= 2", "-1 - 4", "4.0 to 11.0", "", "normal"]


def test_assign_range_low_reads_each_shape(make_raw):
    raw = make_raw("lab.csv", {"RANGE": RANGES})
    step = Step("LBORNRLO", "assign_range_low", source="RANGE")
    result = ALGORITHMS["assign_range_low"].function(raw, step, MapContext("LB"))
    assert _values(result) == ["3.0", None, None, "10", "2", "-1", "4.0", None, None]
    assert _found(result) == [["MP0050", 10, "RANGE", "normal"]]


def test_assign_range_high_reads_each_shape(make_raw):
    raw = make_raw("lab.csv", {"RANGE": RANGES})
    step = Step("LBORNRHI", "assign_range_high", source="RANGE")
    result = ALGORITHMS["assign_range_high"].function(raw, step, MapContext("LB"))
    assert _values(result) == ["7.0", "5.0", "0.5", None, None, "4", "11.0", None, None]
    assert _found(result) == [["MP0050", 10, "RANGE", "normal"]]


def test_assign_extract_keeps_the_group_and_reports_values_it_does_not_match(make_raw):
    raw = make_raw("edc/ae.csv", {"SITE": ["Site 101 (Boston)", "Site 7", "Boston"]})
    step = Step("SITEID", "assign_extract", source="SITE", pattern=r"Site (\d+)")
    result = ALGORITHMS["assign_extract"].function(raw, step, MapContext("DM"))
    assert _values(result) == ["101", "7", None]
    assert _found(result) == [["MP0051", 4, "SITE", "Boston"]]


def test_assign_extract_named_group(make_raw):
    raw = make_raw("a.csv", {"X": ["lot: AB-12 (bag 2)"]})
    step = Step("EXLOT", "assign_extract", source="X", pattern=r"(lot): (?P<value>[A-Z]+-\d+)")
    assert _values(ALGORITHMS["assign_extract"].function(raw, step, MapContext("EX"))) == ["AB-12"]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [(r"Site \d+", "has 0 group(s)"), (r"(a)(b)", "has 2 group(s)"), (r"(", "not a regular")],
    ids=["no-group", "two-groups", "invalid"],
)
def test_extract_pattern_problems(pattern, problem):
    assert problem in (extract_group(pattern) or "")


def test_assign_lookup_maps_loinc_to_testcd_and_reports_unknown_codes(make_raw):
    raw = make_raw("lab/central.csv", {"LOINC": ["26881-3", " 1988-5 ", "9999-9", ""]})
    step = Step("LBTESTCD", "assign_lookup", source="LOINC", lookup="loinc_lbtestcd")
    context = MapContext("LB", lookups={"loinc_lbtestcd": {"26881-3": "INTLK6", "1988-5": "CRP"}})
    result = ALGORITHMS["assign_lookup"].function(raw, step, context)
    assert _values(result) == ["INTLK6", "CRP", None, None]
    assert _found(result) == [["MP0052", 4, "LOINC", "9999-9"]]


def test_assign_paired_term_gives_the_test_name_of_the_test_code(make_raw, standards):
    raw = make_raw("lab/central.csv", {"LBTESTCD": ["INTLK6", "CRP", "NOTATERM"]})
    step = Step("LBTEST", "assign_paired_term", source="LBTESTCD")
    result = ALGORITHMS["assign_paired_term"].function(raw, step, MapContext("LB", standards))
    assert _values(result) == ["Interleukin 6", "C Reactive Protein", None]
    assert _found(result) == [["MP0053", 4, "LBTESTCD", "NOTATERM"]]


def test_assign_paired_term_with_codelists_named(make_raw, standards):
    raw = make_raw("a.csv", {"CODE": ["TEMP"]})
    step = Step(
        "VSTEST", "assign_paired_term", source="CODE", codelist="VSTEST", source_codelist="VSTESTCD"
    )
    result = ALGORITHMS["assign_paired_term"].function(raw, step, MapContext("VS", standards))
    assert _values(result) == ["Temperature"]


def test_not_submitted_names_raw_columns_whatever_the_step_order():
    # AETERM is first a target (from AETERM_RAW), then named by not_submitted: the raw column
    # AETERM is what not_submitted means, so it counts as read (no MP0017).
    steps = (
        Step("AETERM", "assign_no_ct", source="AETERM_RAW"),
        Step("_NOT_SUBMITTED", "not_submitted", sources=("AETERM",), reason="coded copy"),
    )
    spec = MappingSpec("s", "S", {"AE": DomainMapping("AE", (Block("ae.csv", steps),))})
    read = {m.column for m in missing_raw_columns(spec, {"ae.csv": ()})}
    assert read == {"AETERM_RAW", "AETERM"}


def test_a_later_step_reading_an_earlier_target_is_not_a_raw_column():
    steps = (
        Step("LBTESTCD", "assign_no_ct", source="CODE"),
        Step("LBTEST", "assign_paired_term", source="LBTESTCD"),
    )
    spec = MappingSpec("s", "S", {"LB": DomainMapping("LB", (Block("lb.csv", steps),))})
    read = {m.column for m in missing_raw_columns(spec, {"lb.csv": ()})}
    assert read == {"CODE"}
