"""Benchmark: compare two versions of an LB dataset of N records with ``sdtm compare``.

The compare version is the base with its records in another order, a different LBSEQ (as an
independent program numbers them), 1 value in 1,000 changed in LBSTRESN and 1 in 1,000 in
LBORRES, 100 records deleted and 100 added. The comparison ignores LBSEQ and matches on the
SDTMIG LB keys.

Prints wall time and peak memory (RSS high-water mark of the process) for the in-memory
comparison and, with ``--files``, for writing both versions as XPT and comparing the folders
(reading included). No assertions. Run: ``python bench/bench_compare.py [N_RECORDS] [--files]``.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate_lb import build_lb

from sdtm.comparison.package import compare
from sdtm.standards import load_standards

CHANGED_EVERY = 1_000
DELETED = 100
ADDED = 100


def perturb(base: pd.DataFrame, seed: int = 7) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return the compare version of ``base`` and the number of differences seeded per kind."""
    rng = np.random.default_rng(seed)
    other = base.copy()
    rows = np.arange(len(other))
    stresn = rows[(rows % CHANGED_EVERY == 500) & other["LBSTRESN"].notna().to_numpy()]
    other.loc[stresn, "LBSTRESN"] = other.loc[stresn, "LBSTRESN"] + 1.0
    orres = rows[rows % CHANGED_EVERY == 700]
    other.loc[orres, "LBORRES"] = "CHANGED"
    deleted = rng.choice(rows[rows % CHANGED_EVERY > 800], DELETED, replace=False)
    added = base.iloc[:ADDED].copy()
    added["VISITNUM"] = added["VISITNUM"] + 1000.0
    other = pd.concat([other.drop(index=deleted), added], ignore_index=True)
    other = other.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    other["LBSEQ"] = np.arange(1, len(other) + 1, dtype=float)
    seeded = {"LBSTRESN": len(stresn), "LBORRES": len(orres), "deleted": DELETED, "added": ADDED}
    return other, seeded


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(result, seeded: dict[str, int], seconds: float, what: str) -> None:
    lb = result.datasets.set_index("dataset").loc["LB"]
    found = result.values.set_index("variable")["differences"]
    print(f"{what}: {seconds:.2f} s wall; peak memory (max RSS) so far {_peak_mib():.0f} MiB")
    print(
        f"  matched {lb['matched']:,}; only base {lb['only_base']} (seeded {seeded['deleted']}); "
        f"only compare {lb['only_compare']} (seeded {seeded['added']}); "
        f"LBSTRESN {found.get('LBSTRESN', 0)} (seeded {seeded['LBSTRESN']}); "
        f"LBORRES {found.get('LBORRES', 0)} (seeded {seeded['LBORRES']}); "
        f"other variables differing: {int(found.drop(['LBSTRESN', 'LBORRES']).sum())}"
    )


def main(n_records: int = 1_000_000, *, files: bool = False) -> None:
    """Build the pair, compare it, print the figures."""
    standards = load_standards()
    start = time.perf_counter()
    base = build_lb(n_records)
    other, seeded = perturb(base)
    built = time.perf_counter()
    print(f"records: {len(base):,} base, {len(other):,} compare x {base.shape[1]} variables")
    print(f"build pair: {built - start:.2f} s")
    result = compare({"LB": base}, {"LB": other}, ignore=["LBSEQ"], standards=standards)
    done = time.perf_counter()
    _report(result, seeded, done - built, "compare in memory")
    if not files:
        return
    with tempfile.TemporaryDirectory() as folder:
        for side, frame in (("base", base), ("compare", other)):
            (Path(folder) / side).mkdir()
            pyreadstat.write_xport(
                frame,
                str(Path(folder) / side / "lb.xpt"),
                table_name="LB",
                file_label="Laboratory Test Results",
                file_format_version=5,
            )
        # Only the files are compared from here on; the high-water mark includes the first part.
        del base, other, result
        written = time.perf_counter()
        print(f"write both as XPT: {written - done:.2f} s")
        result = compare(
            Path(folder) / "base", Path(folder) / "compare", ignore=["LBSEQ"], standards=standards
        )
        _report(result, seeded, time.perf_counter() - written, "read both XPT files and compare")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(arguments[0]) if arguments else 1_000_000, files="--files" in sys.argv)
