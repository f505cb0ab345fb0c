"""Bioanalytical transfer (cellular kinetics) for one subject: qPCR transgene and flow counts.

Profile (Mueller et al., Clin Cancer Res 2018, as summarised in the domain brief 1.6): BLQ before
infusion, log-linear expansion from Day 1, Cmax at the subject's peak day (7, 10 or 14), then a
fast and a slow (persistence) decline. qPCR LLOQ rises when less genomic DNA goes into the
reaction, so it is reported per sample.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sdtm.sample.course import Course
from sdtm.sample.formats import iso_date, trim_number
from sdtm.sample.layout import STUDY_ID
from sdtm.sample.seedcase import SEED_KINETICS

Row = tuple[str, ...]

TIME_POINTS: tuple[tuple[str, int, int], ...] = (
    ("D0 PRE", 0, -1), ("D0 1H", 0, 1), ("D1", 1, 24), ("D2", 2, 48), ("D3", 3, 72),
    ("D4", 4, 96), ("D7", 7, 168), ("D10", 10, 240), ("D14", 14, 336), ("D21", 21, 504),
    ("D28", 28, 672), ("M2", 56, 1344), ("M3", 84, 2016), ("M6", 168, 4032),
)  # fmt: skip
"""Nominal time points: (label, protocol day, hours from infusion start)."""

QPCR_LLOQ_AT_500NG = 50.0
"""qPCR LLOQ (copies/ug gDNA) with at least 500 ng DNA input; scales with 500 / input below."""
FLOW_LLOQ = "0.5"
"""Flow-cytometry LLOQ, CAR+ cells/uL."""


def _actual_times(course: Course, rng: np.random.Generator) -> list[dt.datetime]:
    start = course.infusion
    times = []
    for label, day, _ in TIME_POINTS:
        if label == "D0 PRE":
            times.append(start - dt.timedelta(minutes=int(rng.integers(35, 80))))
        elif label == "D0 1H":
            times.append(start + dt.timedelta(minutes=int(rng.integers(55, 80))))
        else:
            times.append(course.at(course.visit_day(day), int(rng.integers(7, 11)),
                                   int(rng.integers(0, 12)) * 5))  # fmt: skip
    return times


def _profile(course: Course, t_days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cmax, tpk = course.cmax, course.tmax_day
    c_first = cmax * 0.002
    t0 = 1.0 / 24.0
    rise = c_first * (cmax / c_first) ** np.clip((t_days - t0) / (tpk - t0), 0.0, None)
    slow = 0.02 if course.psa_response or "SEED" in course.plan.archetype.features else 0.05
    after = t_days - tpk
    fall = cmax * (0.8 * np.exp(-0.2 * after) + 0.2 * np.exp(-slow * after))
    values = np.where(t_days <= tpk, rise, fall)
    values = np.where(t_days < 0, 0.0, values)
    return values * np.exp(rng.normal(0.0, 0.08, t_days.shape))


def kinetics_rows(course: Course, rng: np.random.Generator) -> list[Row]:
    """Rows of the bioanalytical transfer for one subject (empty if never infused)."""
    plan = course.plan
    if course.infusion is None:
        return []
    seed_case = "SEED" in plan.archetype.features
    times = _actual_times(course, rng)
    t_days = np.array([(t - course.infusion).total_seconds() / 86400.0 for t in times])
    copies = _profile(course, t_days, rng)
    cells = copies / 400.0 * np.exp(rng.normal(0.0, 0.1, copies.shape))
    dna = np.where(rng.random(len(times)) < 0.12, rng.uniform(150, 450, len(times)),
                   rng.uniform(500, 1000, len(times)))  # fmt: skip
    all_blq = "ALLBLQ" in plan.archetype.features
    end = course.end_of_data
    compact = plan.subjid.replace("-", "")
    rows: list[Row] = []
    for i, (label, day, hour) in enumerate(TIME_POINTS):
        when = times[i]
        if when.date() > end:
            break
        q_value, f_value, dna_ng = float(copies[i]), float(cells[i]), float(dna[i])
        if seed_case:
            seeded_q, seeded_f, dna_ng = SEED_KINETICS[label]
            q_value = 0.0 if seeded_q is None else seeded_q
            f_value = 0.0 if seeded_f is None else seeded_f
        if all_blq:
            q_value, f_value = 0.0, 0.0
        dna_ng = round(dna_ng)
        lloq = round(QPCR_LLOQ_AT_500NG * 500.0 / min(dna_ng, 500.0))
        status, comment = "REPORTED", ""
        missing = plan.has_edge(28) and label == "D21"
        if missing:
            status, comment = "NOT RECEIVED", "SAMPLE NOT RECEIVED AT BIOANALYTICAL LAB"
        q_result = "" if missing else ("BLQ" if q_value < lloq else str(round(q_value)))
        f_result = "" if missing else (
            f"<{FLOW_LLOQ}" if f_value < float(FLOW_LLOQ) else trim_number(f_value, 1))
        common = (STUDY_ID, plan.site, plan.subjid)
        timing = (label, str(day), str(hour), iso_date(when.date()),
                  f"{when.hour:02d}:{when.minute:02d}")  # fmt: skip
        run = f"{(plan.index * 14 + i) // 40 + 1:04d}"
        rows.append((*common, f"CK-{compact}-{i + 1:02d}-Q", "PSCA CAR TRANSGENE", "qPCR",
                     "WHOLE BLOOD", *timing, q_result, "copies/ug gDNA", str(lloq), "1000000",
                     "" if missing else str(dna_ng), f"QPCR-R{run}", status, comment))
        rows.append((*common, f"CK-{compact}-{i + 1:02d}-F", "CAR+ T CELLS", "FLOW",
                     "WHOLE BLOOD", *timing, f_result, "cells/uL", FLOW_LLOQ, "5000", "",
                     f"FLOW-R{run}", status, comment))  # fmt: skip
    return rows
