import json

import pytest

from sdtm.findings import (
    FINDING_COLUMNS,
    Finding,
    FindingsTable,
    Severity,
    cause_groups,
    link_causes,
    root_causes,
    summarise,
)


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
    # Issue 17: the findings keep their fields, caused_by is added, causes group them.
    assert set(document) == {"tool", "standards", "summary", "causes", "findings"}
    first = document["findings"][0]
    for field in ("rule_id", "severity", "dataset", "variable", "usubjid", "seq", "row", "value",
                  "message", "source_file", "source_row", "caused_by"):
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


# Issue 17: one finding per cause. The orphan lab record (MP0013, mapping) is reported again
# by XR0001 at validation on the same raw row; ST0080 follows from MP0540 on its record.
def _run_findings() -> FindingsTable:
    return FindingsTable.from_findings(
        [
            Finding("MP0013", "error", "orphan", dataset="LB", variable="USUBJID",
                    value="S-O11", source_file="lab.csv", source_row=7),
            Finding("MP0013", "error", "orphan", dataset="LB", variable="USUBJID",
                    value="S-O11", source_file="lab.csv", source_row=8),
            Finding("XR0001", "error", "not in DM", dataset="LB", variable="USUBJID", row=3,
                    value="S-O11", source_file="lab.csv", source_row=7),
            Finding("XR0001", "error", "not in DM", dataset="LB", variable="USUBJID", row=4,
                    value="S-O11", source_file="lab.csv", source_row=8),
            Finding("MP0540", "warning", "no conversion", dataset="LB", variable="LBORRESU",
                    value="pg/dL", source_file="lab.csv", source_row=20),
            Finding("ST0080", "error", "STRESC missing", dataset="LB", variable="LBSTRESC",
                    row=15, source_file="lab.csv", source_row=20),
            Finding("ST0080", "error", "STRESC missing", dataset="LB", variable="LBSTRESC",
                    row=16, source_file="lab.csv", source_row=21),
        ]
    )


FOLLOWS = {"XR0001": ("MP0013",), "ST0080": ("MP0540",)}


def test_link_causes_names_the_finding_on_the_same_raw_row():
    linked = link_causes(_run_findings(), FOLLOWS)
    assert linked.rows(["rule_id", "source_row", "caused_by"]) == [
        ["MP0013", 7, None],
        ["MP0013", 8, None],
        ["XR0001", 7, "MP0013 lab.csv:7"],
        ["XR0001", 8, "MP0013 lab.csv:8"],
        ["MP0540", 20, None],
        ["ST0080", 20, "MP0540 lab.csv:20"],
        ["ST0080", 21, None],  # no unit problem on this record: a cause of its own
    ]


def test_link_causes_falls_back_to_the_dataset_record_without_raw_rows():
    table = FindingsTable.from_findings(
        [
            Finding("ST0079", "error", "pair", dataset="LB", variable="LBTEST", row=5),
            Finding("CT0010", "warning", "codes", dataset="LB", variable="LBTEST", row=5),
            Finding("CT0010", "warning", "codes", dataset="LB", variable="LBTEST", row=6),
        ]
    )
    linked = link_causes(table, {"CT0010": ("ST0079",)})
    assert linked.rows(["rule_id", "row", "caused_by"]) == [
        ["ST0079", 5, None],
        ["CT0010", 5, "ST0079 LB row 5"],
        ["CT0010", 6, None],
    ]


def test_summary_counts_causes_and_records_separately():
    summary = summarise(link_causes(_run_findings(), FOLLOWS))
    # 7 records; causes: subject S-O11 missing (MP0013, 2 records + 2 following), the pg/dL
    # unit (MP0540 + 1 following), and the ST0080 of row 21 on its own.
    assert summary["records"] == 7
    assert summary["causes"] == 3
    by_rule = {r["rule_id"]: (r["count"], r["causes"], r["following"]) for r in summary["by_rule"]}
    assert by_rule == {
        "MP0013": (2, 1, 0),
        "XR0001": (2, 0, 2),
        "MP0540": (1, 1, 0),
        "ST0080": (2, 1, 1),
    }


def test_cause_groups_list_root_causes_with_their_followers():
    groups = cause_groups(link_causes(_run_findings(), FOLLOWS))
    assert groups[["rule_id", "value", "records", "following"]].values.tolist() == [
        ["MP0013", "S-O11", 2, 2],
        ["ST0080", None, 1, 0],
        ["MP0540", "pg/dL", 1, 1],
    ]


def test_root_causes_follow_a_chain_to_its_start():
    table = FindingsTable.from_findings(
        [
            Finding("RD0005", "warning", "dup", source_file="lab.csv", source_row=9),
            Finding("ST0093", "warning", "dup rec", dataset="LB", row=4, source_file="lab.csv",
                    source_row=9, caused_by="RD0005 lab.csv:9"),
            Finding("ST0013", "warning", "dup key", dataset="LB", row=4, source_file="lab.csv",
                    source_row=9, caused_by="ST0093 lab.csv:9"),
        ]
    )
    assert root_causes(table.frame).tolist() == ["RD0005 lab.csv:9"] * 3
