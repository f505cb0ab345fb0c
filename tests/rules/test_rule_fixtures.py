"""One failing and one passing fixture per check rule (cases in conftest.RULE_CASES)."""

import pytest

from sdtm.findings import FindingsTable
from sdtm.validate.registry import run_rules

COLUMNS = ["rule_id", "dataset", "row", "variable"]


def _sorted(rows):
    return sorted(rows, key=lambda r: [("" if v is None else str(v)) for v in r])


def test_rule_fires_on_its_seeded_defect(rule_case, standards, registry):
    found = run_rules(rule_case.failing_package(), standards, registry, select=[rule_case.rule_id])
    assert _sorted(found.rows(COLUMNS)) == _sorted(rule_case.expected)
    # Each finding carries its rule's metadata and a fully rendered message.
    rule = registry.rule(rule_case.rule_id)
    frame = found.frame
    assert set(frame["severity"]) == {rule.severity.value}
    assert set(frame["rule_name"]) == {rule.name}
    assert frame["message"].str.endswith(f"[{rule.id} {rule.name}]").all()
    assert not frame["message"].str.contains("{", regex=False).any()
    # No hole left by a field the finding lacks (a dataset-level finding has no row/subject).
    assert not frame["message"].str.contains(r"  | :|row :", regex=True).any()


@pytest.fixture(scope="module")
def clean_findings(rule_cases, standards, registry):
    """Every check rule (optional ones included) run once on the clean package."""
    package = rule_cases[0].passing_package()
    return run_rules(package, standards, registry, include_optional=True)


def test_rule_is_quiet_on_the_clean_package(rule_case, standards, registry, clean_findings):
    if rule_case.passing:
        found = run_rules(
            rule_case.passing_package(), standards, registry, select=[rule_case.rule_id]
        )
    else:
        found = FindingsTable.from_frame(
            clean_findings.frame.query("rule_id == @rule_case.rule_id")
        )
    assert found.rows(COLUMNS) == []


# The wording users read, pinned (change deliberately, with the YAML message).
PINNED_MESSAGES = {
    "ST0064": "AE row 1 CART01-001: AESTDTC 2024-03-13T22:00 is after AEENDTC 2024-03-13T08 "
    "[ST0064 start-after-end]",
    "XR0004": "DM row 1 CART01-001: RFXSTDTC '2024-03-12T10:05' but earliest EXSTDTC is "
    "2024-03-07T09:00 [XR0004 first-exposure-not-earliest-exstdtc]",
    "ST0094": "AE row 1 CART01-001: AESER is 'Y' but no seriousness criterion is Y "
    "[ST0094 serious-without-criterion]",
    "XR0018": "RELREC row 2 CART01-001: CM CMSEQ=7 not found [XR0018 relrec-record-missing]",
    "ST0107": "TS: Trial Summary parameter 'ADDON' has no TS record (P21 SD2201) "
    "[ST0107 ts-parameter-missing]",
}


def test_orphan_subject_record_is_reported_once_by_its_cause(standards, registry, package):
    # A lab record of a subject missing from DM has no EPOCH (nothing to derive it from): only
    # XR0001, the rule naming the cause, reports it; ST0071 would repeat it.
    package["LB"].loc[2, "USUBJID"] = "CART01-099"
    package["LB"].loc[2, "EPOCH"] = None
    found = run_rules(package, standards, registry, select=["ST0071", "XR0001"])
    assert found.rows(COLUMNS) == [["XR0001", "LB", 3, "USUBJID"]]


def test_dataset_level_epoch_message_has_no_empty_row(standards, registry, package):
    package["AE"] = package["AE"].drop(columns="EPOCH")
    found = run_rules(package, standards, registry, select=["ST0071"])
    assert found.rows(["message"]) == [["AE: EPOCH: variable absent [ST0071 epoch-missing]"]]


@pytest.mark.parametrize("rule_id", sorted(PINNED_MESSAGES), ids=sorted(PINNED_MESSAGES))
def test_message_wording(rule_id, rule_cases, standards, registry):
    case = next(c for c in rule_cases if c.rule_id == rule_id)
    found = run_rules(case.failing_package(), standards, registry, select=[rule_id])
    assert found.rows(["message"]) == [[PINNED_MESSAGES[rule_id]]]


# Issue 17: over-reports on the CDISC pilot, each pinned by a fixture.
@pytest.mark.parametrize(
    ("addon", "expected"),
    [("Y", [["ST0107", "TS", None, "TSPARMCD"]]), ("N", [])],
    ids=["addon-Y-asks-for-curtrt", "addon-N-does-not"],
)
def test_curtrt_is_expected_only_when_addon_is_y(package, standards, registry, addon, expected):
    ts = package["TS"]
    ts.loc[ts["TSPARMCD"] == "ADDON", "TSVAL"] = addon
    package["TS"] = ts[ts["TSPARMCD"] != "CURTRT"].reset_index(drop=True)
    found = run_rules(package, standards, registry, select=["ST0107"])
    assert found.rows(COLUMNS) == expected


@pytest.mark.parametrize(
    ("actarmcd", "expected"),
    [("Scrnfail", []), ("SCRNFAIL", []), ("DL1", [["XR0008", "DM", 3, "USUBJID"]])],
    ids=["pilot-case", "upper-case", "a-real-arm"],
)
def test_screen_failures_need_no_exposure(package, standards, registry, actarmcd, expected):
    package["DM"].loc[2, "ACTARMCD"] = actarmcd  # subject 003, never exposed
    found = run_rules(package, standards, registry, select=["XR0008"])
    assert found.rows(COLUMNS) == expected


@pytest.mark.parametrize(
    ("testcd", "orres", "expected"),
    [
        ("PH", "6.5", []),  # unit-less by definition (specs/fda/unitless-tests.yaml)
        ("SPGRAV", "1.015", []),
        ("KETONES", "0", []),  # a zero grade: P21 does not report it either
        ("KETONES", "1", [["ST0082", "LB", 1, "LBORRESU"]]),  # P21 SD0026 reports these
    ],
    ids=["ph", "specific-gravity", "zero-grade", "grade-1"],
)
def test_unit_less_tests_and_zero_grades_need_no_unit(
    package, standards, registry, testcd, orres, expected
):
    lb = package["LB"]
    lb.loc[0, ["LBTESTCD", "LBORRES", "LBORRESU"]] = [testcd, orres, None]
    found = run_rules(package, standards, registry, select=["ST0082"])
    assert found.rows(COLUMNS) == expected


def test_nr_in_a_numeric_test_is_reported_as_such_and_the_codelist_warning_follows(
    package, standards, registry
):
    # Issue 17: "NR" for IL-6 gave only a codelist warning on LBSTRESC. Now ST0179 names the
    # problem and the CT0002 of the same record follows from it.
    from sdtm.validate.package import validate_package

    lb = package["LB"]
    lb.loc[0, ["LBORRES", "LBSTRESC", "LBSTRESN"]] = ["NR", "NR", None]
    found = validate_package(package, standards, registry=registry).frame
    record = found[(found["dataset"] == "LB") & (found["row"] == 1)]
    assert record[["rule_id", "variable", "caused_by"]].values.tolist() == [
        ["CT0002", "LBSTRESC", "ST0179 LB row 1"],
        ["ST0179", "LBORRES", None],
    ]
