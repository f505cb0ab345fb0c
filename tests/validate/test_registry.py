from pathlib import Path

import pandas as pd
import pytest

from sdtm.errors import SpecError
from sdtm.findings import FindingsTable, Severity
from sdtm.standards.model import Standards
from sdtm.validate.registry import (
    build_registry,
    collect_module_rule_ids,
    format_messages,
    in_check_ranges,
    load_rules,
    render_rule_doc,
    run_rules,
    stale_rule_docs,
    write_rule_docs,
)

STANDARDS = Standards(sdtmig_version="3.4", ct_version="2025-03-28", domains={}, codelists={})

RULE_YAML = """\
id: {id}
name: {name}
severity: error
stage: validate
status: {{state: stable, since: "0.1.0"}}
message: "{{dataset}} row {{row}}: {{variable}} {{value!r}} {{detail}}"
fix: "Fix it."
references:
  - {{source: "CDISC CORE", locator: "CORE-000239 (CG0148)"}}
doc: >
  What it checks.
"""


def write_rule(folder: Path, rule_id: str, name: str = "some-problem", **extra) -> Path:
    text = RULE_YAML.format(id=rule_id, name=name)
    for key, value in extra.items():
        text += f"{key}: {value}\n"
    path = folder / f"{rule_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def check_x(frames, standards):
    frame = frames["AE"]
    bad = frame["AETERM"].isna()
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "dataset": "AE",
                "variable": "AETERM",
                "row": (frame.index[bad] + 1).to_list(),
                "message": "is null",
            }
        )
    )


def test_load_rules_reads_fields(tmp_path):
    write_rule(tmp_path, "XR0001", default_enabled="false")
    rule = load_rules(tmp_path)["XR0001"]
    assert (rule.name, rule.severity, rule.state, rule.since) == (
        "some-problem",
        Severity.ERROR,
        "stable",
        "0.1.0",
    )
    assert rule.references[0].locator == "CORE-000239 (CG0148)"
    assert rule.default_enabled is False
    assert rule.doc == "What it checks."


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("id: XR0001\n", "missing keys"),
        (RULE_YAML.format(id="XR0001", name="Bad_Name"), "not kebab-case"),
        (RULE_YAML.format(id="XR0001", name="x").replace("error", "fatal"), "severity 'fatal'"),
        (RULE_YAML.format(id="XR0001", name="x") + "colour: red\n", "unknown keys"),
        ("id: [unclosed\n", "not valid YAML"),
    ],
    ids=["missing-keys", "name", "severity", "unknown-key", "yaml-syntax"],
)
def test_load_rules_reports_malformed_files(tmp_path, content, problem):
    (tmp_path / "XR0001.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=problem):
        load_rules(tmp_path)


def test_load_rules_reports_every_problem_not_only_the_first(tmp_path):
    (tmp_path / "XR0001.yaml").write_text("id: XR0001\n", encoding="utf-8")
    write_rule(tmp_path, "XR0002", name="Bad_Name")
    with pytest.raises(SpecError, match=r"2 problem\(s\)"):
        load_rules(tmp_path)


def test_load_rules_file_name_must_match_id(tmp_path):
    (tmp_path / "XR0002.yaml").write_text(RULE_YAML.format(id="XR0001", name="x"), "utf-8")
    with pytest.raises(SpecError, match="file name does not match"):
        load_rules(tmp_path)


def test_build_registry_rejects_check_without_yaml(tmp_path):
    write_rule(tmp_path, "XR0001")
    with pytest.raises(SpecError, match=r"check XR0002 has no specs/rules/XR0002\.yaml"):
        build_registry(tmp_path, {"XR0001": check_x, "XR0002": check_x})


def test_build_registry_rejects_yaml_of_check_range_without_check(tmp_path):
    write_rule(tmp_path, "XR0001")
    write_rule(tmp_path, "ST0060", name="other-problem")
    with pytest.raises(SpecError, match=r"rule ST0060 .* has no check"):
        build_registry(tmp_path, {"XR0001": check_x})


def test_build_registry_accepts_rules_of_other_ranges_without_check(tmp_path):
    write_rule(tmp_path, "XR0001")
    write_rule(tmp_path, "ST0001", name="schema-problem")  # schema range: not a check
    registry = build_registry(tmp_path, {"XR0001": check_x})
    assert sorted(registry.rules) == ["ST0001", "XR0001"]
    assert [r.id for r in registry.check_rules()] == ["XR0001"]


def test_build_registry_rejects_unknown_message_fields(tmp_path):
    path = write_rule(tmp_path, "XR0001")
    path.write_text(path.read_text().replace("{detail}", "{codelist}"), encoding="utf-8")
    with pytest.raises(SpecError, match="unknown fields \\['codelist'\\]"):
        build_registry(tmp_path, {"XR0001": check_x})


def test_run_rules_fills_metadata_and_message(tmp_path):
    write_rule(tmp_path, "XR0001")
    registry = build_registry(tmp_path, {"XR0001": check_x})
    frames = {"AE": pd.DataFrame({"AETERM": ["HEADACHE", None]})}
    found = run_rules(frames, STANDARDS, registry)
    assert found.rows(["rule_id", "rule_name", "severity", "row", "message"]) == [
        [
            "XR0001",
            "some-problem",
            "error",
            2,
            "AE row 2: AETERM null is null [XR0001 some-problem]",
        ]
    ]


def test_check_rules_selection(tmp_path):
    write_rule(tmp_path, "XR0001")
    write_rule(tmp_path, "XR0002", name="optional-problem", default_enabled="false")
    registry = build_registry(tmp_path, {"XR0001": check_x, "XR0002": check_x})
    ids = lambda rules: [r.id for r in rules]  # noqa: E731
    assert ids(registry.check_rules()) == ["XR0001"]
    assert ids(registry.check_rules(include_optional=True)) == ["XR0001", "XR0002"]
    assert ids(registry.check_rules(select=["XR0002"])) == ["XR0002"]
    assert ids(registry.check_rules(select=["XR"])) == ["XR0001"]
    assert ids(registry.check_rules(ignore=["XR0001"])) == []


def test_registry_rule_lookup_unknown_id(tmp_path):
    write_rule(tmp_path, "XR0001")
    registry = build_registry(tmp_path, {"XR0001": check_x})
    assert registry.rule("xr0001").id == "XR0001"
    with pytest.raises(SpecError, match="unknown rule id 'XR9999'"):
        registry.rule("XR9999")


def test_format_messages_is_vectorized_over_rows():
    frame = pd.DataFrame(
        {"dataset": ["AE", "LB"], "row": [3, None], "value": ["x", None], "detail": ["d", "e"]}
    )
    assert format_messages("{dataset}:{row} {value!r} {detail}", frame).tolist() == [
        "AE:3 'x' d",
        "LB: null e",
    ]


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [("ST0050", True), ("ST0049", False), ("CT0010", True), ("CT0009", False), ("XR0001", True)],
    ids=["st-first", "st-schema", "ct-first", "ct-schema", "xr"],
)
def test_in_check_ranges(rule_id, expected):
    assert in_check_ranges(rule_id) is expected


