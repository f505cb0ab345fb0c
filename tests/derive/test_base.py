import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdtm.derive.base import (
    DeriveRule,
    compute_canonical_number,
    key_text,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.errors import MappingError
from sdtm.findings import Severity

RULE = DeriveRule("MP0999", "example-problem", Severity.WARNING)


def test_row_findings_names_subject_and_source_row():
    df = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3"],
            "X": ["a", "b", None],
            "_src_file": ["raw/lab.csv"] * 3,
            "_src_row": [4, 5, 6],
        }
    )
    mask = pd.Series([False, True, True])
    table = row_findings(
        df, mask, RULE, "bad " + df["X"].fillna("?"), dataset="LB", variable="LBX", value=df["X"]
    )
    assert table.rows(
        [
            "rule_id",
            "rule_name",
            "severity",
            "stage",
            "usubjid",
            "source_file",
            "source_row",
            "value",
            "message",
        ]
    ) == [
        [
            "MP0999",
            "example-problem",
            "warning",
            "derive",
            "S2",
            "raw/lab.csv",
            5,
            "b",
            "bad b [MP0999 example-problem]",
        ],
        [
            "MP0999",
            "example-problem",
            "warning",
            "derive",
            "S3",
            "raw/lab.csv",
            6,
            None,
            "bad ? [MP0999 example-problem]",
        ],
    ]


def test_row_findings_empty_mask_gives_empty_table():
    assert len(row_findings(pd.DataFrame({"A": [1]}), pd.Series([False]), RULE, "x")) == 0


def test_where_label_names_source_row_and_subject():
    with_src = pd.DataFrame({"USUBJID": ["S1"], "_src_file": ["a.csv"], "_src_row": [7]})
    assert where_label(with_src).tolist() == ["a.csv:7 (USUBJID S1)"]
    assert where_label(with_src.drop(columns="USUBJID")).tolist() == ["a.csv:7"]
    assert where_label(pd.DataFrame({"USUBJID": ["S1"]})).tolist() == ["USUBJID S1"]
    assert where_label(pd.DataFrame({"X": [1, 2]})).tolist() == ["row 1", "row 2"]


def test_require_columns_names_what_is_missing():
    with pytest.raises(MappingError, match="derive_x needs column\\(s\\) B, C"):
        require_columns(pd.DataFrame({"A": [1]}), ("A", "B", "C"), "derive_x")


def _printf_canonical(value: float, decimals: int) -> str:
    """The canonical text worked out one value at a time with Python's printf formatting."""
    text = f"%.{decimals}f" % value
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# A small pool of values, so that a column repeats them (each distinct number is formatted
# once and spread back): 0.0 and -0.0 fall together there and must both give "0".
POOL = [0.0, -0.0, 1.005, 2.5, -2.25, 260.0, 0.01129, 1e-7, 123456.789, -0.0001]


@given(
    st.lists(
        st.tuples(st.sampled_from([*POOL, None]), st.integers(min_value=0, max_value=6)),
        max_size=40,
    )
)
def test_compute_canonical_number_per_value_as_printf(rows):
    values = pd.Series([value for value, _ in rows], dtype="float64")
    decimals = pd.Series([places for _, places in rows], dtype="int64")
    expected = [
        None if value is None else _printf_canonical(value, places) for value, places in rows
    ]
    out = compute_canonical_number(values, decimals)
    assert out.dtype == "string"
    assert [None if pd.isna(text) else text for text in out] == expected


def test_key_text_compares_numbers_canonically_and_text_stripped():
    keys = pd.Series(
        ["3", 3.0, " 3 ", "3.50", "abc", " abc", None, "", "-0.0", "1e3"], dtype=object
    )
    out = key_text(keys)
    assert out.dtype == "string"
    # Worked out by hand: numbers as canonical text (3.0 reads "3.0"), text stripped, a
    # blank stays blank, a missing key stays missing, exponent notation is text.
    assert [None if pd.isna(text) else text for text in out] == [
        "3", "3", "3", "3.5", "abc", "abc", None, "", "0", "1e3"
    ]
    assert key_text(pd.Series([2, 2, 10], dtype="int64")).tolist() == ["2", "2", "10"]
