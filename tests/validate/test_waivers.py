import pandas as pd
import pytest

from sdtm.errors import SpecError
from sdtm.findings import FindingsTable
from sdtm.validate.registry import build_registry
from sdtm.validate.waivers import apply_waivers, load_waivers

WAIVERS = """\
waivers:
  - rule: XR0002
    scope: {dataset: DM, usubjid: "01-701-*"}
    reason: "Screen failures carry ARMCD Scrnfail (SDTMIG 3.2 convention)."
    approved_by: "J. Doe, 2024-05-01"
  - rule: ST00*
    scope: {variable: LBSTRESU, value: "pH"}
    reason: "Unitless tests."
    approved_by: "J. Doe"
  - rule: XR0005
    scope: {dataset: EX}
    reason: "Stale: the data was fixed."
    approved_by: "J. Doe"
"""


@pytest.fixture
def findings() -> FindingsTable:
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": ["XR0002", "XR0002", "ST0081", "ST0081"],
                "severity": ["error", "error", "warning", "warning"],
                "message": ["m1", "m2", "m3", "m4"],
                "dataset": ["DM", "DM", "LB", "LB"],
                "variable": ["ARMCD", "ARMCD", "LBSTRESU", "LBSTRESU"],
                "usubjid": ["01-701-1015", "01-702-1001", "01-701-1015", "01-701-1015"],
                "value": ["Scrnfail", "Scrnfail", "pH", "mg/L"],
            }
        )
    )


def test_load_waivers(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS, encoding="utf-8")
    waivers = load_waivers(path)
    assert [(w.rule, dict(w.scope), w.number) for w in waivers] == [
        ("XR0002", {"dataset": "DM", "usubjid": "01-701-*"}, 1),
        ("ST00*", {"variable": "LBSTRESU", "value": "pH"}, 2),
        ("XR0005", {"dataset": "EX"}, 3),
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("waivers:\n  - rule: XR0001\n    reason: r\n", r"missing \['approved_by'\]"),
        (
            "waivers:\n  - {rule: XR0001, reason: r, approved_by: a, scope: {site: 1}}\n",
            "scope keys",
        ),
        ("waivers:\n  - {rule: XR0001, reason: r, approved_by: a, why: b}\n", "unknown keys"),
        ("waivers: {rule: XR0001}\n", "expected a list"),
        ("waivers: [\n", "not valid YAML"),
    ],
    ids=["missing-approver", "bad-scope", "unknown-key", "not-a-list", "yaml-syntax"],
)
def test_load_waivers_rejects_malformed(tmp_path, content, problem):
    path = tmp_path / "waivers.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=problem):
        load_waivers(path)


def test_load_waivers_missing_file(tmp_path):
    with pytest.raises(SpecError, match="cannot read waivers file"):
        load_waivers(tmp_path / "nope.yaml")


def test_apply_waivers_marks_and_reports_unused(tmp_path, findings):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS, encoding="utf-8")
    result = apply_waivers(findings, load_waivers(path), registry=build_registry())
    assert result.rows(["rule_id", "dataset", "usubjid", "value", "waived"]) == [
        ["XR0002", "DM", "01-701-1015", "Scrnfail", True],  # waiver 1
        ["XR0002", "DM", "01-702-1001", "Scrnfail", False],  # other site: not in scope
        ["ST0081", "LB", "01-701-1015", "pH", True],  # waiver 2 (rule pattern)
        ["ST0081", "LB", "01-701-1015", "mg/L", False],
        ["ST0900", None, None, "XR0005", False],  # waiver 3 matched nothing
    ]
    stale = result.frame.iloc[-1]
    assert (stale["severity"], stale["row"], stale["source_row"]) == ("warning", 3, 3)
    assert stale["message"] == (
        "waiver #3 for XR0005 (dataset=EX) matches no finding [ST0900 waiver-matches-nothing]"
    )


def test_waived_findings_do_not_count_for_the_exit_threshold(tmp_path, findings):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS, encoding="utf-8")
    result = apply_waivers(findings, load_waivers(path))
    assert len(result.at_or_above("error")) == 1
    assert result.count_by_severity(include_waived=True)["error"] == 2


def test_apply_no_waivers_changes_nothing(findings):
    assert apply_waivers(findings, ()).rows(["waived"]) == [[False]] * 4


def test_waivers_that_all_match_report_no_st0900(tmp_path, findings):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS.split("  - rule: XR0005")[0], encoding="utf-8")
    result = apply_waivers(findings, load_waivers(path), registry=build_registry())
    assert "ST0900" not in set(result.frame["rule_id"])
    assert result.rows(["waived"]) == [[True], [False], [True], [False]]


def test_scope_patterns_match_each_finding_as_a_text_match_of_its_own_value_would():
    import fnmatch

    from sdtm.validate.waivers import _matches

    column = pd.Series(
        ["LB", "lb", None, "LBX", "AE", "LB", pd.NA, "L?B", ""], dtype="object"
    )
    rows = pd.Series(pd.array([3, 12, None, 123, 3, 4, 5, 6, 7], dtype="Int64"))
    for values in (column, rows):
        for pattern in ("LB", "L*", "*", "?B", "L[?]B", "12*", "3", ""):
            expected = [
                pattern == "*" if pd.isna(value) else fnmatch.fnmatchcase(str(value), pattern)
                for value in values
            ]
            assert _matches(values, pattern).tolist() == expected, (pattern, list(values))