def test_collect_module_rule_ids_finds_constants():
    found = collect_module_rule_ids("sdtm.validate")
    assert "sdtm.validate.checks" not in found  # CHECKS is a table, not RULE_IDS
    assert all(isinstance(ids, tuple) for ids in found.values())


def test_rule_docs_round_trip(tmp_path):
    write_rule(tmp_path, "XR0001")
    rules = load_rules(tmp_path)
    docs = tmp_path / "docs"
    assert stale_rule_docs(rules, docs) == ("README.md", "XR0001.md")
    write_rule_docs(rules, docs)
    assert stale_rule_docs(rules, docs) == ()
    (docs / "XR0001.md").write_text("edited by hand\n", encoding="utf-8")
    (docs / "XR0404.md").write_text("orphan\n", encoding="utf-8")
    assert stale_rule_docs(rules, docs) == ("XR0001.md", "XR0404.md")
    assert "## References\n\n- CDISC CORE: CORE-000239 (CG0148)" in render_rule_doc(rules["XR0001"])


def test_where_field_leaves_out_what_a_finding_lacks():
    import pandas as pd

    from sdtm.validate.registry import format_messages

    frame = pd.DataFrame(
        {
            "dataset": ["AE", "AE", "TS"],
            "row": [2.0, None, None],
            "usubjid": ["CART01-001", None, None],
            "detail": ["EPOCH is null", "variable absent", "no SSTDTC value"],
        }
    )
    assert format_messages("{where}: {detail}", frame).tolist() == [
        "AE row 2 CART01-001: EPOCH is null",
        "AE: variable absent",
        "TS: no SSTDTC value",
    ]
