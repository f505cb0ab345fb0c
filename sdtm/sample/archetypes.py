"""Subject archetypes of the sample study and the rule that picks them for any N.

The bundled study has 26 subjects (domain brief section 4.2). Row ``k`` of :data:`BUNDLED` is
subject index ``k``; planted edge cases (brief section 4.4) are attached to the archetype of the
subject that hosts them, by edge-case number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import MappingProxyType

BUNDLED_SIZE = 26
"""Number of subjects in the committed sample study."""

SEED_CASE_SUBJID = "101-011"
"""Subject that mirrors the published case (brief section 4.3)."""

ORPHAN_LAB_SUBJID = "101-O11"
"""Lab-only subject id (letter O keyed for zero); planted edge case 25."""

DATA_CUTOFF = dt.date(2024, 10, 31)
"""Data cut-off: no record in any file is dated after it."""

SEED_INFUSION = dt.date(2024, 3, 12)
"""CAR-T infusion date of the seed-case subject (synthetic)."""

SCREEN_TO_DAY0 = 36
"""Days from screening visit to CAR-T infusion (protocol Day 0)."""

SCREEN_SPACING = 14
"""Days between the screening visits of consecutive bundled subjects."""

STUDY_BASE = SEED_INFUSION - dt.timedelta(days=SCREEN_TO_DAY0 + 20 * SCREEN_SPACING)
"""Screening date of subject index 0, chosen so that index 20 is the seed case."""

ENROLMENT_WINDOW = 364
"""Days over which the screening visits of extra subjects (index >= 26) are spread."""

DOSE_PER_KG = MappingProxyType({"DL1": 1.0, "DL2": 3.0, "DL3": 6.0})
"""Target dose per dose level, x10^6 CAR+ viable T cells/kg."""


@dataclass(frozen=True, slots=True)
class Archetype:
    """What happens to a subject in the study, coarse enough to cycle for any N."""

    code: str
    """Short archetype code (``SF``, ``DL2_ICANS`` ...)."""
    kind: str
    """``SCREEN_FAILURE``, ``MFG_FAILURE``, ``LD_ONLY`` or ``TREATED``."""
    dose_level: str = ""
    """Assigned dose level ``DL1``..``DL3``; empty for screen failures."""
    crs_grade: int = 0
    """Worst ASTCT CRS grade (0 = no CRS)."""
    icans_grade: int = 0
    """Worst ASTCT ICANS grade (0 = no ICANS)."""
    features: frozenset[str] = frozenset()
    """Special courses: SEED, IECHS, CYSTITIS, ALLBLQ, TWOBAG, SHORTFALL, RENAL, DOSEMISMATCH,
    PSA_RESPONSE."""
    edges: frozenset[int] = frozenset()
    """Numbers of the planted edge cases (brief 4.4) this subject hosts."""


def _arch(code: str, kind: str, dose_level: str = "", crs: int = 0, icans: int = 0,
          features: tuple[str, ...] = (), edges: tuple[int, ...] = ()) -> Archetype:  # fmt: skip
    return Archetype(code, kind, dose_level, crs, icans, frozenset(features), frozenset(edges))


BUNDLED: tuple[tuple[str, Archetype], ...] = (
    ("101-001", _arch("DL1_NOCRS_BLQ", "TREATED", "DL1", features=("ALLBLQ",), edges=(2, 31))),
    ("102-001", _arch("DL1_NOCRS", "TREATED", "DL1", edges=(32,))),
    ("101-002", _arch("DL1_NOCRS", "TREATED", "DL1", edges=(32,))),
    ("102-002", _arch("SF", "SCREEN_FAILURE", edges=(26,))),
    ("101-003", _arch("DL1_CRS1", "TREATED", "DL1", crs=1, edges=(21,))),
    ("102-003", _arch("DL1_CRS1", "TREATED", "DL1", crs=1, edges=(11,))),
    ("101-004", _arch("DL1_CRS1", "TREATED", "DL1", crs=1, edges=(22,))),
    ("102-004", _arch("MFG_FAIL", "MFG_FAILURE", "DL2")),
    ("101-005", _arch("DL2_CRS2", "TREATED", "DL2", crs=2, features=("PSA_RESPONSE",),
                      edges=(4, 28))),
    ("102-005", _arch("DL2_CRS2", "TREATED", "DL2", crs=2, features=("PSA_RESPONSE",),
                      edges=(5, 13))),
    ("101-006", _arch("DL2_ICANS", "TREATED", "DL2", crs=1, icans=2, edges=(22,))),
    ("102-006", _arch("DL2_CYSTITIS", "TREATED", "DL2", crs=1, features=("CYSTITIS",))),
    ("101-007", _arch("DL2_CRS1", "TREATED", "DL2", crs=1, features=("PSA_RESPONSE",),
                      edges=(1,))),
    ("102-007", _arch("SF", "SCREEN_FAILURE")),
    ("101-008", _arch("DL2_TWOBAG", "TREATED", "DL2", crs=1, features=("TWOBAG",), edges=(3,))),
    ("102-008", _arch("DL2_CRS2", "TREATED", "DL2", crs=2, edges=(6, 15))),
    ("101-009", _arch("DL2_CRS1", "TREATED", "DL2", crs=1, edges=(10,))),
    ("102-009", _arch("LD_ONLY", "LD_ONLY", "DL2")),
    ("101-010", _arch("DL2_CRS2", "TREATED", "DL2", crs=2, edges=(9,))),
    ("102-010", _arch("DL3_CRS2", "TREATED", "DL3", crs=2, edges=(12,))),
    (SEED_CASE_SUBJID, _arch("DL3_SEED", "TREATED", "DL3", crs=4, features=("SEED", "TWOBAG",
                             "PSA_RESPONSE"), edges=(8, 14, 20, 23, 24))),
    ("102-011", _arch("DL3_CRS3_ICANS3", "TREATED", "DL3", crs=3, icans=3, edges=(18, 23))),
    ("101-012", _arch("DL3_IECHS", "TREATED", "DL3", crs=2, features=("IECHS",),
                      edges=(19, 24, 33))),
    ("102-012", _arch("DL3_SHORTFALL", "TREATED", "DL3", crs=1, features=("SHORTFALL",),
                      edges=(34,))),
    ("101-013", _arch("DL3_CRS2_RENAL", "TREATED", "DL3", crs=2, features=("RENAL",),
                      edges=(7, 24, 34))),
    ("102-013", _arch("DL2_DOSEMISMATCH", "TREATED", "DL2", crs=1, features=("DOSEMISMATCH",),
                      edges=(35,))),
)  # fmt: skip
"""The 26 bundled subjects in index order: (SUBJID, archetype)."""

PRIORITY: tuple[str, ...] = (
    SEED_CASE_SUBJID, "101-012", "102-011", "101-006", "102-006", "102-002", "102-004",
    "102-009", "101-008",
)  # fmt: skip
"""Subjects chosen first when fewer than 26 are requested; the rest follow in table order."""

CYCLED_SEED = _arch("DL3_CRS3", "TREATED", "DL3", crs=3)
"""Archetype that replaces the seed case for extra subjects, so the seed story exists once."""


@dataclass(frozen=True, slots=True)
class SubjectPlan:
    """Everything needed to generate one subject deterministically."""

    index: int
    """Subject index k (0-based); with the seed it selects the random stream."""
    subjid: str
    """Subject number ``<site>-<nnn>``."""
    site: str
    """Site number ``101`` or ``102``."""
    archetype: Archetype
    """What happens to the subject (with planted edge cases for bundled subjects)."""
    screen_date: dt.date
    """Date of the screening visit."""

    @property
    def day0(self) -> dt.date:
        """Planned CAR-T infusion date (protocol Day 0)."""
        return self.screen_date + dt.timedelta(days=SCREEN_TO_DAY0)

    def has_edge(self, number: int) -> bool:
        """Whether this subject hosts planted edge case ``number``."""
        return number in self.archetype.edges


def bundled_plan(index: int) -> SubjectPlan:
    """Return the plan of bundled subject ``index`` (0-25), planted edge cases included."""
    subjid, archetype = BUNDLED[index]
    screen = STUDY_BASE + dt.timedelta(days=SCREEN_SPACING * index)
    return SubjectPlan(index, subjid, subjid[:3], archetype, screen)


def extra_plan(index: int) -> SubjectPlan:
    """Return the plan of an extra subject (index >= 26): cycled archetype, no edge cases."""
    _, archetype = BUNDLED[index % BUNDLED_SIZE]
    # Extra subjects carry no planted data errors: no edge cases, and the per-kg dose mismatch
    # (edge case 35, a feature of its host) is dropped too.
    archetype = CYCLED_SEED if "SEED" in archetype.features else replace(
        archetype, edges=frozenset(), features=archetype.features - {"DOSEMISMATCH"})
    site = "101" if index % 2 == 0 else "102"
    number = index // 2 + 1
    # Spread screening over the enrolment window with a stride coprime to its length, so
    # consecutive subjects do not pile up on one date.
    screen = STUDY_BASE + dt.timedelta(days=(index * 53) % ENROLMENT_WINDOW)
    return SubjectPlan(index, f"{site}-{number:03d}", site, archetype, screen)


def plan_subjects(n_subjects: int) -> Iterator[SubjectPlan]:
    """Yield the subject plans for a study of ``n_subjects`` subjects, in file order.

    Rule (documented in the sample README): N >= 26 gives the 26 bundled subjects followed by
    cycled extra subjects; N < 26 gives the first N subjects of :data:`PRIORITY` order,
    written in bundled order.

    Args:
        n_subjects: Number of subjects, at least 1.

    Yields:
        One :class:`SubjectPlan` per subject.
    """
    if n_subjects >= BUNDLED_SIZE:
        for index in range(BUNDLED_SIZE):
            yield bundled_plan(index)
        for index in range(BUNDLED_SIZE, n_subjects):
            yield extra_plan(index)
        return
    order = list(PRIORITY) + [s for s, _ in BUNDLED if s not in PRIORITY]
    chosen = set(order[:n_subjects])
    for index, (subjid, _) in enumerate(BUNDLED):
        if subjid in chosen:
            yield bundled_plan(index)
