"""The clinical course of one synthetic subject: the timeline every raw file is drawn from.

A :class:`Course` is computed once per subject from its plan and its random stream; the EDC,
lab and bioanalytical generators only read it, so all files tell the same story.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sdtm.sample.archetypes import DATA_CUTOFF, DOSE_PER_KG, SubjectPlan


@dataclass(frozen=True, slots=True)
class Assessment:
    """One CRS or ICANS assessment (a row of the daily grade log)."""

    when: dt.datetime
    """Assessment date-time."""
    syndrome: str
    """``CRS`` or ``ICANS``."""
    grade: int
    """Investigator's ASTCT 2019 grade at this assessment."""
    tmax: float = 0.0
    """Maximum temperature, deg C (CRS)."""
    n_vaso: int = 0
    """Vasopressors running, vasopressin excluded (CRS)."""
    vasopressin: bool = False
    """Vasopressin running (CRS)."""
    o2_code: int = 0
    """Oxygen support code 0-3 (CRS)."""
    ice: int = 10
    """ICE score (ICANS)."""


@dataclass(frozen=True, slots=True)
class Course:
    """Timeline of one subject; datetimes are naive local clock times."""

    plan: SubjectPlan
    """The subject plan the course was built from."""
    consent: dt.datetime
    """Informed consent signature."""
    height_cm: float
    """Height (cm)."""
    weight_kg: float
    """Weight at LD (kg)."""
    ld_start: dt.datetime | None
    """First LD dose (protocol Day -5) or ``None`` when no LD."""
    infusion: dt.datetime | None
    """CAR-T infusion start or ``None`` when not infused."""
    crs: tuple[Assessment, ...]
    """Daily CRS assessments (empty without CRS)."""
    crs_onset: dt.datetime | None
    """CRS onset."""
    crs_end: dt.date | None
    """Date CRS resolved."""
    icans: tuple[Assessment, ...]
    """ICANS assessments."""
    icans_onset: dt.datetime | None
    """ICANS onset."""
    icans_end: dt.date | None
    """Date ICANS resolved."""
    death: dt.date | None
    """Date of death, if the subject died before the cut-off."""
    psa_base: float
    """PSA at Day -5 (ng/mL)."""
    psa_response: bool
    """Whether PSA falls after CAR-T."""
    cmax: float
    """Transgene Cmax (copies/ug gDNA)."""
    tmax_day: float
    """Nominal day of the transgene peak."""
    month_shift: int
    """Days the Month 2/3/6 visits fall off nominal (visit window), same for every file."""

    @property
    def day0(self) -> dt.date:
        """Protocol Day 0 (planned or actual infusion date)."""
        return self.plan.day0

    def visit_day(self, day: int) -> int:
        """Actual protocol day of the visit planned on ``day`` (month visits are windowed)."""
        return day + self.month_shift if day > 28 else day

    def pday(self, day: int) -> dt.date:
        """Calendar date of protocol day ``day``."""
        return self.day0 + dt.timedelta(days=day)

    def at(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        """Date-time of protocol day ``day`` at ``hour:minute``."""
        return dt.datetime.combine(self.pday(day), dt.time(hour, minute))

    @property
    def end_of_data(self) -> dt.date:
        """Last date any record can carry: death or data cut-off."""
        return min(self.death or DATA_CUTOFF, DATA_CUTOFF)

    @property
    def peak_crs_time(self) -> dt.datetime | None:
        """Time of the first assessment at the worst CRS grade."""
        if not self.crs:
            return None
        worst = max(a.grade for a in self.crs)
        return next(a.when for a in self.crs if a.grade == worst)


# Daily CRS grade paths by worst grade (one entry per assessment day), seed case excluded.
_CRS_PATHS = MappingProxyType({1: ((1,), (1, 1), (1, 1, 1)), 2: ((1, 2, 1), (1, 2, 2, 1)),
                               3: ((1, 2, 3, 2, 1),), 4: ((1, 3, 4, 3, 2, 1),)})  # fmt: skip
_ICANS_PATHS = MappingProxyType({1: ((1,),), 2: ((1, 2, 1),), 3: ((2, 3, 2, 1),)})
_TMAX_BY_GRADE = (37.2, 38.6, 39.0, 39.4, 39.8)


def _crs_assessment(when: dt.datetime, grade: int, rng: np.random.Generator) -> Assessment:
    # Support items consistent with ASTCT 2019: grade 2 fluids/low-flow, grade 3 one
    # vasopressor, grade 4 multiple vasopressors (vasopressin not counted).
    tmax = round(_TMAX_BY_GRADE[grade] + float(rng.uniform(-0.3, 0.3)), 1)
    n_vaso = {0: 0, 1: 0, 2: 0, 3: 1, 4: 2}[grade]
    o2_code = {0: 0, 1: 0, 2: 1, 3: 1, 4: 2}[grade]
    return Assessment(when, "CRS", grade, tmax, n_vaso, False, o2_code)


def _icans_assessment(when: dt.datetime, grade: int, rng: np.random.Generator) -> Assessment:
    low, high = {0: (10, 10), 1: (7, 9), 2: (3, 6), 3: (0, 2)}[grade]
    return Assessment(when, "ICANS", grade, ice=int(rng.integers(low, high + 1)))


def _seed_crs(course_at) -> tuple[Assessment, ...]:
    # Brief section 4.3: grade 1 -> 2 -> 3 (norepinephrine) -> 3 (+vasopressin) -> 4 (four
    # pressors, high-flow O2) -> 2 -> 1 -> 1, resolved Day 8.
    rows = (
        (1, 22, 0, 1, 39.1, 0, False, 0),
        (2, 14, 0, 2, 39.4, 0, False, 1),
        (3, 6, 0, 3, 39.6, 1, False, 1),
        (3, 20, 0, 3, 39.5, 1, True, 1),
        (4, 8, 0, 4, 39.9, 3, True, 2),
        (5, 10, 0, 2, 38.4, 0, False, 1),
        (6, 10, 0, 1, 38.1, 0, False, 0),
        (7, 10, 0, 1, 37.9, 0, False, 0),
    )
    return tuple(Assessment(course_at(d, h, m), "CRS", g, t, n, vp, o2)
                 for d, h, m, g, t, n, vp, o2 in rows)  # fmt: skip


def build_course(plan: SubjectPlan, rng: np.random.Generator) -> Course:
    """Draw the timeline of one subject.

    Args:
        plan: The subject plan.
        rng: The subject's own random stream (consumed in a fixed order).

    Returns:
        The subject's :class:`Course`.
    """
    arch = plan.archetype
    seed_case = "SEED" in arch.features
    consent_offset = -2 if plan.has_edge(26) else int(rng.integers(1, 6))
    consent = dt.datetime.combine(
        plan.screen_date - dt.timedelta(days=consent_offset),
        dt.time(int(rng.integers(9, 16)), int(rng.integers(0, 12)) * 5),
    )
    height = 185.0 if seed_case else float(np.round(rng.normal(177.0, 6.5)))
    weight = 82.0 if seed_case else float(np.round(rng.normal(84.0, 11.0), 1))
    day0 = plan.day0
    ld_start = None
    if arch.kind in ("TREATED", "LD_ONLY"):
        ld_start = dt.datetime.combine(day0 - dt.timedelta(days=5), dt.time(9, 0))
    infusion = None
    if arch.kind == "TREATED":
        minute = 5 if seed_case else int(rng.integers(0, 12)) * 5
        hour = 10 if seed_case else int(rng.integers(9, 12))
        infusion = dt.datetime.combine(day0, dt.time(hour, minute))

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day0 + dt.timedelta(days=day), dt.time(hour, minute))

    crs: tuple[Assessment, ...] = ()
    crs_onset = crs_end = None
    if seed_case:
        crs = _seed_crs(at)
        crs_onset, crs_end = crs[0].when, day0 + dt.timedelta(days=8)
    elif arch.crs_grade > 0:
        paths = _CRS_PATHS[arch.crs_grade]
        path = paths[int(rng.integers(0, len(paths)))]
        onset_day = int(rng.integers(1, 4))
        onset = at(onset_day, int(rng.integers(8, 23)), int(rng.integers(0, 12)) * 5)
        items = [_crs_assessment(onset, path[0], rng)]
        for step, grade in enumerate(path[1:], start=1):
            items.append(_crs_assessment(at(onset_day + step, 8, 0), grade, rng))
        crs = tuple(items)
        crs_onset = onset
        crs_end = onset.date() + dt.timedelta(days=len(path))
    icans: tuple[Assessment, ...] = ()
    icans_onset = icans_end = None
    if arch.icans_grade > 0 and crs:
        path = _ICANS_PATHS[arch.icans_grade][0]
        start_day = (crs[-1].when.date() - day0).days
        icans_onset = at(start_day, int(rng.integers(13, 20)), 30)
        items = [_icans_assessment(icans_onset, path[0], rng)]
        for step, grade in enumerate(path[1:], start=1):
            items.append(_icans_assessment(at(start_day + step, 9, 0), grade, rng))
        icans = tuple(items)
        icans_end = icans_onset.date() + dt.timedelta(days=len(path))
    death = day0 + dt.timedelta(days=20) if "IECHS" in arch.features else None
    psa_base = 52.0 if seed_case else float(np.round(rng.lognormal(np.log(35.0), 0.7), 1))
    cmax_median = {"DL1": 3000.0, "DL2": 12000.0, "DL3": 30000.0}.get(arch.dose_level, 0.0)
    cmax = 62000.0 if seed_case else float(rng.lognormal(np.log(max(cmax_median, 1.0)), 0.45))
    if "ALLBLQ" in arch.features:
        cmax = 20.0
    tmax_day = 7.0 if seed_case else float(rng.choice([7.0, 10.0, 14.0], p=[0.5, 0.3, 0.2]))
    month_shift = -4 if seed_case else int(rng.integers(-5, 6))
    return Course(
        plan=plan, consent=consent, height_cm=height, weight_kg=weight, ld_start=ld_start,
        infusion=infusion, crs=crs, crs_onset=crs_onset, crs_end=crs_end, icans=icans,
        icans_onset=icans_onset, icans_end=icans_end, death=death, psa_base=psa_base,
        psa_response="PSA_RESPONSE" in arch.features, cmax=cmax, tmax_day=tmax_day,
        month_shift=month_shift,
    )  # fmt: skip


def target_dose(plan: SubjectPlan) -> float:
    """Target CAR-T dose of the subject's dose level, x10^6 cells/kg (0 if none)."""
    return DOSE_PER_KG.get(plan.archetype.dose_level, 0.0)
