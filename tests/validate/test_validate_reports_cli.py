"""`sdtm validate` with the report formats, waivers and rule selection of the conformance area."""

import csv
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sdtm.cli import main


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


@pytest.fixture
def dm_ta(pilot_dir: Path, tmp_path: Path) -> Path:
    """Pilot DM and TA: the 52 screen failures' ARMCD/ACTARMCD 'Scrnfail' are not in TA."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name in ("dm.xpt", "ta.xpt"):
        shutil.copy(pilot_dir / name, folder / name)
    return folder


def test_junit_report(dm_ta: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.xml"
    assert run_cli(["validate", str(dm_ta), "--format", "junit", "--output", str(output)]) == 1
    root = ET.parse(output).getroot()
    failed = sorted(
        case.get("name")
        for case in root.iter("testcase")
        if case.find("failure") is not None and case.get("classname") == "sdtm.DM"
    )
    assert "XR0002 armcd-not-in-ta" in failed and "XR0003 actarmcd-not-in-ta" in failed


def test_xlsx_and_csv_reports(dm_ta: Path, tmp_path: Path) -> None:
    xlsx, table = tmp_path / "report.xlsx", tmp_path / "report.csv"
    assert run_cli(["validate", str(dm_ta), "--format", "xlsx", "--output", str(xlsx)]) == 1
    assert run_cli(["validate", str(dm_ta), "--format", "csv", "--output", str(table)]) == 1
    book = load_workbook(xlsx)
    assert book.sheetnames == ["errors", "warnings", "notices", "Rules"]
    with table.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["rule_id"] == "XR0002"]
    assert len(rows) == 52 and rows[0]["value"] == "Scrnfail"
    errors = [r for r in book["errors"].iter_rows(min_row=2, values_only=True) if r[0] == "XR0002"]
    assert len(errors) == 52


def test_machine_formats_need_an_output_file(dm_ta: Path) -> None:
    assert run_cli(["validate", str(dm_ta), "--format", "xlsx"]) == 2


def test_waivers_and_unused_waiver(dm_ta: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {rule: 'XR000[23]', scope: {value: Scrnfail}, reason: legacy, approved_by: me}\n"
        "  - {rule: XR0015, reason: no SUPP in this package, approved_by: me}\n",
        encoding="utf-8",
    )
    output = tmp_path / "report.json"
    args = ["validate", str(dm_ta), "--waivers", str(waivers), "--format", "json"]
    assert run_cli([*args, "--output", str(output)]) == 0
    findings = json.loads(output.read_text(encoding="utf-8"))["findings"]
    waived = [f for f in findings if f["waived"]]
    assert {f["rule_id"] for f in waived} == {"XR0002", "XR0003"} and len(waived) == 104
    unused = [f for f in findings if f["rule_id"] == "ST0900"]
    assert [(f["severity"], f["row"], f["value"]) for f in unused] == [("warning", 2, "XR0015")]


def test_select_runs_only_the_named_rules(dm_ta: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    args = ["validate", str(dm_ta), "--select", "XR0002", "--format", "json"]
    assert run_cli([*args, "--output", str(output)]) == 1
    rule_ids = {f["rule_id"] for f in json.loads(output.read_text())["findings"]}
    assert "XR0002" in rule_ids and "XR0003" not in rule_ids
