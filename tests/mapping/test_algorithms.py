import types

import pandas as pd
import pytest

from sdtm.findings import FindingsTable
from sdtm.mapping.algorithms import ALGORITHMS, MapContext, compute_ascii, evaluate
from sdtm.mapping.spec import Condition, Operator, Step, When


def _values(result):
    return [None if pd.isna(v) else v for v in result.values]


def test_algorithms_table_is_read_only():
    assert isinstance(ALGORITHMS, types.MappingProxyType)
    with pytest.raises(TypeError):
        ALGORITHMS["x"] = None  # type: ignore[index]


def test_assign_ct_recodes_synonyms_and_reports_unknown_terms(small_standards, make_raw):
    raw = make_raw("edc/cm.csv", {"ROUTE": ["INTRAVENOUS", "po", "IV", "INTRATHECAL", ""]})
    step = Step("CMROUTE", "assign_ct", source="ROUTE", codelist="ROUTE")
    context = MapContext("CM", small_standards, {"ROUTE": {"IV": "INTRAVENOUS"}})
    result = ALGORITHMS["assign_ct"].function(raw, step, context)
    # CT value, CT synonym (case-insensitive), study synonym, unknown, blank
    assert _values(result) == ["INTRAVENOUS", "ORAL", "INTRAVENOUS", None, None]
    table = FindingsTable.from_frame(result.findings)
    assert table.rows(["rule_id", "source_file", "source_row", "variable", "value"]) == [
        ["MP0010", "edc/cm.csv", 5, "ROUTE", "INTRATHECAL"]
    ]
    assert "edc/cm.csv:5 ROUTE -> CM.CMROUTE: value 'INTRATHECAL'" in table.frame["message"][0]


def test_assign_no_ct_strips_and_blanks_are_missing(make_raw):
    raw = make_raw("a.csv", {"X": [" a ", "", "b"]})
    result = ALGORITHMS["assign_no_ct"].function(
        raw, Step("AETERM", "assign_no_ct", source="X"), MapContext("AE")
    )
    assert _values(result) == ["a", None, "b"]
    assert result.findings is None


def test_hardcode_no_ct_fills_every_row(make_raw):
    raw = make_raw("a.csv", {"X": ["1", "2"]})
    result = ALGORITHMS["hardcode_no_ct"].function(
        raw, Step("STUDYID", "hardcode_no_ct", value="S1"), MapContext("AE")
    )
    assert _values(result) == ["S1", "S1"]


def test_assign_datetime_reports_file_row_column_value(make_raw):
    raw = make_raw("edc/ae.csv", {"D": ["12 MAR 2024", "31 FEB 2024"], "T": ["14:UN", "10:00"]})
    step = Step("AESTDTC", "assign_datetime", date="D", time="T", date_format="DD MON YYYY")
    result = ALGORITHMS["assign_datetime"].function(raw, step, MapContext("AE"))
    assert _values(result) == ["2024-03-12T14", None]
    table = FindingsTable.from_frame(result.findings)
    assert table.rows(["rule_id", "source_row", "variable", "value"]) == [
        ["RD0102", 3, "D", "31 FEB 2024"]
    ]


def test_assign_concat_builds_ids_and_needs_every_part(make_raw):
    raw = make_raw("a.csv", {"SITE": ["101", "102"], "SUBJ": ["101-001", ""]})
    step = Step("USUBJID", "assign_concat", value="S1", sources=("SUBJ",))
    result = ALGORITHMS["assign_concat"].function(raw, step, MapContext("DM"))
    assert _values(result) == ["S1-101-001", None]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("X", Operator.EQ, "1"), [True, False, False, False]),
        (Condition("X", Operator.NE, "1"), [False, True, True, False]),
        (Condition("X", Operator.IN, ("1", "10")), [True, False, True, False]),
        (Condition("X", Operator.NOT_IN, ("1",)), [False, True, True, False]),
        (Condition("X", Operator.IS_NULL), [False, False, False, True]),
        (Condition("X", Operator.NOT_NULL), [True, True, True, False]),
        (Condition("X", Operator.GT, "1.5"), [False, True, True, False]),
        (Condition("X", Operator.LE, "2"), [True, True, False, False]),
        (Condition("X", Operator.MATCHES, r"1\d*"), [True, False, True, False]),
    ],
    ids=["eq", "ne", "in", "not_in", "is_null", "not_null", "gt", "le", "matches"],
)
def test_evaluate_declarative_conditions(make_raw, condition, expected):
    raw = make_raw("a.csv", {"X": ["1", "2", "10", ""]})
    assert evaluate(raw, When("all", (condition,))).tolist() == expected


