"""Benchmark: time and peak memory per pipeline stage on a generated 1,000-subject study.

Run from the repository root:

    python bench/bench_pipeline.py [--subjects 1000] [--keep DIR]

It writes the study with ``sdtm sample --subjects N`` into a temporary folder (or ``--keep``),
then runs ``run_study`` on it with the bundled mapping spec and prints, per stage, the wall
time (time.perf_counter) and the process's maximum resident set size when the stage ended
(resource.getrusage). ``--tracemalloc`` adds the peak of traced Python allocations within each
stage (slower: tracemalloc hooks every allocation).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sdtm import run_study  # noqa: E402


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StageTimer:
    """Records wall time and memory between the pipeline's progress messages."""

    def __init__(self, traced: bool) -> None:
        self.traced = traced
        self.rows: list[tuple[str, float, float, float]] = []
        self.stage = "start"
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.close()
        self.stage = " ".join(message.split(" ")[:2])
        self.started = time.perf_counter()
        if self.traced:
            tracemalloc.reset_peak()

    def close(self) -> None:
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if self.traced else float("nan")
        self.rows.append((self.stage, time.perf_counter() - self.started, _max_rss_mib(), peak))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="write the study and outputs here")
    parser.add_argument("--no-export", action="store_true", help="skip the XPT/Define export")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="sdtm-bench-"))
    study = base / "cart-psca-001"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sdtm",
            "sample",
            "--subjects",
            str(args.subjects),
            "--out",
            str(study),
        ],
        check=True,
    )
    print(f"sample: {args.subjects} subjects generated in {time.perf_counter() - started:.1f} s")

    if args.tracemalloc:
        tracemalloc.start()
    timer = StageTimer(args.tracemalloc)
    total = time.perf_counter()
    result = run_study(
        study,
        REPO / "mappings" / "cart-psca-001",
        base / "out",
        export=not args.no_export,
        progress=timer,
    )
    timer.close()
    if args.tracemalloc:
        tracemalloc.stop()
    elapsed = time.perf_counter() - total

    print(f"{'stage':<22} {'seconds':>9} {'max RSS MiB':>12} {'traced peak MiB':>16}")
    for stage, seconds, rss, peak in timer.rows[1:]:
        print(f"{stage:<22} {seconds:9.2f} {rss:12.0f} {peak:16.1f}")
    print(f"{'total':<22} {elapsed:9.2f}")
    rows_in = int(result.counts["rows_in"].sum())
    records = sum(len(frame) for frame in result.frames.values())
    balanced = bool(
        (
            result.counts["rows_in"]
            == result.counts["rows_mapped"] + result.counts["rows_reported"]
        ).all()
    )
    print(
        f"raw rows {rows_in}, SDTM records {records}, count check {'ok' if balanced else 'FAILED'}"
    )
    print("findings:", result.findings.count_by_severity())


if __name__ == "__main__":
    main()
