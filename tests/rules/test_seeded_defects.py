"""Seeded defects in a clean CAR-T package, run through the whole default rule set.

test_rule_fixtures selects one rule per seeded defect; here every default rule runs, as in
``sdtm validate``: the clean package gives no finding at all, and a package carrying many
defects at once gets each of them reported at its dataset, row and variable.
"""

from sdtm.validate.registry import run_rules

COLUMNS = ["rule_id", "dataset", "row", "variable"]

# Defects that touch different cells, seeded together (ids of conftest.RULE_CASES).
COMBINED = (
    "ST0064",  # AE end before start, hour vs minute precision
    "ST0095",  # seriousness criterion without AESER = Y
    "ST0099",  # unresolved AE with an end date
    "ST0090",  # AETOXGR "Grade 4"
    "XR0012",  # EPOCH not in TA
    "ST0072",  # LBSTRESN differs from numeric LBSTRESC
    "ST0076",  # NOT DONE without reason
    "ST0068",  # PCTPT/PCTPTNUM not one-to-one
    "ST0100",  # duplicate SUPPAE qualifier
    "XR0018",  # RELREC link to a record that does not exist
    "ST0108",  # TS without SSTDTC
    "XR0004",  # RFXSTDTC = infusion instead of first lymphodepletion dose
    "ST0084",  # EXDOSU missing
    "XR0011",  # study day from a partial date
)


def test_clean_package_has_no_finding(package, standards, registry):
    found = run_rules(package, standards, registry)
    assert found.rows(["rule_id", "dataset", "row", "variable", "message"]) == []


def test_combined_defects_are_each_found(rule_cases, standards, registry):
    cases = {c.rule_id: c for c in rule_cases}
    frames = cases[COMBINED[0]].passing_package()
    for rule_id in COMBINED:
        for mutation in cases[rule_id].mutations:
            mutation(frames)
    rows = run_rules(frames, standards, registry).rows(COLUMNS)
    expected = [row for rule_id in COMBINED for row in cases[rule_id].expected]
    assert [row for row in expected if row not in rows] == []
    # The only error of a rule that was not seeded is a true consequence: moving AEENDTC to
    # 2024-03-13 makes the AEENDY of 8 wrong (day 2).
    errors = run_rules(frames, standards, registry).at_or_above("error")
    unseeded = [row for row in errors.rows(COLUMNS) if row[0] not in COMBINED]
    assert unseeded == [["XR0010", "AE", 1, "AEENDY"]]


def test_optional_rule_is_off_by_default(package, standards, registry):
    # RFSTDTC = CAR-T infusion, after the first lymphodepletion EXSTDTC: by design (brief 2.1).
    assert run_rules(package, standards, registry, select=["XR"]).rows(["rule_id"]) == []
    selected = run_rules(package, standards, registry, select=["XR0009"])
    assert selected.rows(["rule_id", "row"]) == [["XR0009", 1], ["XR0009", 2]]
    with_optional = run_rules(package, standards, registry, include_optional=True)
    assert with_optional.rows(["rule_id", "row"]) == [["XR0009", 1], ["XR0009", 2]]
