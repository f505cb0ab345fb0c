"""read_study_tables with several jobs: the same tables, in the same order, as with one."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sdtm.read.options import ReadOptions
from sdtm.read.tables import WORKBOOK_BYTE_COST, _read_cost, read_study_tables
from sdtm.workers import can_fork

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "cart-psca-001"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.skipif(not can_fork(), reason="no os.fork on this system")
def test_two_jobs_read_the_tables_one_job_reads(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    shutil.copy(FIXTURES / "odm_clinical.xml", study / "odm.xml")
    (study / "edc" / "broken.csv").write_bytes(b"A,B\n1,2,3\n\xff\xfe,4\n")
    plan = {"odm.xml[IG.AE]": ("odm.xml", ReadOptions(item_group="IG.AE"))}
    one = read_study_tables(study, plan, jobs=1)
    two = read_study_tables(study, plan, jobs=2)
    assert list(two) == list(one)
    assert {"edc/ld.xlsx", "lab/lab_a.csv", "odm.xml[IG.VS]", "edc/broken.csv"} <= set(one)
    for key, table in one.items():
        other = two[key]
        assert (other.path, other.rows_in, other.rows_ignored) == (
            table.path,
            table.rows_in,
            table.rows_ignored,
        ), key
        assert other.findings.frame.equals(table.findings.frame), key
        if table.frame is None:
            assert other.frame is None, key
        else:
            pd.testing.assert_frame_equal(other.frame, table.frame)
    # The broken file's findings name its rows, whichever process read it.
    assert len(one["edc/broken.csv"].findings) > 0


def test_a_workbook_byte_costs_more_to_read_than_a_text_byte(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"x" * 100)
    (tmp_path / "a.xlsx").write_bytes(b"x" * 100)
    assert _read_cost(tmp_path / "a.csv") == 100.0
    assert _read_cost(tmp_path / "a.xlsx") == 100.0 * WORKBOOK_BYTE_COST
    assert _read_cost(tmp_path / "missing.csv") == 0.0
