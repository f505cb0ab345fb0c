"""Meta-tests over the whole rule set: YAML <-> implementation <-> fixture test <-> docs.

They hold for every area's rules, not only the checks: an id is "implemented" when it is a key
of ``sdtm.validate.checks.CHECKS`` or listed in the ``RULE_IDS`` constant of exactly one module
of the ``sdtm`` package (ST0900 is ``RULE_ID_UNUSED_WAIVER`` of sdtm.validate.waivers).
"""

import re
from collections import Counter
from pathlib import Path

import pytest

from sdtm.validate.checks import CHECKS
from sdtm.validate.registry import (
    RULE_ID_PATTERN,
    collect_module_rule_ids,
    in_check_ranges,
    load_rules,
    stale_rule_docs,
)
from sdtm.validate.waivers import RULE_ID_UNUSED_WAIVER

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "specs" / "rules"


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES_DIR)


@pytest.fixture(scope="module")
def implementations() -> Counter:
    """How many times each id is implemented across the package."""
    counts: Counter = Counter()
    for ids in collect_module_rule_ids("sdtm").values():
        counts.update(set(ids))
    counts.update(CHECKS.keys())
    counts.update([RULE_ID_UNUSED_WAIVER])
    return counts


def test_every_yaml_rule_is_implemented_exactly_once(rules, implementations):
    live = [rule_id for rule_id, rule in rules.items() if rule.state != "removed"]
    problems = {
        rule_id: implementations[rule_id] for rule_id in live if implementations[rule_id] != 1
    }
    assert problems == {}, "rule id -> number of implementations (expected 1)"


def test_every_implemented_id_has_a_yaml(rules, implementations):
    assert sorted(set(implementations) - set(rules)) == []


def test_module_rule_id_constants_are_tuples_of_valid_ids():
    for module, ids in collect_module_rule_ids("sdtm").items():
        assert all(RULE_ID_PATTERN.match(i) for i in ids), module
        assert len(ids) == len(set(ids)), f"{module} lists an id twice"


def test_checks_only_use_the_check_id_ranges():
    assert [rule_id for rule_id in CHECKS if not in_check_ranges(rule_id)] == []


def test_every_check_rule_has_a_seeded_defect_case(case_ids):
    assert sorted(set(CHECKS) - set(case_ids)) == []
    assert sorted(set(case_ids) - set(CHECKS)) == []


def test_every_rule_id_appears_in_a_test(rules):
    """Each rule has at least one test naming it (the fixture tests name each check id)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py"))
    mentioned = set(re.findall(r"\b(?:RD|MP|CT|ST|XR|XP)\d{4}\b", text))
    missing = [rule_id for rule_id, rule in rules.items() if rule.state != "removed"]
    assert sorted(set(missing) - mentioned) == []


def test_rule_docs_are_up_to_date(rules):
    """docs/rules/ is generated: run `sdtm rules --write-docs docs/rules` after editing YAML."""
    assert stale_rule_docs(rules, REPO / "docs" / "rules") == ()


def test_rule_names_are_unique(rules):
    names = Counter(rule.name for rule in rules.values())
    assert sorted(name for name, n in names.items() if n > 1) == []
