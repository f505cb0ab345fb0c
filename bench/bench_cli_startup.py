"""Benchmark: start-up of ``sdtm --version`` and ``sdtm --help`` (target: 0.3 s or less).

Runs each command ``--repeat`` times (default 20) as a child process, hyperfine-style, and
prints the median and the minimum of its wall time and of its CPU time (user + system, from
``os.wait4``), with the load average: on a shared machine CPU time is the fair figure.

    python bench/bench_cli_startup.py [--repeat 20]

``python -X importtime -c "import sdtm.cli"`` shows what an import costs, module by module.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _command() -> list[str]:
    script = Path(sys.executable).with_name("sdtm")
    if script.is_file():
        return [str(script)]
    found = shutil.which("sdtm")
    return [found] if found else [sys.executable, "-m", "sdtm"]


def _time_once(argv: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--src",
        type=Path,
        help="time the sdtm package in this source folder instead (e.g. an older checkout)",
    )
    args = parser.parse_args()
    base = _command()
    if args.src is not None:
        loader = (
            f"import sys; sys.path.insert(0, {str(args.src)!r}); "
            "from sdtm.cli import main; main()"
        )
        base = [sys.executable, "-c", loader]
    print(f"command: {' '.join(base)}; load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'':<16} {'wall median':>12} {'wall min':>9} {'CPU median':>11} {'CPU min':>8}")
    for option in ("--version", "--help"):
        _time_once([*base, option])  # warm the file cache
        runs = [_time_once([*base, option]) for _ in range(args.repeat)]
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(
            f"sdtm {option:<11} {statistics.median(walls):11.3f}s {min(walls):8.3f}s"
            f" {statistics.median(cpus):10.3f}s {min(cpus):7.3f}s"
        )
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")


if __name__ == "__main__":
    main()
