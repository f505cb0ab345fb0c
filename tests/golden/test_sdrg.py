"""``sdtm sdrg`` on the bundled study's run: every rule left, waived or not, with its count.

The expected rows are computed here from findings.json and waivers.yaml directly: the waiver
scopes of the bundled study are literal values, so a waiver covers the waived findings of its
rule whose dataset, variable and value equal the scope's.
"""

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from docx import Document

from sdtm.cli import main

REPO = Path(__file__).resolve().parents[2]
WAIVERS = REPO / "mappings" / "cart-psca-001" / "waivers.yaml"


def _expected(out_dir: Path) -> Counter:
    findings = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))["findings"]
    waivers = yaml.safe_load(WAIVERS.read_text(encoding="utf-8"))["waivers"]
    rows: Counter = Counter()
    for finding in findings:
        reason = "to be explained"
        if finding["rule_id"] == "MP0002" and not finding["waived"]:
            # rows skipped in study.yaml: the finding's value is the skip reason
            reason = f"not submitted on purpose (mapping spec skip): {finding['value']}"
        if finding["waived"]:
            for waiver in waivers:
                scope = waiver.get("scope", {})
                if waiver["rule"] == finding["rule_id"] and all(
                    str(finding.get(k)) == str(v) for k, v in scope.items()
                ):
                    reason = " ".join(waiver["reason"].split())
                    break
        rows[(finding["rule_id"], finding["severity"], reason)] += 1
    return rows


def _sdrg(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sdrg", *args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def _issue_rows(markdown: str) -> Counter:
    section = markdown.split("### 4.2 Issues Summary")[1].split("## Appendix II")[0]
    rows: Counter = Counter()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 6 and cells[0] not in ("Check ID", "---"):
            explanation = cells[5].split(" (waiver approved by")[0]
            rows[(cells[0], cells[2], explanation)] += int(cells[3])
    return rows


def test_sdrg_lists_every_waived_and_unwaived_rule_with_counts(bundled, capsys):
    code, out, err = _sdrg([str(bundled.out_dir), "--waivers", str(WAIVERS)], capsys)
    assert code == 0
    expected = _expected(bundled.out_dir)
    assert _issue_rows(out) == expected
    # The bundled study plants problems: some are waived (CT0001, CT0002), others are not.
    assert any(reason != "to be explained" for _, _, reason in expected)
    assert any(reason == "to be explained" for _, _, reason in expected)
    assert out.startswith("> **DRAFT**")
    assert "DRAFT: some findings are not explained yet" in err


def test_sdrg_sections_follow_the_phuse_template_order(bundled, capsys):
    _, out, _ = _sdrg([str(bundled.out_dir), "--waivers", str(WAIVERS)], capsys)
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert headings[:6] == [
        "# Study Data Reviewer's Guide: cart-psca-001 (conformance sections)",
        "## 1.3 Study Data Standards and Dictionary Inventory",
        "## 3.1 Overview: data flow",
        "## 4 Data Conformance Summary",
        "### 4.1 Conformance Inputs",
        "### 4.2 Issues Summary",
    ]
    assert "| SDTM Implementation Guide | 3.4 |" in out
    assert "| CDISC SDTM Controlled Terminology | 2025-03-28 |" in out
    counts = (bundled.out_dir / "counts.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in counts:  # every raw file of counts.csv is in the data-flow table
        file, rows_in, mapped, reported = line.split(",")
        assert f"| {file} | {rows_in} | {mapped} | {reported} |" in out


def test_sdrg_as_docx(bundled, tmp_path, capsys):
    target = tmp_path / "sdrg.docx"
    args = [str(bundled.out_dir), "--waivers", str(WAIVERS), "--format", "docx"]
    code, _, _ = _sdrg([*args, "--output", str(target)], capsys)
    assert code == 0
    document = Document(str(target))
    texts = [p.text for p in document.paragraphs]
    assert texts[0].startswith("DRAFT -")
    assert "4.2 Issues Summary" in texts
    # The Issues Summary table has the Check ID header and a CT0001 row.
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "Check ID"]
    assert any(row.cells[0].text == "CT0001" for row in tables[0].rows)
    code, _, err = _sdrg([*args], capsys)
    assert code == 2
    assert "--format docx needs --output" in err
