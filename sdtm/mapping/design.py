"""Typed study settings the derivations read: design, standard units, kinetic-parameter choices.

The mapping stage fills these frozen dataclasses from the study YAML
(``mappings/<study>/study.yaml``); derivations and trial-design builders only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from sdtm.errors import SpecError
from sdtm.mapping.dates import compute_duration_hours


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
    """Name of the ``ElementAnchor`` whose date starts the element in SE."""
    start_offset_days: int = 0
    """Days added to the anchor date (date precision) to get the element start in SE; an
    element so placed is reached only when that day is on or before the subject's RFPENDTC."""


@dataclass(frozen=True, slots=True)
class ElementAnchor:
    """One per-subject date an element can start on (``anchors`` table of ``design.yaml``).

    Either a DM variable (``dataset: DM``), or the first (or last) date of a variable of a
    subject's records in another dataset, optionally only those of the study's anchor
    treatments (``ArmRules.anchor_treatments``) or only the others.
    """

    name: str
    """Name elements refer to in ``start_anchor`` (e.g. ``CONSENT``, ``FIRST_PRODUCT_DOSE``)."""
    dataset: str
    """Dataset holding the date, e.g. ``DM`` or ``EX``."""
    variable: str
    """Date variable, e.g. ``RFICDTC`` or ``EXSTDTC``."""
    pick: str = "first"
    """``first`` or ``last`` record in time per subject (ignored for DM)."""
    treatments: str = "any"
    """``anchor`` (only the anchor treatments), ``other`` (all but them) or ``any``; the
    treatment is read from ``<dataset>TRT`` (e.g. EXTRT)."""


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
    unplanned_description: str = "EXPOSED ONLY TO TREATMENTS OTHER THAN THE STUDY PRODUCT"
    """ACTARMUD for those subjects (the study states its own wording in ``design.yaml``)."""


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
    anchors: tuple[ElementAnchor, ...] = ()
    """Per-subject dates the elements start on."""
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


# Mass concentration units in g/L and molar units in mol/L multipliers, for conversions through
# a molecular weight: value[mol unit] = value[mass unit] * g_per_l / mw * per_mol.
MASS_UNITS_G_PER_L = MappingProxyType(
    {
        "g/L": 1.0,
        "g/dL": 10.0,
        "mg/mL": 1.0,
        "mg/dL": 1e-2,
        "mg/L": 1e-3,
        "ug/mL": 1e-3,
        "ug/dL": 1e-5,
        "ug/L": 1e-6,
        "ng/mL": 1e-6,
        "ng/L": 1e-9,
        "pg/mL": 1e-9,
    }
)
MOLAR_UNITS_PER_MOL_PER_L = MappingProxyType(
    {"mol/L": 1.0, "mmol/L": 1e3, "umol/L": 1e6, "nmol/L": 1e9, "pmol/L": 1e12}
)


@dataclass(frozen=True, slots=True)
class StandardUnit:
    """The standard unit and reporting precision of one test (one ``--STRESU`` per test)."""

    testcd: str
    """``--TESTCD`` the unit applies to."""
    unit: str | None
    """Standard unit (CT submission value); ``None`` for a unitless test."""
    decimals: int
    """Decimals to round standardized values to; trailing zeros are dropped."""


@dataclass(frozen=True, slots=True)
class UnitConversion:
    """One declared conversion ``value[to_unit] = value[from_unit] * factor``."""

    from_unit: str
    """Unit as in ``--ORRESU`` (CT submission value)."""
    to_unit: str
    """Standard unit."""
    factor: float
    """Multiplier."""
    testcd: str | None = None
    """Test the conversion is restricted to; ``None`` for any test (pure unit scaling)."""

    @classmethod
    def via_molecular_weight(
        cls, testcd: str, from_unit: str, to_unit: str, molecular_weight: float
    ) -> UnitConversion:
        """Build a mass-to-molar conversion of one analyte from its molecular weight (g/mol).

        Example: triglycerides mg/dL -> mmol/L with MW 885.7 gives factor 0.01129.

        Raises:
            ValueError: If a unit is not a known mass or molar concentration unit.
        """
        if from_unit not in MASS_UNITS_G_PER_L or to_unit not in MOLAR_UNITS_PER_MOL_PER_L:
            raise ValueError(
                f"cannot convert {from_unit!r} to {to_unit!r} through a molecular weight; "
                f"mass units: {sorted(MASS_UNITS_G_PER_L)}, "
                f"molar units: {sorted(MOLAR_UNITS_PER_MOL_PER_L)}"
            )
        factor = (
            MASS_UNITS_G_PER_L[from_unit] / molecular_weight * MOLAR_UNITS_PER_MOL_PER_L[to_unit]
        )
        return cls(from_unit=from_unit, to_unit=to_unit, factor=factor, testcd=testcd)