def test_evaluate_any_and_all(make_raw):
    raw = make_raw("a.csv", {"A": ["1", "1", "0"], "B": ["1", "0", "0"]})
    a = Condition("A", Operator.EQ, "1")
    b = Condition("B", Operator.EQ, "1")
    assert evaluate(raw, When("all", (a, b))).tolist() == [True, False, False]
    assert evaluate(raw, When("any", (a, b))).tolist() == [True, True, False]


def test_assign_datetime_unreadable_time_keeps_the_date(make_raw):
    raw = make_raw("edc/ae.csv", {"D": ["12 MAR 2024"], "T": ["25:61"]})
    step = Step("AESTDTC", "assign_datetime", date="D", time="T", date_format="DD MON YYYY")
    result = ALGORITHMS["assign_datetime"].function(raw, step, MapContext("AE"))
    assert _values(result) == ["2024-03-12"]
    table = FindingsTable.from_frame(result.findings)
    assert table.rows(["rule_id", "severity", "source_row", "variable", "value"]) == [
        ["RD0103", "warning", 2, "T", "25:61"]
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fi\u00e8vre", "Fievre"),  # NFKD: accent dropped
        ("\u00b5g", "ug"),  # explicit table: micro sign
        ("\u00c6r\u00f8", "AEro"),  # explicit table: no decomposition
        ("Sj\u00f6gren\u2019s", "Sjogren's"),
        ("\ufb01lgrastim", "filgrastim"),  # compatibility ligature
        ("38 \u00b0C", "38 \u00b0C"),  # no ASCII form: kept for the preflight to report
        ("\u767a\u71b1 fever", "\u767a\u71b1 fever"),
        ("plain", "plain"),
    ],
    ids=["accent", "micro", "ligature-letters", "quote", "fi-ligature", "degree", "cjk", "ascii"],
)
def test_compute_ascii(text, expected):
    assert compute_ascii(pd.Series([text, None], dtype="string")).tolist()[0] == expected
    assert compute_ascii(pd.Series([text, None], dtype="string")).isna().tolist() == [False, True]


# Issue 17: a visit label not in the visit schedule became an unscheduled visit silently.
@pytest.mark.parametrize(
    ("label", "visitnum", "reported"),
    [
        ("DAY 7", "11", False),  # planned
        ("D7", "11", False),  # a raw name of the planned visit
        ("UNSCHEDULED", None, False),  # a declared unscheduled label
        ("UNS 2", None, False),  # matches the declared pattern UNS *
        ("DAY 77", None, True),  # neither: reported, then numbered as unscheduled
    ],
    ids=["planned", "raw-name", "unscheduled", "pattern", "unknown"],
)
def test_assign_visit_reports_labels_neither_planned_nor_unscheduled(label, visitnum, reported):
    frame = pd.DataFrame(
        {"VISIT": [label], "_src_file": ["lab.csv"], "_src_row": [9], "_src_id": ["lab.csv:9"]}
    )
    context = MapContext(
        "LB",
        visits={"DAY 7": "11", "D7": "11"},
        unscheduled_visits=("UNSCHEDULED", "UNS *"),
    )
    result = ALGORITHMS["assign_visit"].function(
        frame, Step("VISITNUM", "assign_visit", source="VISIT"), context
    )
    value = result.values.iloc[0]
    assert (None if pd.isna(value) else value) == visitnum
    rows = [] if result.findings is None else result.findings[["rule_id", "source_row"]]
    assert (len(rows) == 1) == reported
    if reported:
        assert rows.values.tolist() == [["MP0043", 9]]
        assert "value 'DAY 77' is neither a planned visit" in result.findings["message"].iloc[0]
