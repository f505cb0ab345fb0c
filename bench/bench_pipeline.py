"""Benchmark: wall, CPU and memory per pipeline stage on a generated study, against the I/O floor.

Run from the repository root:

    python bench/bench_pipeline.py [--subjects 1000] [--seed S] [--keep DIR] [--study DIR]

It writes the study with ``sdtm sample --subjects N`` into a temporary folder, removed at
the end with the package written there (``--keep DIR`` keeps both in DIR; ``--study`` reuses
a study generated before), runs ``run_study`` on it with the bundled mapping spec, and prints
per stage:

- wall seconds (``time.perf_counter``) and CPU seconds of the process and of the worker
  processes it forked for the checks (``time.process_time`` plus ``os.times`` of the children
  it waited for): on a shared machine CPU time is the figure to compare, wall time moves with
  the other users' load;
- the process's peak resident set size when the stage ended (``getrusage``) and its current
  resident set size (``/proc/self/statm``); with ``--jobs`` above 1, the largest worker's
  peak resident set size too (``RUSAGE_CHILDREN``: every child waited for, the ``sdtm sample``
  that generates the study included). A worker is a fork: the pages it shares
  with this process count in both figures, so their sum is an upper bound; ``--pss`` samples
  the proportional set size of this process and its workers together (``/proc/PID/
  smaps_rollup``, every 0.1 s; Linux), which counts each shared page once;
- the 1-minute load average when the stage ended (``os.getloadavg``), so a slow figure can be
  told from a busy machine.

Then it measures the I/O floor in the same process (``bench_floor.py``: pandas reading every
raw file as text plus pyreadstat writing every output XPT), and prints the ratio of the run to
the floor (wall and CPU) and records per CPU-second, so any tool can be compared on the same
machine. ``--tracemalloc`` adds the peak of traced Python allocations within each stage
(slower); ``--cprofile FILE`` writes a cProfile of the run (slower).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_floor import measure_floor, print_floor  # noqa: E402

from sdtm import run_study  # noqa: E402
from sdtm.workers import default_jobs  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE / 2**20
    except OSError:
        return float("nan")


def _load() -> float:
    return os.getloadavg()[0]


def _cpu() -> float:
    """CPU seconds of this process and of the workers it has waited for."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def _workers_peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _pss_kib(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children() -> list[str]:
    """Process ids whose parent is this process (read from ``/proc/PID/stat``)."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == me:
            found.append(stat.parent.name)
    return found


class PssSampler(threading.Thread):
    """Samples the proportional set size of this process plus its live workers."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            total = _pss_kib("self") + sum(_pss_kib(pid) for pid in _children())
            self.peak_kib = max(self.peak_kib, total)

    def take_peak_mib(self) -> float:
        peak, self.peak_kib = self.peak_kib, 0
        return peak / 1024


class StageTimer:
    """Records wall time, CPU time and memory between the pipeline's progress messages."""

    def __init__(self, traced: bool, sampler: PssSampler | None) -> None:
        self.traced = traced
        self.sampler = sampler
        self.rows: list[tuple[str, float, float, float, float, float, float, float, float]] = []
        self.stage = "start"
        self.wall = time.perf_counter()
        self.cpu = _cpu()

    def __call__(self, message: str) -> None:
        self.close()
        # "reading raw files in /tmp/x" -> "reading raw files"
        self.stage = re.sub(r"\s+(?:in |to )?\S*/\S*$", "", message)
        self.wall = time.perf_counter()
        self.cpu = _cpu()
        if self.traced:
            tracemalloc.reset_peak()

    def close(self) -> None:
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if self.traced else float("nan")
        pss = self.sampler.take_peak_mib() if self.sampler is not None else float("nan")
        self.rows.append(
            (
                self.stage,
                time.perf_counter() - self.wall,
                _cpu() - self.cpu,
                _peak_rss_mib(),
                _workers_peak_rss_mib(),
                pss,
                _rss_mib(),
                _load(),
                peak,
            )
        )