@dataclass(frozen=True, slots=True)
class ResultStandards:
    """The study's declared standard units and unit conversions (from the study YAML)."""

    standard_units: tuple[StandardUnit, ...]
    """One entry per test code."""
    conversions: tuple[UnitConversion, ...] = ()
    """Declared conversions; same unit to same unit needs no entry (factor 1)."""
    blq_values: tuple[str, ...] = ("BLQ", "BQL", "<LLOQ")
    """Result texts meaning "below the limit of quantitation" (upper-case)."""
    _by_test: pd.DataFrame = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        units = pd.DataFrame(
            [(u.testcd, u.unit, u.decimals) for u in self.standard_units],
            columns=["testcd", "std_unit", "decimals"],
        )
        object.__setattr__(self, "_by_test", units.drop_duplicates("testcd"))

    def factors(self, testcd: pd.Series, from_unit: pd.Series) -> pd.DataFrame:
        """Return standard unit, decimals and conversion factor per row (vectorized lookup).

        Columns: ``std_unit``, ``decimals``, ``declared`` (a standard unit exists for the test)
        and ``factor`` (NaN when no declared conversion reaches the standard unit).
        """
        rows = pd.DataFrame(
            {
                "testcd": testcd.astype("object").where(testcd.notna(), None).to_numpy(),
                "from_unit": from_unit.astype("object").where(from_unit.notna(), None).to_numpy(),
            }
        )
        rows = rows.merge(self._by_test, on="testcd", how="left", indicator=True)
        rows["declared"] = rows.pop("_merge") == "both"
        conv = pd.DataFrame(
            [(c.testcd, c.from_unit, c.to_unit, c.factor) for c in self.conversions],
            columns=["testcd", "from_unit", "std_unit", "factor"],
        ).astype({"testcd": "object", "from_unit": "object", "std_unit": "object"})
        specific = conv[conv["testcd"].notna()]
        generic = conv[conv["testcd"].isna()].drop(columns="testcd")
        rows = rows.merge(
            specific.rename(columns={"factor": "f_test"}),
            on=["testcd", "from_unit", "std_unit"],
            how="left",
        )
        rows = rows.merge(
            generic.rename(columns={"factor": "f_any"}), on=["from_unit", "std_unit"], how="left"
        )
        source, target = rows["from_unit"].astype("string"), rows["std_unit"].astype("string")
        same = (source == target).fillna(False) | (source.isna() & target.isna() & rows["declared"])
        factor = rows["f_test"].astype("float64").fillna(rows["f_any"].astype("float64"))
        rows["factor"] = factor.mask(same.astype(bool), 1.0)
        rows.index = testcd.index
        return rows[["std_unit", "decimals", "declared", "factor"]]


PP_PARAMETERS = MappingProxyType(
    {
        "CMAX": "Max Conc",
        "TMAX": "Time of CMAX Observation",
        "AUCINT": "AUC from T1 to T2",
        "CLST": "Last Nonzero Conc",
        "TLST": "Time of Last Nonzero Conc",
        "AUCLST": "AUC to Last Nonzero Conc",
    }
)
"""PPTESTCD -> PPTEST: CDISC CT 2025-03-28 PKPARMCD (C85839) / PKPARM (C85493) submission values
(C70918, C70919, C85566, C85655, C85822, C85565)."""

PP_TIME_UNIT_HOURS = MappingProxyType({"h": 1.0, "day": 24.0})
"""PKUNIT time units a parameter time can be reported in, with their length in hours."""


@dataclass(frozen=True, slots=True)
class PpSettings:
    """Study choices for the kinetic parameters (brief §2.10 and decision 6)."""

    time_unit: str = "h"
    """Unit of TMAX/TLST and the time factor of AUC units: ``h`` (AUC ``h*DNA copies/ug`` is
    in PKUNIT) or ``day`` (the copies x days convention of CAR-T papers; ``day*...`` AUC
    units are not in PKUNIT and need a documented extension)."""
    parameters: tuple[str, ...] = ("CMAX", "TMAX", "AUCINT", "CLST", "TLST", "AUCLST")
    """PPTESTCDs to produce, in this order within each profile (keys of ``PP_PARAMETERS``)."""
    auc_interval_start: str = "PT0H"
    """PPSTINT of AUCINT: interval start after the reference time (ISO 8601 duration)."""
    auc_interval_end: str = "P28D"
    """PPENINT of AUCINT: interval end after the reference time (ISO 8601 duration)."""
    interval_end_tolerance_hours: float = 24.0
    """AUCINT is calculated when the last post-reference sample is at most this many hours
    before the interval end (a Day 28 sample drawn a little early still closes the interval)."""
    value_decimals: int = 2
    """Decimals of concentrations and areas in PPSTRESC (trailing zeros dropped)."""
    time_decimals: int = 2
    """Decimals of TMAX/TLST in PPSTRESC (trailing zeros dropped)."""
    blq_values: tuple[str, ...] = ("BLQ", "BQL", "<LLOQ")
    """PCSTRESC texts meaning below the limit of quantitation, besides any ``<number``."""

    def __post_init__(self) -> None:
        """Reject settings no profile could be computed with (a study configuration defect)."""
        if self.time_unit not in PP_TIME_UNIT_HOURS:
            raise SpecError(
                f"PP time_unit {self.time_unit!r} is not one of {', '.join(PP_TIME_UNIT_HOURS)}"
            )
        unknown = [code for code in self.parameters if code not in PP_PARAMETERS]
        if unknown:
            raise SpecError(
                f"PP parameter(s) {', '.join(unknown)} not supported; choose from "
                f"{', '.join(PP_PARAMETERS)}"
            )
        bounds = compute_duration_hours(
            pd.Series([self.auc_interval_start, self.auc_interval_end], dtype="string")
        )
        if bounds.isna().any() or not bounds.iloc[0] < bounds.iloc[1]:
            raise SpecError(
                f"PP AUC interval {self.auc_interval_start}/{self.auc_interval_end} is not two "
                "increasing ISO 8601 durations in days/hours/minutes (e.g. PT0H/P28D)"
            )

    @property
    def interval_hours(self) -> tuple[float, float]:
        """AUCINT interval start and end in hours after the reference time."""
        bounds = compute_duration_hours(
            pd.Series([self.auc_interval_start, self.auc_interval_end], dtype="string")
        )
        return float(bounds.iloc[0]), float(bounds.iloc[1])
