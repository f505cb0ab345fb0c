"""Typed study settings the derivations read: arms, elements, visits, time points, TS.

The mapping stage fills these frozen dataclasses from the study YAML
(``mappings/<study>/study.yaml``); derivations and trial-design builders only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Element:
    """One trial element (a TE row) and how each subject's start of it is found."""

    etcd: str
    """Element code, e.g. ``SCRN``, ``LD``, ``CART``, ``FU`` (<= 8 characters)."""
    element: str
    """Element name, e.g. ``Lymphodepletion``."""
    testrl: str
    """Rule for the start of the element (TE.TESTRL), as text."""
    teenrl: str = ""
    """Rule for the end of the element (TE.TEENRL), as text."""
    tedur: str | None = None
    """Planned duration as an ISO 8601 duration (TE.TEDUR), if fixed."""
    start_anchor: str | None = None
    """Column of the per-subject anchor frame whose date starts the element in SE."""
    start_offset_days: int = 0
    """Days added to the anchor date (date precision) to get the element start in SE."""


@dataclass(frozen=True, slots=True)
class ArmElement:
    """One position of an arm's element sequence (a TA row)."""

    etcd: str
    """Element code (must be one of ``StudyDesign.elements``)."""
    epoch: str
    """EPOCH of the position (CT C99079), e.g. ``TREATMENT``."""
    tabranch: str | None = None
    """Branch condition leaving this element (TA.TABRANCH)."""
    tatrans: str | None = None
    """Transition rule (TA.TATRANS)."""


@dataclass(frozen=True, slots=True)
class Arm:
    """A planned arm: code, description, and its ordered elements."""

    armcd: str
    """ARMCD (<= 20 characters), e.g. ``DL3``."""
    arm: str
    """ARM description."""
    elements: tuple[ArmElement, ...]
    """Element sequence in TAETORD order."""


@dataclass(frozen=True, slots=True)
class Visit:
    """A planned visit of the visit map (a TV row)."""

    visitnum: float
    """VISITNUM (integers for planned visits)."""
    visit: str
    """VISIT label, e.g. ``DAY 7``."""
    visitdy: int | None
    """Planned SDTM study day (protocol Day 7 is VISITDY 8: there is no day 0)."""
    tvstrl: str = ""
    """Start rule (TV.TVSTRL)."""
    tvenrl: str = ""
    """End rule (TV.TVENRL)."""


@dataclass(frozen=True, slots=True)
class TimePoint:
    """A planned sampling time point relative to a reference event."""

    label: str
    """Nominal time label as collected (``D7``, ``D0 PRE``) that identifies the time point."""
    tpt: str
    """--TPT text, e.g. ``DAY 7``."""
    tptnum: float
    """--TPTNUM: nominal hours from the reference (``168`` for Day 7; ``-1`` pre-infusion)."""
    tptref: str
    """--TPTREF, e.g. ``CAR-T INFUSION``."""
    eltm_hours: float | None = None
    """Nominal elapsed hours for --ELTM; defaults to ``tptnum``."""


@dataclass(frozen=True, slots=True)
class TsParameter:
    """One Trial Summary parameter value (a TS row before TSSEQ is assigned)."""

    tsparmcd: str
    """Parameter code (CT C66738), e.g. ``SSTDTC``."""
    tsparm: str
    """Parameter name (CT C67152), e.g. ``Study Start Date``."""
    tsval: str | None = None
    """Value; ``None`` requires ``tsvalnf``."""
    tsvalnf: str | None = None
    """Null flavor when the value is null, e.g. ``PINF``, ``NA``."""
    tsvalcd: str | None = None
    """Code of the value in its dictionary (C-code, NCT id ...)."""
    tsvcdref: str | None = None
    """Dictionary of ``tsvalcd``, e.g. ``CDISC CT``, ``ISO 8601``."""
    tsvcdver: str | None = None
    """Dictionary version."""


@dataclass(frozen=True, slots=True)
class ArmRules:
    """Study-specific texts of the DM arm rules (SDTMIG 3.4 §5.2, ARMNRS codelist C142179)."""

    anchor_treatments: tuple[str, ...]
    """EXTRT values of the study product that defines "treated" (e.g. ``("PSCA CAR-T",)``)."""
    screen_failure: str = "SCREEN FAILURE"
    """ARMNRS for subjects never assigned to an arm."""
    not_treated: str = "ASSIGNED, NOT TREATED"
    """ARMNRS for assigned subjects without any EX record."""
    unplanned_treatment: str = "UNPLANNED TREATMENT"
    """ARMNRS for assigned subjects exposed only to non-anchor treatments."""
    unplanned_description: str = "LYMPHODEPLETION ONLY; CAR-T NOT INFUSED"
    """ACTARMUD for those subjects."""


@dataclass(frozen=True, slots=True)
class StudyDesign:
    """Everything the trial-design builders and design-driven derivations need."""

    studyid: str
    """STUDYID."""
    arms: tuple[Arm, ...]
    """Planned arms."""
    elements: tuple[Element, ...]
    """Trial elements."""
    visits: tuple[Visit, ...] = ()
    """Planned visits (VISITNUM integers)."""
    timepoints: tuple[TimePoint, ...] = ()
    """Planned sampling time points."""
    ts_parameters: tuple[TsParameter, ...] = ()
    """Trial Summary values."""
    arm_rules: ArmRules | None = None
    """DM arm rules; ``None`` when no derivation of ACTARM is needed."""
    _element_codes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_element_codes", frozenset(e.etcd for e in self.elements))

    def element(self, etcd: str) -> Element | None:
        """Return the element with this code, or ``None``."""
        for candidate in self.elements:
            if candidate.etcd == etcd:
                return candidate
        return None

    def arm(self, armcd: str) -> Arm | None:
        """Return the arm with this code, or ``None``."""
        for candidate in self.arms:
            if candidate.armcd == armcd:
                return candidate
        return None

    def problems(self) -> tuple[str, ...]:
        """Return inconsistencies of the design itself (unknown element codes, duplicates)."""
        out: list[str] = []
        for arm in self.arms:
            out.extend(
                f"arm {arm.armcd}: element {item.etcd!r} is not a declared element"
                for item in arm.elements
                if item.etcd not in self._element_codes
            )
        visitnums = [v.visitnum for v in self.visits]
        if len(set(visitnums)) != len(visitnums):
            out.append("visits: VISITNUM values are not unique")
        labels = [v.visit for v in self.visits]
        if len(set(labels)) != len(labels):
            out.append("visits: VISIT labels are not unique")
        armcds = [a.armcd for a in self.arms]
        if len(set(armcds)) != len(armcds):
            out.append("arms: ARMCD values are not unique")
        return tuple(out)
