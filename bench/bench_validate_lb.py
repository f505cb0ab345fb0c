"""Benchmark: validate 1,000,000 synthetic LB records with ``validate_frames``.

Prints wall time and peak memory (RSS high-water mark of the process). No assertions.
Run: ``python bench/bench_validate_lb.py [N_RECORDS]``.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

from sdtm.standards import load_standards
from sdtm.validate.package import validate_frames

TESTS = ("ALB", "ALT", "AST", "CRP", "FERRITIN", "IFNG", "INTLK6", "INTLK2", "INTLK10", "PSA")
NAMES = (
    "Albumin", "Alanine Aminotransferase", "Aspartate Aminotransferase", "C Reactive Protein",
    "Ferritin", "Interferon Gamma", "Interleukin 6", "Interleukin 2", "Interleukin 10",
    "Prostate Specific Antigen",
)  # fmt: skip
UNITS = ("g/L", "U/L", "U/L", "mg/L", "ug/L", "ng/L", "ng/L", "ng/L", "ng/L", "ug/L")
SPECS = ("SERUM", "PLASMA")


def build_lb(n_records: int, seed: int = 20250328) -> pd.DataFrame:
    """Return ``n_records`` LB records: 10 tests x visits per subject, a few planted errors."""
    rng = np.random.default_rng(seed)
    per_subject = 200
    record = np.arange(n_records)
    subject = record // per_subject
    within = record % per_subject
    test = within % len(TESTS)
    visit = within // len(TESTS) + 1
    result = np.round(rng.lognormal(3, 1, n_records), 1)
    stresc = pd.Series(result).astype(str)
    censored = rng.random(n_records) < 0.05
    stresc[censored] = "<2.5"
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(visit * 7 + subject % 30, unit="D")
    frame = pd.DataFrame(
        {
            "STUDYID": "PSCA-001",
            "DOMAIN": "LB",
            "USUBJID": pd.Series(subject).map("PSCA-001-{:05d}".format),
            "LBSEQ": (within + 1).astype(float),
            "LBTESTCD": np.asarray(TESTS)[test],
            "LBTEST": np.asarray(NAMES)[test],
            "LBCAT": "CHEMISTRY",
            "LBORRES": stresc,
            "LBORRESU": np.asarray(UNITS)[test],
            "LBORNRLO": "1",
            "LBORNRHI": "100",
            "LBSTRESC": stresc,
            "LBSTRESN": np.where(censored, np.nan, result),
            "LBSTRESU": np.asarray(UNITS)[test],
            "LBSTNRLO": 1.0,
            "LBSTNRHI": 100.0,
            "LBNRIND": np.where(result > 100, "HIGH", "NORMAL"),
            "LBSPEC": np.asarray(SPECS)[subject % 2],
            "LBMETHOD": "ELECTROCHEMILUMINESCENCE IMMUNOASSAY",
            "LBLOBXFL": np.where(visit == 1, "Y", ""),
            "LBLLOQ": 2.5,
            "VISITNUM": visit.astype(float),
            "VISIT": pd.Series(visit).map("WEEK {}".format),
            "EPOCH": "TREATMENT",
            "LBDTC": day.strftime("%Y-%m-%dT08:30"),
            "LBDY": (visit * 7).astype(float),
        }
    )
    # Planted problems: a bad date, an unknown unit, a lower-case test code (1 in 10,000 each).
    planted = record % 10_000 == 0
    frame.loc[planted, "LBDTC"] = "31/02/2024"
    frame.loc[record % 10_000 == 1, "LBSTRESU"] = "pg/mL"
    frame.loc[record % 10_000 == 2, "LBTESTCD"] = "il6"
    return frame


def main(n_records: int = 1_000_000) -> None:
    """Build, validate and print the figures."""
    standards = load_standards()
    start = time.perf_counter()
    frame = build_lb(n_records)
    built = time.perf_counter()
    findings = validate_frames({"LB": frame}, standards)
    done = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"records: {len(frame):,} x {frame.shape[1]} variables")
    print(f"build frame: {built - start:.2f} s")
    print(f"validate_frames: {done - built:.2f} s wall")
    print(f"peak memory (max RSS): {peak_kib / 1024:.0f} MiB")
    print(f"findings: {len(findings):,} {findings.count_by_severity()}")
    counts = findings.frame.groupby(["rule_id", "variable"]).size()
    print(counts.to_string())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