def _generate(study: Path, subjects: int, seed: int | None) -> None:
    command = [sys.executable, "-m", "sdtm", "sample", "--subjects", str(subjects)]
    if seed is not None:
        command += ["--seed", str(seed)]
    started = time.perf_counter()
    subprocess.run([*command, "--out", str(study)], check=True, stdout=subprocess.DEVNULL)
    print(f"sample: {subjects} subjects generated in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--seed", type=int, help="sample seed (default: the sample's default)")
    parser.add_argument("--keep", type=Path, help="write the study and outputs here")
    parser.add_argument("--study", type=Path, help="use this generated study folder as it is")
    parser.add_argument("--no-export", action="store_true", help="skip the XPT/Define export")
    parser.add_argument("--no-floor", action="store_true", help="do not measure the I/O floor")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    parser.add_argument("--cprofile", type=Path, help="write a cProfile of the run here")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="processes for the checks, as `sdtm run --jobs` (default: as sdtm run)",
    )
    parser.add_argument(
        "--pss", action="store_true", help="sample the PSS of this process and its workers"
    )
    args = parser.parse_args()

    if args.keep is not None:
        _bench(args, args.keep)
        return
    # The generated study and the package (3 GB at 10,000 subjects) go with the folder.
    with tempfile.TemporaryDirectory(prefix="sdtm-bench-") as scratch:
        _bench(args, Path(scratch))


def _bench(args: argparse.Namespace, base: Path) -> None:
    """Run the study in ``base`` (generated there unless ``--study``) and print the figures."""
    if args.study is not None:
        study = args.study
    else:
        study = base / "cart-psca-001"
        _generate(study, args.subjects, args.seed)
    out = base / "out"
    print(f"machine: {os.cpu_count()} CPUs, load average {_load():.2f} (1 min) before the run")
    print(f"jobs: {args.jobs}")

    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.cprofile else None
    sampler = PssSampler() if args.pss else None
    if sampler is not None:
        sampler.start()
    timer = StageTimer(args.tracemalloc, sampler)
    wall, cpu = time.perf_counter(), _cpu()
    if profiler is not None:
        profiler.enable()
    result = run_study(
        study,
        REPO / "mappings" / "cart-psca-001",
        out,
        export=not args.no_export,
        progress=timer,
        jobs=args.jobs,
    )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    timer.close()
    if args.tracemalloc:
        tracemalloc.stop()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    all_pss = max(row[5] for row in timer.rows)
    if sampler is not None:
        sampler.stopped.set()

    print(
        f"{'stage':<22} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'workers MiB':>12}"
        f" {'peak PSS MiB':>13} {'RSS MiB':>8} {'load':>5} {'traced MiB':>11}"
    )
    for stage, seconds, cpu_seconds, peak_rss, workers, pss, rss, load, traced in timer.rows[1:]:
        print(
            f"{stage:<22} {seconds:8.2f} {cpu_seconds:8.2f} {peak_rss:13.0f} {workers:12.0f}"
            f" {pss:13.0f} {rss:8.0f} {load:5.2f} {traced:11.1f}"
        )
    print(
        f"{'total':<22} {wall:8.2f} {cpu:8.2f} {_peak_rss_mib():13.0f}"
        f" {_workers_peak_rss_mib():12.0f} {all_pss:13.0f}"
    )
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
    print(
        f"throughput: {records / cpu:,.0f} SDTM records per CPU-second, "
        f"{rows_in / cpu:,.0f} raw rows per CPU-second"
    )
    print("findings:", result.findings.count_by_severity())

    if args.no_floor or args.no_export:
        return
    floor = measure_floor(study, out)
    print_floor(floor)
    print(
        f"ratio to the floor: {wall / floor.wall:.2f}x wall, {cpu / floor.cpu:.2f}x CPU "
        f"(load average {_load():.2f} after the floor)"
    )


if __name__ == "__main__":
    main()
