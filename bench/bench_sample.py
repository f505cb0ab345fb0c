"""Benchmark `sdtm sample`: wall time and peak memory of a child process.

Usage: python bench/bench_sample.py [--subjects 10000] [--seed 7] [--out DIR]

Runs the command in a subprocess (so the measurement covers interpreter start-up, imports and
writing every file) and reads the child's peak resident set size with
resource.getrusage(RUSAGE_CHILDREN). Prints one line per figure; exits 1 if peak memory is 2 GB
or more.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_BYTES = 2 * 1024**3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sample_") as scratch:
        out = args.out or Path(scratch) / "study"
        command = [sys.executable, "-m", "sdtm", "sample", "--subjects", str(args.subjects),
                   "--seed", str(args.seed), "--out", str(out)]
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            print(f"sdtm sample failed with exit code {result.returncode}", file=sys.stderr)
            return 2
        # ru_maxrss is in KiB on Linux (bytes on macOS).
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = peak_kib if sys.platform == "darwin" else peak_kib * 1024
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        rows = sum(int(line.split("\t")[1]) for line in result.stdout.decode().splitlines())
    print(f"subjects      {args.subjects}")
    print(f"wall time     {elapsed:.1f} s")
    print(f"peak memory   {peak / 1024**2:.0f} MiB (child process max RSS)")
    print(f"rows written  {rows}")
    print(f"bytes written {size / 1024**2:.1f} MiB")
    print(f"memory limit  {'OK' if peak < LIMIT_BYTES else 'EXCEEDED'} (< 2 GiB)")
    return 0 if peak < LIMIT_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
