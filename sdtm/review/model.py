"""What a subject timeline holds: frozen records of bars, marks, points and panels.

Positions are axis positions ``t`` (days since the reference midnight, see
:mod:`sdtm.review.days`); texts are what the tooltips show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A bar on the time axis."""

    start: float
    """Axis position of the start."""
    end: float
    """Axis position of the end (``start`` for a single moment)."""
    detail: str
    """Tooltip: the record's values."""
    open_end: bool = False
    """No end collected (ongoing or missing): drawn to the end of the axis."""
    reference: bool = False
    """This exposure starts at ``RFSTDTC`` (the dose that anchors the study days)."""
    text: str = ""
    """Short text written next to the bar (dose and unit, element name)."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One labelled row of bars: an EX treatment, one AE, a CM treatment or the SE bands."""

    kind: str
    """``ex``, ``ae``, ``cm`` or ``se``."""
    label: str
    """Row label (EXTRT, AEDECOD, CMTRT)."""
    spans: tuple[Span, ...]
    """The bars."""
    group: str = ""
    """Colour group: EXCAT, CMCAT."""
    grade: int | None = None
    """AE toxicity grade (AETOXGR), or the AESEV rank when only severity exists."""
    grade_source: str = ""
    """``AETOXGR`` or ``AESEV``."""
    highlight: bool = False
    """A highlighted AE (FA grades collected for it, or a configured term)."""
    steps: tuple[tuple[float, float], ...] = ()
    """Daily FA grades of a highlighted AE as (axis position, grade)."""
    step_test: str = ""
    """``FATESTCD`` of the steps."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A single moment: a disposition event or death."""

    t: float
    """Axis position."""
    label: str
    """DSDECOD, or ``DEATH``."""
    detail: str
    """Tooltip."""
    death: bool = False
    """Drawn as death."""


@dataclass(frozen=True, slots=True)
class PanelPlan:
    """A numeric panel planned for the study: which tests of which domain, in one unit."""

    title: str
    """Heading, with the unit."""
    domain: str
    """DOMAIN value of the records."""
    tests: tuple[str, ...]
    """``--TESTCD`` values, in legend order."""
    unit: str
    """``--STRESU`` of every record drawn (empty when none was given)."""
    scale: str
    """``log`` or ``linear``."""


@dataclass(frozen=True, slots=True)
class Point:
    """One result."""

    t: float
    """Axis position."""
    value: float
    """Standard numeric result, or the limit of a censored result."""
    censor: str
    """``""`` for a measured value, ``<`` below a limit, ``>`` above a limit."""
    detail: str
    """Tooltip."""


@dataclass(frozen=True, slots=True)
class Series:
    """One test of one subject."""

    testcd: str
    """``--TESTCD``."""
    label: str
    """``--TEST``."""
    points: tuple[Point, ...]
    """Results in time order."""
    lloq: tuple[float, ...] = ()
    """Distinct ``--LLOQ`` values of the records drawn."""


@dataclass(frozen=True, slots=True)
class Peak:
    """Cmax at Tmax of one analyte (PP)."""

    testcd: str
    """The PC test the peak belongs to."""
    t: float
    """Axis position of Tmax."""
    value: float
    """Cmax."""
    detail: str
    """Tooltip."""


@dataclass(frozen=True, slots=True)
class Panel:
    """One subject's data for a :class:`PanelPlan`."""

    plan: PanelPlan
    """What the panel shows."""
    series: tuple[Series, ...]
    """One per test with data."""
    peaks: tuple[Peak, ...] = ()
    """PP Cmax/Tmax marks (PC panels)."""
    notes: tuple[str, ...] = ()
    """What could not be drawn, and why."""

    def positions(self) -> list[float]:
        """Return the axis positions of every point and peak."""
        return [p.t for s in self.series for p in s.points] + [p.t for p in self.peaks]


@dataclass(frozen=True, slots=True)
class SubjectTimeline:
    """Everything drawn for one subject."""

    usubjid: str
    """The subject."""
    heading: str
    """Arm, sex, age, reference date."""
    reference_t: float | None
    """Axis position of RFSTDTC; ``None`` when the subject has no full RFSTDTC."""
    elements: tuple[EventRow, ...] = ()
    """SE elements (one row of bands)."""
    exposure: tuple[EventRow, ...] = ()
    """EX rows, one per treatment."""
    events: tuple[EventRow, ...] = ()
    """AE rows, highlighted first."""
    treatments: tuple[EventRow, ...] = ()
    """CM rows, one per treatment."""
    panels: tuple[Panel, ...] = ()
    """Numeric panels with data for this subject."""
    marks: tuple[Mark, ...] = ()
    """DS events and death."""
    focus: tuple[float, float] | None = None
    """Axis positions of the focus window."""
    extent: tuple[float, float] | None = None
    """Axis positions of the first and last thing drawn."""
    not_drawn: Mapping[str, int] = field(default_factory=dict)
    """Per domain, records not drawn because their date is partial or missing."""
