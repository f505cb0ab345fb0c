"""Golden files: the exact bytes of every writer for a small AE/LB/SUPPAE submission.

A difference is reviewed like a snapshot. After an intended change, rewrite the files with
``SDTM_UPDATE_GOLDEN=1 python -m pytest tests/export/test_golden.py`` and review the diff.
"""

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sdtm.export.define_metadata import DefineMetadata, StudyInfo, VariableOrigin
from sdtm.export.submission import export_submission

GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = [
    "ae.xpt",
    "lb.xpt",
    "suppae.xpt",
    "define.xml",
    "json/ae.json",
    "json/lb.json",
    "json/suppae.json",
    "ndjson/ae.ndjson",
    "ndjson/lb.ndjson",
    "ndjson/suppae.ndjson",
    "manifest.json",
]


@pytest.fixture(scope="module")
def written(tmp_path_factory, tiny_standards):
    ae = pd.DataFrame(
        {
            "STUDYID": ["CART1", "CART1"],
            "DOMAIN": ["AE", "AE"],
            "USUBJID": ["CART1-001", "CART1-002"],
            "AESEQ": [1, 1],
            "AETERM": ["Cytokine release syndrome", "Pyrexia"],
            "AESEV": ["SEVERE", "MILD"],
            "AESER": ["Y", "N"],
            "AESTDY": [2, -1],
        }
    )
    lb = pd.DataFrame(
        {
            "STUDYID": ["CART1"] * 2,
            "DOMAIN": ["LB"] * 2,
            "USUBJID": ["CART1-001"] * 2,
            "LBSEQ": [1, 2],
            "LBTESTCD": ["INTLK6", "ALB"],
            "LBTEST": ["Interleukin 6", "Albumin"],
            "LBORRES": ["2900", "3.9"],
            "LBSTRESN": [2900.0, 39.0],
        }
    )
    supp = pd.DataFrame(
        {
            "STUDYID": ["CART1"],
            "RDOMAIN": ["AE"],
            "USUBJID": ["CART1-001"],
            "IDVAR": ["AESEQ"],
            "IDVARVAL": ["1"],
            "QNAM": ["CRSGR"],
            "QLABEL": ["CRS Grade (ASTCT)"],
            "QVAL": ["3"],
            "QORIG": ["CRF"],
        }
    )
    metadata = DefineMetadata(
        study=StudyInfo(study_oid="CART1", name="CART1", protocol="CART-PSCA-001"),
        origins=(VariableOrigin("AE", "AESEV", "Collected", source="Investigator"),),
    )
    out = tmp_path_factory.mktemp("golden")
    findings = export_submission(
        {"AE": ae, "LB": lb, "SUPPAE": supp},
        tiny_standards,
        out,
        define_metadata=metadata,
        creation_datetime=datetime(2025, 3, 28, 9, 0, 0),
    )
    assert findings.rows(["rule_id"]) == []
    return out


@pytest.mark.parametrize("name", FILES)
def test_writer_output_matches_golden_file(written, name):
    produced = (written / name).read_bytes()
    golden = GOLDEN / name
    if os.environ.get("SDTM_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{name} differs from tests/export/golden/{name}"


def test_no_unexpected_files(written):
    produced = sorted(p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file())
    assert produced == sorted(FILES)
