"""The study's configuration, parsed once from its mapping spec into typed, frozen objects.

``design.yaml`` (elements, anchors, arms, time points, standard units, TS), ``units.yaml``
(conversions), ``visits.yaml`` and the ``settings`` of ``study.yaml`` are read by the spec
loader as plain tables; this module turns them into the objects the derivations read
(``sdtm.mapping.design``) and reports a bad row as a ``SpecError`` naming the file, table and
value, before any raw file is mapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sdtm.errors import SpecError
from sdtm.mapping.design import (
    Arm,
    ArmElement,
    ArmRules,
    Element,
    ElementAnchor,
    PpSettings,
    ResultStandards,
    StandardUnit,
    StudyDesign,
    TimePoint,
    TsParameter,
    UnitConversion,
    Visit,
)
from sdtm.mapping.spec import MappingSpec

DESIGN_TABLES = (
    "elements",
    "anchors",
    "arms",
    "arm_elements",
    "arm_rules",
    "timepoints",
    "standard_units",
    "ts",
)
"""Tables ``design.yaml`` may hold."""

ANCHOR_PICKS = ("first", "last")
"""Values of ``pick`` in the ``anchors`` table."""
ANCHOR_TREATMENTS = ("any", "anchor", "other")
"""Values of ``treatments`` in the ``anchors`` table."""

STUDY_TIMESTAMP_SETTINGS = ("creation_datetime", "data_cutoff")
"""``study.yaml`` settings that fix the time stamped into the outputs, first match wins."""


@dataclass(frozen=True, slots=True)
class StudyConfig:
    """Everything a run needs to know about the study besides the mapping steps."""

    design: StudyDesign
    """Arms, elements and their anchors, visits, time points, TS parameters, arm rules."""
    result_standards: ResultStandards
    """Standard unit and decimals per test, and the declared unit conversions."""
    pp: PpSettings
    """Choices for the kinetic parameters derived from PC."""
    fixed_timestamp: tuple[datetime, str] | None
    """Output time stamp the study fixes, and the setting it came from (``None``: none)."""


def load_study_config(spec: MappingSpec) -> StudyConfig:
    """Parse the study configuration of a loaded mapping spec.

    Args:
        spec: The checked mapping spec.

    Returns:
        The typed configuration.

    Raises:
        SpecError: naming the table, field and value of the first unusable entry.
    """
    return StudyConfig(
        design=study_design(spec),
        result_standards=result_standards(spec),
        pp=pp_settings(spec),
        fixed_timestamp=study_creation_datetime(spec),
    )


def _rows(spec: MappingSpec, table: str) -> tuple[Mapping[str, str], ...]:
    return tuple(spec.design.get(table, ()))


def _number(row: Mapping[str, str], key: str, table: str) -> float | None:
    text = row.get(key)
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError as error:
        raise SpecError(f"design.yaml {table}: {key} {text!r} is not a number") from error


def _required(row: Mapping[str, str], key: str, table: str) -> str:
    value = row.get(key)
    if not value:
        raise SpecError(f"design.yaml {table}: a row has no {key!r}: {dict(row)}")
    return value


def _choice(row: Mapping[str, str], key: str, table: str, allowed: tuple[str, ...]) -> str:
    value = row.get(key) or allowed[0]
    if value not in allowed:
        raise SpecError(
            f"design.yaml {table}: {key} {value!r} is not one of {', '.join(allowed)}"
        )
    return value


def _anchors(spec: MappingSpec, elements: tuple[Element, ...]) -> tuple[ElementAnchor, ...]:
    anchors = tuple(
        ElementAnchor(
            name=_required(row, "name", "anchors"),
            dataset=_required(row, "dataset", "anchors"),
            variable=_required(row, "variable", "anchors"),
            pick=_choice(row, "pick", "anchors", ANCHOR_PICKS),
            treatments=_choice(row, "treatments", "anchors", ANCHOR_TREATMENTS),
        )
        for row in _rows(spec, "anchors")
    )
    names = [a.name for a in anchors]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SpecError(f"design.yaml anchors: name(s) {', '.join(duplicated)} declared twice")
    unknown = sorted(
        {e.start_anchor for e in elements if e.start_anchor and e.start_anchor not in names}
    )
    if unknown:
        raise SpecError(
            f"design.yaml elements: start_anchor {', '.join(unknown)} is not declared in the "
            "anchors table (name, dataset, variable[, pick, treatments])"
        )
    return anchors


def study_design(spec: MappingSpec) -> StudyDesign:
    """Build the ``StudyDesign`` the trial-design builders and DM derivations read.

    Every arm follows the ``arm_elements`` sequence (the design of a dose-escalation study:
    the arms differ by dose, not by element order).

    Raises:
        SpecError: when a design row misses a required field or holds a bad value.
    """
    unknown = sorted(set(spec.design) - set(DESIGN_TABLES))
    if unknown:
        raise SpecError(
            f"design.yaml: unknown table(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(DESIGN_TABLES)})"
        )
    elements = tuple(
        Element(
            etcd=_required(row, "etcd", "elements"),
            element=_required(row, "element", "elements"),
            testrl=row.get("testrl", ""),
            teenrl=row.get("teenrl", ""),
            tedur=row.get("tedur"),
            start_anchor=row.get("start_anchor"),
            start_offset_days=int(_number(row, "start_offset_days", "elements") or 0),
        )
        for row in _rows(spec, "elements")
    )
    sequence = tuple(
        ArmElement(
            etcd=_required(row, "etcd", "arm_elements"),
            epoch=_required(row, "epoch", "arm_elements"),
            tabranch=row.get("tabranch"),
            tatrans=row.get("tatrans"),
        )
        for row in _rows(spec, "arm_elements")
    )
    arms = tuple(
        Arm(_required(row, "armcd", "arms"), _required(row, "arm", "arms"), sequence)
        for row in _rows(spec, "arms")
    )
    visits = tuple(
        Visit(
            v.visitnum,
            v.visit,
            v.visitdy,
            tvstrl=v.tvstrl
            or (
                f"Planned on study day {v.visitdy}"
                if v.visitdy is not None
                else f"{v.visit.capitalize()} visit"
            ),
        )
        for v in spec.visits
    )
    timepoints = tuple(
        TimePoint(
            label=_required(row, "label", "timepoints"),
            tpt=_required(row, "tpt", "timepoints"),
            tptnum=_number(row, "tptnum", "timepoints") or 0.0,
            tptref=_required(row, "tptref", "timepoints"),
            eltm_hours=_number(row, "eltm_hours", "timepoints"),
        )
        for row in _rows(spec, "timepoints")
    )
    ts = tuple(
        TsParameter(
            tsparmcd=_required(row, "tsparmcd", "ts"),
            tsparm=_required(row, "tsparm", "ts"),
            tsval=row.get("tsval"),
            tsvalnf=row.get("tsvalnf"),
            tsvalcd=row.get("tsvalcd"),
            tsvcdref=row.get("tsvcdref"),
            tsvcdver=row.get("tsvcdver"),
        )
        for row in _rows(spec, "ts")
    )
    return StudyDesign(
        studyid=spec.studyid,
        arms=arms,
        elements=elements,
        visits=visits,
        timepoints=timepoints,
        ts_parameters=ts,
        arm_rules=_arm_rules(spec),
        anchors=_anchors(spec, elements),
    )


def _arm_rules(spec: MappingSpec) -> ArmRules | None:
    rules = _rows(spec, "arm_rules")
    if not rules:
        return None
    row = rules[0]
    anchors = tuple(t.strip() for t in _required(row, "anchor_treatments", "arm_rules").split("|"))
    texts = {
        key: row[key]
        for key in ("screen_failure", "not_treated", "unplanned_treatment", "unplanned_description")
        if row.get(key)
    }
    return ArmRules(anchor_treatments=anchors, **texts)


def result_standards(spec: MappingSpec) -> ResultStandards:
    """Build the standard units and unit conversions ``derive_standard_results`` reads.

    Raises:
        SpecError: when a standard-unit row misses a field or holds a bad number.
    """
    units = tuple(
        StandardUnit(
            testcd=_required(row, "testcd", "standard_units"),
            unit=row.get("unit"),
            decimals=int(_number(row, "decimals", "standard_units") or 0),
        )
        for row in _rows(spec, "standard_units")
    )
    conversions = tuple(
        UnitConversion(
            from_unit=c.from_unit,
            to_unit=c.to_unit,
            factor=c.factor,
            testcd=None if c.testcd == "*" else c.testcd,
        )
        for c in spec.unit_conversions
    )
    return ResultStandards(standard_units=units, conversions=conversions)


def pp_settings(spec: MappingSpec) -> PpSettings:
    """Build the ``PpSettings`` of ``derive_pp`` from ``study.yaml`` settings.

    Keys (all optional): ``pp_time_unit`` (``h`` or ``day``), ``pp_parameters`` (PPTESTCDs
    separated by commas or spaces), ``pp_auc_interval`` (``PT0H/P28D``).

    Raises:
        SpecError: when a setting is not usable (unknown unit or parameter, bad interval).
    """
    settings = spec.settings
    options: dict[str, Any] = {}
    if settings.get("pp_time_unit"):
        options["time_unit"] = settings["pp_time_unit"].strip()
    if settings.get("pp_parameters"):
        options["parameters"] = tuple(settings["pp_parameters"].replace(",", " ").split())
    if settings.get("pp_auc_interval"):
        start, _, end = settings["pp_auc_interval"].partition("/")
        options["auc_interval_start"] = start.strip()
        options["auc_interval_end"] = end.strip()
    return PpSettings(**options)


def study_creation_datetime(spec: MappingSpec) -> tuple[datetime, str] | None:
    """The output time stamp a study fixes in ``study.yaml``, and the setting it came from.

    ``creation_datetime`` (ISO 8601 datetime) wins over ``data_cutoff`` (ISO date or
    datetime; a date means midnight): a data cut-off fixes what the package holds, so it is
    a stable stamp for every rerun of the same cut.

    Raises:
        SpecError: when the setting is not an ISO 8601 date or datetime.
    """
    for key in STUDY_TIMESTAMP_SETTINGS:
        text = str(spec.settings.get(key) or "").strip()
        if not text:
            continue
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise SpecError(
                f"study.yaml settings: {key} {text!r} is not an ISO 8601 date or datetime"
            ) from error
        return moment.replace(tzinfo=None), f"study.yaml {key}"
    return None


def resolve_creation_datetime(
    given: datetime | None, config: StudyConfig
) -> tuple[datetime, str]:
    """The time stamped into the outputs: given, else the study setting, else the clock.

    Returns:
        The time and where it came from: ``given``, ``study.yaml <setting>`` or ``clock``.
    """
    if given is not None:
        return given, "given"
    if config.fixed_timestamp is not None:
        return config.fixed_timestamp
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0), "clock"
