import json

import pytest

from sdtm.findings import FINDING_COLUMNS, Finding, FindingsTable, Severity


def _table() -> FindingsTable:
    return FindingsTable.from_findings(
        [
            Finding("CT0001", "error", "bad term", dataset="AE", variable="AEOUT", row=3),
            Finding("ST0005", "warning", "missing Exp", dataset="AE", variable="AEREL"),
            Finding("XR0001", "error", "waived one", dataset="DM", waived=True),
        ]
    )


def test_findings_table_keeps_standard_columns_in_order():
    assert list(_table().frame.columns) == list(FINDING_COLUMNS)


def test_count_by_severity_excludes_waived_findings():
    assert _table().count_by_severity() == {"error": 1, "warning": 1, "notice": 0}


@pytest.mark.parametrize(
    ("level", "expected_ids"),
    [("error", ["CT0001"]), ("warning", ["CT0001", "ST0005"]), ("notice", ["CT0001", "ST0005"])],
    ids=["error", "warning", "notice"],
)
def test_at_or_above_filters_by_rank_and_drops_waived(level, expected_ids):
    assert [row[0] for row in _table().at_or_above(level).rows(["rule_id"])] == expected_ids


def test_json_document_has_the_published_field_names(tmp_path):
    path = tmp_path / "findings.json"
    _table().write_json(path, tool={"name": "sdtm"}, standards={"sdtmig": "3.4", "ct": "x"})
    document = json.loads(path.read_text())
    assert set(document) == {"tool", "standards", "summary", "findings"}
    first = document["findings"][0]
    for field in ("rule_id", "severity", "dataset", "variable", "usubjid", "seq", "row", "value",
                  "message", "source_file", "source_row"):
        assert field in first
    assert first["row"] == 3
    assert first["usubjid"] is None
    assert document["summary"]["by_severity"]["error"] == 1


def test_from_frame_rejects_unknown_columns():
    import pandas as pd

    with pytest.raises(ValueError, match="not finding columns"):
        FindingsTable.from_frame(pd.DataFrame({"rule_id": ["X"], "colour": ["red"]}))


def test_severity_rank_orders_levels():
    assert Severity.ERROR.rank > Severity.WARNING.rank > Severity.NOTICE.rank


def test_concat_keeps_standard_columns_and_dtypes():
    joined = FindingsTable.concat([_table(), FindingsTable(), _table()])
    assert list(joined.frame.columns) == list(FINDING_COLUMNS)
    assert len(joined) == 6
    assert str(joined.frame["row"].dtype) == "Int64"
    assert joined.frame["waived"].dtype == bool
    assert joined.rows(["rule_id", "row"])[3] == ["CT0001", 3]
