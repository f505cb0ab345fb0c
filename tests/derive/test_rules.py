"""Every derive rule id has YAML metadata that agrees with the code, and vice versa."""

import importlib
import pkgutil

import pytest
import yaml

import sdtm.derive
from sdtm.derive.base import DeriveRule


def _modules():
    for info in pkgutil.iter_modules(sdtm.derive.__path__):
        module = importlib.import_module(f"sdtm.derive.{info.name}")
        if hasattr(module, "RULE_IDS"):
            yield module


def _constants():
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, DeriveRule):
                yield module, value


@pytest.fixture(scope="module")
def rule_yaml(repo_dir):
    rules = {}
    for path in sorted((repo_dir / "specs" / "rules").glob("MP0[5-9]*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        # Retired ids keep their YAML (ids are never reused) but no code may emit them.
        if data["status"]["state"] != "removed":
            rules[path.stem] = data
    return rules


def test_rule_constants_match_yaml(rule_yaml):
    seen = set()
    for module, rule in _constants():
        assert rule.id in module.RULE_IDS, f"{module.__name__}: {rule.id} not in RULE_IDS"
        data = rule_yaml[rule.id]
        assert (data["id"], data["name"], data["severity"], data["stage"]) == (
            rule.id,
            rule.name,
            rule.severity.value,
            "derive",
        )
        assert data["references"], rule.id
        seen.add(rule.id)
    assert seen == set(rule_yaml), "YAML rules without a derive constant or the reverse"


def test_rule_ids_are_unique_and_in_range():
    ids = [rule_id for module in _modules() for rule_id in module.RULE_IDS]
    assert len(ids) == len(set(ids))
    assert all(rule_id.startswith("MP") and 500 <= int(rule_id[2:]) <= 999 for rule_id in ids)
    assert all(isinstance(module.RULE_IDS, tuple) for module in _modules())


@pytest.mark.parametrize(
    "rule_id", ["MP0504", "MP0522", "MP0640", "MP0641"], ids=["0504", "0522", "0640", "0641"]
)
def test_retired_rules_keep_their_yaml_and_are_not_emitted(repo_dir, rule_id):
    data = yaml.safe_load((repo_dir / "specs" / "rules" / f"{rule_id}.yaml").read_text())
    assert data["status"]["state"] == "removed"
    assert data["doc"].startswith("Removed")
    assert all(rule_id not in module.RULE_IDS for module in _modules())
