import csv
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from openpyxl import load_workbook
from rich.console import Console

from sdtm.errors import ExportError
from sdtm.export.report import (
    exit_code,
    neutralize,
    render_text,
    write_report,
)
from sdtm.findings import FindingsTable
from sdtm.validate.registry import build_registry


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture
def findings() -> FindingsTable:
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": ["ST0064", "ST0081", "XR0002", "ST0064"],
                "rule_name": [
                    "start-after-end",
                    "standard-unit-missing",
                    "armcd-not-in-ta",
                    "start-after-end",
                ],
                "severity": ["error", "warning", "error", "error"],
                "message": ["AE row 1: end before start", "no unit", "not in TA", "again"],
                "dataset": ["AE", "LB", "DM", "AE"],
                "variable": ["AESTDTC", "LBSTRESU", "ARMCD", "AESTDTC"],
                "row": [1, 2, 7, 3],
                "usubjid": ["S1", "S1", "S7", "S3"],
                "value": ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-PT1H"],
                "waived": [False, False, True, False],
            }
        )
    )


def _rules(registry, *ids):
    return [registry.rule(i) for i in ids]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("HEADACHE", "HEADACHE"),
        (3, 3),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "plain", "number"],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


@pytest.mark.parametrize(
    ("fail_on", "code"), [("error", 1), ("warning", 1), ("notice", 1)], ids=["e", "w", "n"]
)
def test_exit_code_with_findings(findings, fail_on, code):
    assert exit_code(findings, fail_on) == code


def test_exit_code_ignores_waived_and_lower_levels(findings):
    only_warning = FindingsTable.from_frame(findings.frame.iloc[[1, 2]])  # warning + waived
    assert exit_code(only_warning, "error") == 0
    assert exit_code(only_warning, "warning") == 1
    assert exit_code(FindingsTable(), "notice") == 0


def test_csv_is_spreadsheet_safe(tmp_path, findings):
    path = tmp_path / "f.csv"
    write_report(findings, "csv", path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["value"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'@SUM(A1)",
        "'-PT1H",
    ]
    assert [r["rule_id"] for r in rows] == ["ST0064", "ST0081", "XR0002", "ST0064"]
    assert rows[2]["waived"] == "True"


def test_xlsx_opens_with_a_sheet_per_severity_and_rules(tmp_path, findings, registry):
    path = tmp_path / "f.xlsx"
    rules = _rules(registry, "ST0064", "ST0081", "XR0002")
    write_report(findings, "xlsx", path, rules=rules)
    book = load_workbook(path)
    assert book.sheetnames == ["errors", "warnings", "notices", "Rules"]
    errors = list(book["errors"].iter_rows(values_only=True))
    header = errors[0]
    assert header[:3] == ("rule_id", "rule_name", "severity")
    values = [dict(zip(header, row, strict=True))["value"] for row in errors[1:]]
    assert values == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-PT1H"]
    # Nothing is stored as a formula.
    assert all(
        cell.data_type != "f"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
    )
    assert [r[0] for r in book["Rules"].iter_rows(min_row=2, values_only=True)] == [
        "ST0064",
        "ST0081",
        "XR0002",
    ]
    assert len(list(book["notices"].iter_rows())) == 1  # header only


def test_junit_has_one_case_per_rule_and_dataset(tmp_path, findings, registry):
    path = tmp_path / "f.xml"
    rules = _rules(registry, "ST0064", "ST0081", "XR0002")
    write_report(findings, "junit", path, rules=rules, datasets=["DM", "AE", "LB", "TS"])
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == ["sdtm.AE", "sdtm.DM", "sdtm.LB", "sdtm.TS"]
    assert all(len(s.findall("testcase")) == 3 for s in suites.values())
    failed = [
        (s.get("name"), c.get("name"))
        for s in suites.values()
        for c in s.findall("testcase")
        if c.find("failure") is not None
    ]
    # The LB warning does not fail at --fail-on error; the DM error is waived.
    assert failed == [("sdtm.AE", "ST0064 start-after-end")]
    failure = suites["sdtm.AE"].find("testcase/failure")
    assert failure.get("message") == "2 error finding(s) of ST0064"
    assert failure.text.splitlines() == ["AE row 1: end before start", "again"]
    assert root.get("tests") == "12" and root.get("failures") == "1"
    dm_case = suites["sdtm.DM"].find("testcase[@name='XR0002 armcd-not-in-ta']")
    assert dm_case.find("system-out").text == "[waived] not in TA"


def test_junit_fail_on_warning(tmp_path, findings, registry):
    path = tmp_path / "f.xml"
    rules = _rules(registry, "ST0081")
    write_report(findings, "junit", path, rules=rules, datasets=["LB"], fail_on="warning")
    root = ET.parse(path).getroot()
    assert root.find("testsuite/testcase/failure").get("type") == "warning"


def test_json_document_keeps_findings_fields_and_adds_rules(tmp_path, findings, registry):
    path = tmp_path / "f.json"
    write_report(
        findings,
        "json",
        path,
        rules=_rules(registry, "ST0064"),
        tool={"name": "sdtm", "version": "0.1.0"},
        standards={"sdtmig": "3.4"},
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(document) == ["causes", "findings", "rules", "standards", "summary", "tool"]
    assert document["findings"][0]["rule_name"] == "start-after-end"
    assert document["summary"]["by_severity"] == {"error": 2, "warning": 1, "notice": 0}
    assert document["rules"][0]["id"] == "ST0064"
    assert document["rules"][0]["references"].startswith("CDISC CORE CORE-000718")


def test_unknown_format_and_unwritable_path(tmp_path, findings):
    with pytest.raises(ExportError, match="unknown report format 'pdf'"):
        write_report(findings, "pdf", tmp_path / "f.pdf")
    with pytest.raises(ExportError, match="cannot write report"):
        write_report(findings, "csv", tmp_path / "missing-dir" / "f.csv")


def test_render_text_lists_small_tables(findings):
    console = Console(record=True, width=200)
    render_text(findings, console)
    output = console.export_text()
    assert output.splitlines()[0] == (
        "4 finding(s): 2 error(s), 1 warning(s), 0 notice(s); 1 waived; 3 cause(s)"
    )
    assert "ST0064" in output and "error (waived)" in output


def test_render_text_summarises_large_tables(findings):
    console = Console(record=True, width=200)
    render_text(findings, console, limit=2)
    output = console.export_text()
    assert "one line per root cause" in output
    assert "end before start" not in output


def test_render_text_puts_each_finding_after_its_cause():
    # Issue 17: the XR0001 of the orphan record is listed under the MP0013 that causes it.
    table = FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": ["XR0001", "ST0064", "MP0013"],
                "severity": ["error", "error", "error"],
                "message": ["not in DM", "end before start", "orphan subject"],
                "dataset": ["LB", "AE", "LB"],
                "source_file": ["lab.csv", "ae.csv", "lab.csv"],
                "source_row": [7, 3, 7],
                "caused_by": ["MP0013 lab.csv:7", None, None],
            }
        )
    )
    console = Console(record=True, width=200)
    render_text(table, console)
    lines = [line for line in console.export_text().splitlines() if "│" in line]
    assert [line.split("│")[1].strip() for line in lines] == ["MP0013", "<- XR0001", "ST0064"]
