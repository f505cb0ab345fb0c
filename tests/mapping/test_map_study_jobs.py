"""map_study with several jobs: the datasets, findings and notes one job gives."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sdtm.config import default_specs_dir
from sdtm.mapping.stage import load_mapping, map_study
from sdtm.read.tables import read_study_tables
from sdtm.standards import load_standards
from sdtm.workers import can_fork

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "cart-psca-001"
MAPPING = ROOT / "mappings" / "cart-psca-001"


@pytest.mark.skipif(not can_fork(), reason="no os.fork on this system")
def test_two_jobs_map_what_one_job_maps(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    # A transfer without a column the spec reads: its block is refused (RD0020) and the
    # findings of the datasets mapped in other processes must keep their place around it.
    ae = pd.read_csv(study / "edc" / "ae.csv", dtype=str, keep_default_na=False)
    ae.drop(columns=[ae.columns[-1]]).to_csv(study / "edc" / "ae.csv", index=False)
    (study / "edc" / "dm.csv").unlink()  # DM not mapped: a note, and MP0040 elsewhere
    standards = load_standards(default_specs_dir())
    spec = load_mapping(MAPPING, standards)
    raw = read_study_tables(study, spec.read_plan)
    one = map_study(raw, spec, standards, jobs=1)
    two = map_study(raw, spec, standards, jobs=2)
    assert list(two.results) == list(one.results)
    assert two.notes == one.notes
    assert any("DM not mapped" in note for note in one.notes)
    assert two.findings.frame.equals(one.findings.frame)
    assert {"RD0020", "MP0040"} <= set(one.findings.frame["rule_id"])
    for name, result in one.results.items():
        other = two.results[name]
        pd.testing.assert_frame_equal(other.frame, result.frame)
        pd.testing.assert_frame_equal(other.lineage, result.lineage)
        assert (other.supp, other.links, other.reported_ids) == (
            result.supp,
            result.links,
            result.reported_ids,
        )
