"""Benchmark the export writers on a big synthetic LB (default 200,000 records).

Prints wall time (time.perf_counter) and file size for XPT v5, Dataset-JSON and Dataset-NDJSON
(with schema validation, as the production command runs it) and Define-XML, and the process's
peak resident memory (resource.getrusage).

    python bench/bench_export.py [--rows N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sdtm.export.dataset_json import write_dataset_json
from sdtm.export.define_metadata import DefineMetadata, StudyInfo
from sdtm.export.define_xml import build_define, define_bytes
from sdtm.export.metadata import prepare_dataset
from sdtm.export.xpt import write_xpt
from sdtm.standards import load_standards

REPO = Path(__file__).resolve().parents[1]
CREATED = datetime(2025, 1, 1)
TESTS = (
    ("ALB", "Albumin", "g/L"),
    ("CRP", "C Reactive Protein", "mg/L"),
    ("FERRITIN", "Ferritin", "ug/L"),
    ("INTLK6", "Interleukin 6", "pg/mL"),
    ("INTLK10", "Interleukin 10", "pg/mL"),
    ("IFNG", "Interferon Gamma", "pg/mL"),
    ("CXCL10", "C-X-C Motif Chemokine Ligand 10", "pg/mL"),
    ("PSA", "Prostate Specific Antigen", "ug/L"),
)


def big_lb(rows: int) -> pd.DataFrame:
    """Return a synthetic LB with ``rows`` records (deterministic)."""
    rng = np.random.default_rng(20250328)
    test = rng.integers(0, len(TESTS), rows)
    subject = rng.integers(1, 300, rows)
    result = np.round(rng.lognormal(3, 1, rows), 2)
    codes = np.array([t[0] for t in TESTS])
    names = np.array([t[1] for t in TESTS])
    units = np.array([t[2] for t in TESTS])
    day = rng.integers(-14, 120, rows)
    dates = pd.Timestamp("2024-03-01") + pd.to_timedelta(day, unit="D")
    return pd.DataFrame(
        {
            "STUDYID": "CART-PSCA-001",
            "DOMAIN": "LB",
            "USUBJID": [f"CART-PSCA-001-{s:04d}" for s in subject],
            "LBSEQ": np.arange(1, rows + 1, dtype="float64"),
            "LBTESTCD": codes[test],
            "LBTEST": names[test],
            "LBCAT": "CHEMISTRY",
            "LBORRES": result.astype(str),
            "LBORRESU": units[test],
            "LBSTRESC": result.astype(str),
            "LBSTRESN": result,
            "LBSTRESU": units[test],
            "VISITNUM": np.abs(day).astype("float64"),
            "LBDTC": dates.strftime("%Y-%m-%dT08:00"),
            "LBDY": np.where(day >= 0, day + 1, day).astype("float64"),
        }
    )


def _timed(label: str, action) -> object:
    start = time.perf_counter()
    value = action()
    print(f"{label:<32} {time.perf_counter() - start:8.2f} s", end="")
    return value


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    standards = load_standards()
    frame = big_lb(rows)
    study = StudyInfo(study_oid="CART-PSCA-001")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        prepared = _timed(
            f"prepare LB ({rows} records)", lambda: prepare_dataset("LB", frame, standards)
        )
        print()
        result = _timed(
            "XPT v5 (preflight+write+read-back)",
            lambda: write_xpt(prepared, out, creation_datetime=CREATED),
        )
        print(f"  {result.path.stat().st_size / 1e6:8.1f} MB")
        for ndjson in (False, True):
            name = "Dataset-NDJSON" if ndjson else "Dataset-JSON"
            path, _ = _timed(
                f"{name} (validated)",
                lambda ndjson=ndjson: write_dataset_json(
                    prepared,
                    out,
                    creation_datetime=CREATED,
                    study=study,
                    metadata_version_oid="MDV",
                    schema_dir=REPO / "specs" / "dataset-json-1.1",
                    ndjson=ndjson,
                ),
            )
            print(f"  {path.stat().st_size / 1e6:8.1f} MB")
        path, _ = _timed(
            "Dataset-JSON (no validation)",
            lambda: write_dataset_json(
                prepared, out, creation_datetime=CREATED, study=study, metadata_version_oid="MDV"
            ),
        )
        print(f"  {path.stat().st_size / 1e6:8.1f} MB")
        document = _timed(
            "Define-XML (LB only, with VLM)",
            lambda: define_bytes(
                build_define(
                    {"LB": prepared},
                    standards,
                    metadata=DefineMetadata(study=study),
                    creation_datetime=CREATED,
                )[0]
            ),
        )
        print(f"  {len(document) / 1e6:8.2f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
