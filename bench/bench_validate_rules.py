"""Benchmark the conformance checks (sdtm.validate.checks) on the pilot and a large package.

    python bench/bench_validate_rules.py [--pilot DIR] [--copies 20]
        [--core-python <venv>/bin/python --core-cache <reference>/core_cache/published]

Prints wall time (time.perf_counter; best of --repeat runs) and peak RSS (resource) for:
1. the CDISC pilot package (reading excluded and included),
2. a synthetic package made of --copies copies of the pilot with renamed subjects,
3. optionally CDISC CORE on the pilot (bench/core_harness.py in a separate environment),
   restricted to the CORE rules our rule YAML cites, and the speed ratio;
4. optionally (``--core-oracle <shared>/tools/core-oracle/core_validate.sh``) the whole
   command lines end to end, each in its own process, wall time including start-up and
   reading: ``sdtm validate PILOT`` (--repeat runs; ``--jobs`` passed on when given) and
   the shared oracle running every CORE rule on the same folder (once; it reads CORE_VENV,
   CORE_CACHE and the other settings its header lists from the environment).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.standards import load_standards
from sdtm.validate.registry import build_registry, run_rules

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PILOT = REPO.parent / "shared" / "reference" / "cdiscpilot-sdtm"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeat: int, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def enlarge(frames: dict[str, pd.DataFrame], copies: int) -> dict[str, pd.DataFrame]:
    """Stack ``copies`` copies of every subject-level dataset, renaming USUBJID per copy."""
    out = {}
    for name, frame in frames.items():
        if "USUBJID" not in frame.columns:
            out[name] = frame
            continue
        parts = []
        for i in range(copies):
            part = frame.copy()
            part["USUBJID"] = part["USUBJID"].astype("string") + f"-C{i:03d}"
            if name == "DM" and "SUBJID" in part:
                part["SUBJID"] = part["SUBJID"].astype("string") + f"-C{i:03d}"
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def cited_core_ids(rules_dir: Path, check_ids) -> list[str]:
    ids = set()
    for rule_id in check_ids:
        text = (rules_dir / f"{rule_id}.yaml").read_text(encoding="utf-8")
        ids.update(re.findall(r"CORE-\d{6}", text))
    return sorted(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilot", type=Path, default=DEFAULT_PILOT)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--core-python", type=Path, default=None)
    parser.add_argument("--core-cache", type=Path, default=None)
    parser.add_argument("--core-oracle", type=Path, default=None, help="core_validate.sh")
    parser.add_argument("--encoding", default="cp1252", help="of the pilot's text values")
    parser.add_argument("--jobs", type=int, default=None, help="sdtm validate --jobs")
    args = parser.parse_args()
    if args.core_oracle is not None:
        compare_with_core_oracle(args)
        return

    standards = load_standards()
    registry = build_registry()
    read_time, (frames, _) = best_of(1, lambda: read_sdtm_package(args.pilot))
    records = sum(len(f) for f in frames.values())
    pilot_time, findings = best_of(args.repeat, lambda: run_rules(frames, standards, registry))
    print(f"rules run: {len(registry.check_rules())} check rules")
    print(
        f"pilot: {len(frames)} datasets, {records} records; read {read_time:.2f} s; "
        f"rules {pilot_time:.2f} s; {len(findings)} findings; peak RSS {peak_rss_mb():.0f} MB"
    )

    large = enlarge(frames, args.copies)
    large_records = sum(len(f) for f in large.values())
    large_time, large_findings = best_of(1, lambda: run_rules(large, standards, registry))
    print(
        f"synthetic x{args.copies}: {large_records} records; rules {large_time:.2f} s "
        f"({large_records / large_time:,.0f} records/s); {len(large_findings)} findings; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )

    if args.core_python and args.core_cache:
        core_ids = cited_core_ids(REPO / "specs" / "rules", registry.checks)
        command = [
            str(args.core_python),
            "-W",
            "ignore",
            str(REPO / "bench" / "core_harness.py"),
            "--data",
            str(args.pilot),
            "--cache",
            str(args.core_cache),
            "--rules",
            *core_ids,
        ]
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        core_wall = time.perf_counter() - start
        if completed.returncode != 0:
            print("CORE failed:", completed.stderr[-2000:], file=sys.stderr)
            return
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        ours = read_time + pilot_time
        print(
            f"CORE 0.16 on the pilot, {report['rules']} cited CORE rules: rule execution "
            f"{report['seconds']:.2f} s (process wall {core_wall:.2f} s); statuses "
            f"{report['status']}"
        )
        print(
            f"speed-up: {report['seconds'] / pilot_time:.0f}x (rule execution), "
            f"{core_wall / ours:.0f}x (wall, incl. reading)"
        )
        print(f"CORE findings per rule: {report['findings']}")


def compare_with_core_oracle(args: argparse.Namespace) -> None:
    """Time ``sdtm validate`` and the shared CORE oracle end to end on the same folder."""
    command = [sys.executable, "-m", "sdtm", "validate", str(args.pilot)]
    command += ["--encoding", args.encoding]
    if args.jobs is not None:
        command += ["--jobs", str(args.jobs)]
    ours = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        ours.append(time.perf_counter() - start)
    print(f"sdtm validate: {', '.join(f'{t:.2f}' for t in ours)} s wall ({' '.join(command[3:])})")
    with tempfile.TemporaryDirectory(prefix="core-oracle-") as out:
        oracle = ["bash", str(args.core_oracle), str(args.pilot), out, "--encoding", args.encoding]
        start = time.perf_counter()
        completed = subprocess.run(oracle, capture_output=True, text=True, check=False)
        core_wall = time.perf_counter() - start
        if completed.returncode != 0:
            print("CORE oracle failed:", completed.stderr[-2000:], file=sys.stderr)
            return
        summary = Path(out, "core_summary.txt")
        first = summary.read_text(encoding="utf-8").splitlines()[:1] if summary.is_file() else []
    print(f"CORE oracle (core_validate.sh): {core_wall:.2f} s wall; " + " | ".join(first))
    median = sorted(ours)[len(ours) // 2]
    print(
        f"speed-up (wall, whole command lines): {core_wall / median:.1f}x "
        "(against the median of the sdtm validate runs)"
    )


if __name__ == "__main__":
    main()
