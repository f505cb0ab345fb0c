"""``build_reviewers_guide`` on small findings files written here."""

import json

import pytest

from sdtm.errors import InputError
from sdtm.export.sdrg import TO_BE_EXPLAINED, build_reviewers_guide, render_markdown
from sdtm.validate.waivers import load_waivers


def _finding(rule, severity, dataset, variable, value, waived):
    return {
        "rule_id": rule,
        "rule_name": rule.lower(),
        "severity": severity,
        "dataset": dataset,
        "variable": variable,
        "value": value,
        "waived": waived,
    }


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "study-x"
    folder.mkdir()
    findings = [
        _finding("CT0002", "warning", "CM", "CMDOSU", "U/min", True),
        _finding("CT0002", "warning", "CM", "CMDOSU", "U/min", True),
        _finding("CT0002", "warning", "PC", "PCORRESU", "cells/uL", False),
        _finding("ST0071", "warning", "AE", "EPOCH", None, False),
        _finding("MP0017", "notice", "edc/ae.csv", "FORM", "AE", False),
    ]
    document = {"tool": {"name": "sdtm", "version": "9.9"},
                "standards": {"sdtmig": "3.4", "ct": "2025-03-28"}, "findings": findings}
    (folder / "findings.json").write_text(json.dumps(document), encoding="utf-8")
    (folder / "counts.csv").write_text(
        "file,rows_in,rows_mapped,rows_reported\nedc/cm.csv,10,9,1\n", encoding="utf-8"
    )
    (tmp_path / "waivers.yaml").write_text(
        "waivers:\n  - rule: CT0002\n    scope: {dataset: CM, value: U/min}\n"
        "    reason: sponsor unit for vasopressin rates\n    approved_by: Team, 2024-11-01\n",
        encoding="utf-8",
    )
    return folder


def test_rows_per_rule_and_waiver_with_counts(out_dir):
    waivers = load_waivers(out_dir.parent / "waivers.yaml")
    guide = build_reviewers_guide(out_dir, waivers=waivers, waivers_source="waivers.yaml")
    rows = [(i.rule_id, i.severity, i.count, i.datasets, i.explanation) for i in guide.issues]
    assert rows == [
        ("CT0002", "warning", 1, ("PC",), TO_BE_EXPLAINED),
        (
            "CT0002",
            "warning",
            2,
            ("CM",),
            "sponsor unit for vasopressin rates (waiver approved by Team, 2024-11-01)",
        ),
        ("ST0071", "warning", 1, ("AE",), TO_BE_EXPLAINED),
        ("MP0017", "notice", 1, ("edc/ae.csv",), TO_BE_EXPLAINED),
    ]
    assert guide.draft is True
    assert guide.data_flow == (("edc/cm.csv", 10, 9, 1),)


def test_min_severity_leaves_notices_out(out_dir):
    guide = build_reviewers_guide(out_dir, min_severity="warning")
    # CT0002: one row of waived findings, one of open ones; the MP0017 notice is left out.
    assert [(i.rule_id, i.waived) for i in guide.issues] == [
        ("CT0002", False),
        ("CT0002", True),
        ("ST0071", False),
    ]


def test_no_draft_banner_once_everything_is_explained(out_dir):
    findings = [_finding("CT0002", "warning", "CM", "CMDOSU", "U/min", True)]
    document = {"tool": {}, "standards": {}, "findings": findings}
    (out_dir / "findings.json").write_text(json.dumps(document), encoding="utf-8")
    waivers = load_waivers(out_dir.parent / "waivers.yaml")
    guide = build_reviewers_guide(out_dir, waivers=waivers)
    assert guide.draft is False
    assert "DRAFT" not in render_markdown(guide)


def test_a_waived_finding_without_its_waiver_is_not_explained(out_dir):
    guide = build_reviewers_guide(out_dir)  # no waivers file given
    waived = [i for i in guide.issues if i.waived]
    assert [i.explanation for i in waived] == [
        f"waived in the run, but no waiver gives the reason: {TO_BE_EXPLAINED}"
    ]
    assert guide.draft is True


def test_missing_findings_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"findings\.json"):
        build_reviewers_guide(tmp_path)
