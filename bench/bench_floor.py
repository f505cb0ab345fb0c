"""The I/O floor of a study: the least any raw -> XPT tool must spend on this machine.

The floor is the time pandas needs to read every raw file of the study as text (CSV with
``pd.read_csv(dtype=str)``, XLSX with ``pd.read_excel(dtype=str)`` on openpyxl, every sheet)
plus the time pyreadstat needs to write every output XPT (``write_xport``, version 5). The
XPT frames are taken from an earlier run's output folder (read back with pyreadstat, not
timed), so the writer writes exactly the datasets the pipeline wrote. A pipeline cannot do
less work than this without a faster reader or writer; its ratio to the floor says how much
of its time is its own.

    python bench/bench_floor.py STUDY_DIR XPT_DIR

``bench_pipeline.py`` calls :func:`measure_floor` in the same process right after its run,
so both figures come from the same window of machine load.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat


@dataclass(frozen=True)
class Floor:
    """Wall and CPU seconds of the floor's two halves."""

    read_wall: float
    read_cpu: float
    write_wall: float
    write_cpu: float
    raw_files: int
    raw_rows: int
    xpt_files: int
    xpt_records: int

    @property
    def wall(self) -> float:
        return self.read_wall + self.write_wall

    @property
    def cpu(self) -> float:
        return self.read_cpu + self.write_cpu


def _raw_files(study_dir: Path) -> list[Path]:
    return sorted(
        p for p in study_dir.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")
    )


def _read_text(path: Path) -> int:
    if path.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(
            path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
        return sum(len(frame) for frame in sheets.values())
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def measure_floor(study_dir: Path, xpt_dir: Path) -> Floor:
    """Time reading every raw file of ``study_dir`` and writing every XPT of ``xpt_dir``."""
    wall, cpu = time.perf_counter(), time.process_time()
    files = _raw_files(study_dir)
    rows = sum(_read_text(path) for path in files)
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu

    datasets = []
    for path in sorted(xpt_dir.glob("*.xpt")):
        frame, meta = pyreadstat.read_xport(str(path))
        datasets.append((path.name, frame, meta))
    records = sum(len(frame) for _, frame, _ in datasets)
    with tempfile.TemporaryDirectory(prefix="sdtm-floor-") as scratch:
        wall, cpu = time.perf_counter(), time.process_time()
        for name, frame, meta in datasets:
            pyreadstat.write_xport(
                frame,
                os.path.join(scratch, name),
                file_label=meta.file_label or "",
                column_labels=meta.column_labels,
                table_name=meta.table_name,
                file_format_version=5,
            )
        write_wall, write_cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Floor(
        read_wall, read_cpu, write_wall, write_cpu, len(files), rows, len(datasets), records
    )


def print_floor(floor: Floor) -> None:
    """Print the floor, one line per half and the total."""
    print(f"{'I/O floor':<22} {'wall s':>8} {'CPU s':>8}")
    print(
        f"{'  read raw as text':<22} {floor.read_wall:8.2f} {floor.read_cpu:8.2f}"
        f"   {floor.raw_files} files, {floor.raw_rows} rows"
    )
    print(
        f"{'  write XPT (v5)':<22} {floor.write_wall:8.2f} {floor.write_cpu:8.2f}"
        f"   {floor.xpt_files} files, {floor.xpt_records} records"
    )
    print(f"{'  floor total':<22} {floor.wall:8.2f} {floor.cpu:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study_dir", type=Path, help="raw study folder (CSV/XLSX)")
    parser.add_argument("xpt_dir", type=Path, help="output folder holding the XPT files")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    print_floor(measure_floor(args.study_dir, args.xpt_dir))
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")


if __name__ == "__main__":
    main()
