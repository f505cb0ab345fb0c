from pathlib import Path

import yaml

from sdtm.export import dataset_json, define_checks, define_xml, metadata, submission, xpt
from sdtm.export.rules import RULES, make_finding
from sdtm.read import xpt_v5

RULES_DIR = Path(__file__).resolve().parents[2] / "specs" / "rules"


def test_rule_table_matches_yaml():
    for rule_id, (name, severity) in RULES.items():
        data = yaml.safe_load((RULES_DIR / f"{rule_id}.yaml").read_text(encoding="utf-8"))
        assert (data["id"], data["name"], data["severity"]) == (rule_id, name, severity)
    reader = yaml.safe_load((RULES_DIR / "XP0017.yaml").read_text(encoding="utf-8"))
    assert (reader["name"], reader["severity"]) == (xpt_v5.RULE_NAME, xpt_v5.RULE_SEVERITY)
    on_disk = sorted(p.stem for p in RULES_DIR.glob("XP*.yaml"))
    assert on_disk == sorted([*RULES, "XP0017"])


def test_every_rule_is_emitted_by_exactly_one_module():
    modules = (metadata, xpt, dataset_json, define_xml, define_checks, submission, xpt_v5)
    listed = [rule_id for module in modules for rule_id in module.RULE_IDS]
    assert sorted(listed) == sorted([*RULES, "XP0017"])
    assert all(isinstance(module.RULE_IDS, tuple) for module in modules)


def test_make_finding_appends_id_and_name():
    finding = make_finding("XP0006", "AE.AETERM row 2: too long", dataset="AE", row=2)
    assert finding.message == "AE.AETERM row 2: too long [XP0006 xpt-value-too-long]"
    assert (finding.severity, finding.stage, finding.row) == ("error", "export", 2)
