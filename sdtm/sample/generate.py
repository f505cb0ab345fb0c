"""Write the synthetic CART-PSCA-001 raw files for any number of subjects, deterministically.

Subjects are generated one at a time, each from its own random streams seeded by
``(seed, subject index, part)``, and written in chunks; memory therefore depends on the chunk
size, not on N. The same (N, seed) always gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from sdtm.errors import InputError
from sdtm.sample.archetypes import (
    BUNDLED,
    BUNDLED_SIZE,
    ORPHAN_LAB_SUBJID,
    SubjectPlan,
    bundled_plan,
    plan_subjects,
)
from sdtm.sample.clinical import (
    adverse_events,
    demographics,
    disposition,
    grade_log,
    infusion,
    lymphodepletion,
    medications,
)
from sdtm.sample.course import build_course
from sdtm.sample.kinetics import kinetics_rows
from sdtm.sample.labs import lab_rows
from sdtm.sample.layout import RAW_FILES
from sdtm.sample.writer import CsvSink, XlsxSink

Row = tuple[str, ...]

DEFAULT_SEED = 20240312
"""Seed of the committed sample study (``sdtm sample --subjects 26 --seed 20240312``)."""

DEFAULT_SUBJECTS = BUNDLED_SIZE
"""Size of the committed sample study."""

_PARTS = MappingProxyType({"course": 0, "demographics": 1, "infusion": 2, "ae": 3, "cm": 4,
                           "lab": 5, "kinetics": 6})  # fmt: skip
_ORPHAN_INDEX = 99999


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What :func:`write_sample` wrote."""

    out_dir: Path
    """Study folder written."""
    n_subjects: int
    """Subjects generated."""
    seed: int
    """Seed used."""
    row_counts: MappingProxyType[str, int]
    """Data rows (header excluded) per file path relative to ``out_dir``."""


def _rng(seed: int, plan: SubjectPlan, part: str) -> np.random.Generator:
    return np.random.default_rng([seed, plan.index, _PARTS[part]])


def generate_subject(plan: SubjectPlan, seed: int) -> dict[str, list[Row]]:
    """Generate every raw row of one subject.

    Args:
        plan: The subject plan.
        seed: Study seed.

    Returns:
        Rows per raw file key (keys of :data:`sdtm.sample.layout.RAW_FILES`).
    """
    out: dict[str, list[Row]] = {f.key: [] for f in RAW_FILES}
    course = build_course(plan, _rng(seed, plan, "course"))
    for key, rows in demographics(course, _rng(seed, plan, "demographics")).items():
        out[key] = rows
    out["ld"] = lymphodepletion(course)
    out["cart"] = infusion(course, _rng(seed, plan, "infusion"))
    out["ae"], ae_lines = adverse_events(course, _rng(seed, plan, "ae"))
    out["crs"] = grade_log(course, ae_lines)
    out["cm"], out["vp"] = medications(course, _rng(seed, plan, "cm"), ae_lines)
    out["ds"], out["dd"] = disposition(course, ae_lines)
    lab_key, out[lab_key] = lab_rows(course, _rng(seed, plan, "lab"))
    out["ck"] = kinetics_rows(course, _rng(seed, plan, "kinetics"))
    return out


def orphan_lab_rows(seed: int) -> list[Row]:
    """Lab A rows of a subject id that exists in no EDC file (planted edge case 25)."""
    host = bundled_plan(16)
    archetype = dataclasses.replace(BUNDLED[16][1], edges=frozenset())
    plan = SubjectPlan(_ORPHAN_INDEX, ORPHAN_LAB_SUBJID, "101", archetype, host.screen_date)
    course = build_course(plan, _rng(seed, plan, "course"))
    _, rows = lab_rows(course, _rng(seed, plan, "lab"))
    return [row for row in rows if row[3] == "DAY 7"]


def write_sample(
    out_dir: Path,
    n_subjects: int = DEFAULT_SUBJECTS,
    seed: int = DEFAULT_SEED,
    *,
    chunk_size: int = 250,
    on_progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write the raw files of the synthetic sample study.

    Args:
        out_dir: Study folder to write (``edc/``, ``lab/``, ``bioanalytical/`` are created).
        n_subjects: Number of subjects (>= 1). The archetype rule is documented in
            ``sample_data/cart-psca-001/README.md`` and :func:`plan_subjects`.
        seed: Non-negative seed; equal (n_subjects, seed) give identical bytes.
        chunk_size: Subjects buffered before rows are flushed to disk.
        on_progress: Called with the number of subjects done after each subject.

    Returns:
        A :class:`SampleSummary` with row counts per file.

    Raises:
        InputError: If ``n_subjects`` < 1, ``seed`` < 0 or ``out_dir`` is not writable.
    """
    if n_subjects < 1:
        raise InputError(f"--subjects must be at least 1, got {n_subjects}")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        sinks = {
            f.key: XlsxSink(out_dir / f.path, f.columns, f.form) if f.is_xlsx
            else CsvSink(out_dir / f.path, f.columns)
            for f in RAW_FILES
        }  # fmt: skip
    except OSError as error:
        raise InputError(f"cannot write sample data to {out_dir}: {error}") from error
    counts = {f.key: 0 for f in RAW_FILES}
    buffers: dict[str, list[Row]] = {f.key: [] for f in RAW_FILES}

    def flush() -> None:
        for key, rows in buffers.items():
            if rows:
                sinks[key].write(rows)
                counts[key] += len(rows)
                rows.clear()

    try:
        for done, plan in enumerate(plan_subjects(n_subjects), start=1):
            for key, rows in generate_subject(plan, seed).items():
                buffers[key].extend(rows)
            if done % chunk_size == 0:
                flush()
            if on_progress is not None:
                on_progress(done)
        if n_subjects >= BUNDLED_SIZE:
            buffers["lab_a"].extend(orphan_lab_rows(seed))
        flush()
    finally:
        for sink in sinks.values():
            sink.close()
    paths = {f.key: f.path for f in RAW_FILES}
    return SampleSummary(out_dir, n_subjects, seed,
                         MappingProxyType({paths[k]: v for k, v in counts.items()}))
