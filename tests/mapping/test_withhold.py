"""Records withheld for a hard rule: found by their raw row, whatever type the row has."""

import pandas as pd
import pytest

from sdtm.findings import FindingsTable
from sdtm.mapping.engine import DomainResult
from sdtm.mapping.withhold import withhold_records


def _result(rows: list) -> DomainResult:
    files = ["edc/ae.csv", "edc/ae.csv", "edc/other.csv", "edc/ae.csv"]
    frame = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3", "S4"],
            "AETERM": ["a", None, "c", "d"],
            "_src_file": files,
            "_src_row": rows,
            "_src_id": [f"{f}:{r}" for f, r in zip(files, rows, strict=True)],
            "_rec": ["AE.1", "AE.2", "AE.3", "AE.4"],
        }
    )
    lineage = frame[["_rec", "_src_file", "_src_row", "_src_id"]].assign(DOMAIN="AE")
    return DomainResult(frame, lineage, (), (), FindingsTable())


def _cause(rule: str, file: str, row: int) -> dict:
    return {
        "rule_id": rule,
        "severity": "error",
        "message": "m",
        "source_file": file,
        "source_row": row,
    }


@pytest.mark.parametrize(
    "rows",
    [[2, 3, 3, 5], pd.array([2, 3, 3, 5], dtype="Int64"), ["2", "3", "3", "5"]],
    ids=["int64", "Int64", "text"],
)
def test_records_withheld_by_their_own_raw_row(rows):
    # Row 3 of ae.csv has a null Required value, and row 5 a subject missing from DM; row 3
    # of other.csv has no finding (same row number, another file), nor has row 2.
    findings = FindingsTable.from_frame(
        pd.DataFrame([_cause("MP0041", "edc/ae.csv", 3), _cause("MP0013", "edc/ae.csv", 5)])
    )
    out, found = withhold_records({"AE": _result(rows)}, findings)
    assert out["AE"].frame["USUBJID"].tolist() == ["S1", "S3"]
    assert found.rows(["rule_id", "usubjid", "source_file", "source_row", "caused_by"]) == [
        ["MP0040", "S2", "edc/ae.csv", 3, "MP0041 edc/ae.csv:3"],
        ["MP0040", "S4", "edc/ae.csv", 5, "MP0013 edc/ae.csv:5"],
    ]
    assert sorted(out["AE"].reported_ids) == ["edc/ae.csv:3", "edc/ae.csv:5"]


def test_a_raw_row_another_record_still_uses_is_not_reported():
    # AE.1 (kept) was joined to raw row 3 as well (a lookup row): row 3 stays accounted
    # for by AE.1, so only row 5 joins the rows reported.
    result = _result([2, 3, 3, 5])
    shared = pd.DataFrame(
        [
            {
                "_rec": "AE.1",
                "_src_file": "edc/ae.csv",
                "_src_row": 3,
                "_src_id": "edc/ae.csv:3",
                "DOMAIN": "AE",
            }
        ]
    )
    result = DomainResult(
        result.frame,
        pd.concat([result.lineage, shared], ignore_index=True),
        (),
        (),
        FindingsTable(),
    )
    findings = FindingsTable.from_frame(
        pd.DataFrame([_cause("MP0041", "edc/ae.csv", 3), _cause("MP0013", "edc/ae.csv", 5)])
    )
    out, _ = withhold_records({"AE": result}, findings)
    assert sorted(out["AE"].reported_ids) == ["edc/ae.csv:5"]
    assert out["AE"].lineage["_rec"].tolist() == ["AE.1", "AE.3", "AE.1"]
