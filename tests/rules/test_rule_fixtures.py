"""One failing and one passing fixture per check rule (cases in conftest.RULE_CASES)."""

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


def test_rule_is_quiet_on_the_clean_package(rule_case, standards, registry):
    found = run_rules(rule_case.passing_package(), standards, registry, select=[rule_case.rule_id])
    assert found.rows(COLUMNS) == []

