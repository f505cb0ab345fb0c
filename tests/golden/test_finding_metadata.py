"""Every finding a real run reports carries the name and severity its rule YAML declares.

Stages that emit findings keep a small (name, severity) table next to their code; these tests
catch any drift from specs/rules/<ID>.yaml on the findings that real data actually produce.
"""

from pathlib import Path

import pytest

from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.standards import load_standards
from sdtm.validate.package import validate_frames
from sdtm.validate.registry import load_rules

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rules():
    return load_rules(REPO / "specs" / "rules")


def _mismatches(findings, rules) -> list[tuple]:
    frame = findings.frame
    pairs = frame[["rule_id", "rule_name", "severity"]].drop_duplicates()
    problems = []
    for rule_id, rule_name, severity in pairs.itertuples(index=False):
        rule = rules.get(rule_id)
        if rule is None:
            problems.append((rule_id, "no YAML"))
        elif rule_name != rule.name or severity != rule.severity.value:
            problems.append((rule_id, rule_name, severity, rule.name, rule.severity.value))
    return problems


def test_bundled_run_findings_match_rule_yaml(bundled, rules):
    assert len(bundled.findings) > 0
    assert _mismatches(bundled.findings, rules) == []


def test_pilot_validation_findings_match_rule_yaml(pilot_dir, rules):
    frames, read_findings = read_sdtm_package(pilot_dir)
    findings = read_findings + validate_frames(frames, load_standards())
    assert len(findings) > 0
    assert _mismatches(findings, rules) == []
