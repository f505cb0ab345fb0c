"""Rule tables kept next to emitting code agree with specs/rules/<ID>.yaml.

Reading, mapping, derivation, schema and export code keep a read-only table of the rules they
emit (id -> (name, severity), or objects with ``id``/``name``/``severity``) so that they can
build findings without a registry object. This test finds every such table in the package and
compares it with the YAML, so the two cannot drift apart.
"""

import importlib
import pkgutil
from collections.abc import Mapping
from pathlib import Path

import pytest

import sdtm
from sdtm.validate.registry import RULE_ID_PATTERN, load_rules

REPO = Path(__file__).resolve().parents[2]


def _as_name_severity(value) -> tuple[str, str] | None:
    if isinstance(value, tuple) and len(value) >= 2 and all(isinstance(v, str) for v in value[:2]):
        return value[0], value[1]
    name, severity = getattr(value, "name", None), getattr(value, "severity", None)
    if isinstance(name, str) and severity is not None:
        return name, str(getattr(severity, "value", severity))
    return None


def _rule_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """Module-level tables (mappings keyed by rule ids) and rule objects, per module."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    for info in pkgutil.walk_packages(sdtm.__path__, prefix="sdtm."):
        module = importlib.import_module(info.name)
        entries: dict[str, tuple[str, str]] = {}
        for attribute in vars(module).values():
            if isinstance(attribute, Mapping) and attribute and all(
                isinstance(k, str) and RULE_ID_PATTERN.match(k) for k in attribute
            ):
                for rule_id, value in attribute.items():
                    pair = _as_name_severity(value)
                    if pair is not None:
                        entries[rule_id] = pair
            rule_id = getattr(attribute, "id", None)
            if isinstance(rule_id, str) and RULE_ID_PATTERN.match(rule_id):
                pair = _as_name_severity(attribute)
                if pair is not None:
                    entries[rule_id] = pair
        if entries:
            tables[info.name] = entries
    return tables


def test_rule_tables_are_found():
    tables = _rule_tables()
    # Reading, mapping, schema, export and derivation all keep tables; finding none would mean
    # this test checks nothing.
    modules = set(tables)
    for expected in ("sdtm.read.raw", "sdtm.mapping.problems", "sdtm.export.rules",
                     "sdtm.standards.rules", "sdtm.derive.study_day"):
        assert expected in modules


@pytest.mark.parametrize("module_name", sorted(_rule_tables()))
def test_rule_table_matches_yaml(module_name):
    rules = load_rules(REPO / "specs" / "rules")
    table = _rule_tables()[module_name]
    mismatches = {
        rule_id: (pair, (rules[rule_id].name, rules[rule_id].severity.value))
        if rule_id in rules
        else "no YAML"
        for rule_id, pair in table.items()
        if rule_id not in rules or pair != (rules[rule_id].name, rules[rule_id].severity.value)
    }
    assert mismatches == {}
