from pathlib import Path

import pytest
import yaml

from sdtm.read import sdtm_package
from sdtm.standards.rules import RULES
from sdtm.validate import package, schema

OWN_IDS = sorted(RULES)


def test_rule_ids_are_in_the_standards_ranges() -> None:
    for rule_id in OWN_IDS:
        family, number = rule_id[:2], int(rule_id[2:])
        assert (family == "ST" and 1 <= number <= 49) or (family == "CT" and 1 <= number <= 9)


def test_emitting_modules_cover_every_rule_once() -> None:
    emitted = [*schema.RULE_IDS, *package.RULE_IDS, *sdtm_package.RULE_IDS]
    assert sorted(emitted) == OWN_IDS


@pytest.mark.parametrize("rule_id", OWN_IDS, ids=OWN_IDS)
def test_rule_table_matches_yaml(repo_dir: Path, rule_id: str) -> None:
    document = yaml.safe_load((repo_dir / "specs" / "rules" / f"{rule_id}.yaml").read_text())
    rule = RULES[rule_id]
    assert (document["id"], document["name"], document["severity"], document["stage"]) == (
        rule.id,
        rule.name,
        rule.severity.value,
        rule.stage.value,
    )
    assert document["message"] == rule.message
    assert document["status"]["state"] == "stable"
