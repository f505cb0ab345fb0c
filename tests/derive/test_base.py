import pandas as pd
import pytest

from sdtm.derive.base import DeriveRule, require_columns, row_findings, where_label
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
