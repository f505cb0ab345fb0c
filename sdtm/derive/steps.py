"""Adapters that call one ``derive_*`` / ``build_*`` function with what a run holds.

Each adapter takes the run's frames, its ``DeriveInputs`` and the dataset the plan row is
applied to, and returns the derivation's result; ``applies_*`` predicates say whether a row
has what it needs. The plan table (``sdtm.derive.plan``) pairs them with their metadata, so
the order of the derivations is read there, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from sdtm.derive import trial_design, ts
from sdtm.derive.ae import derive_treatment_emergent_flag, derive_worst_grade
from sdtm.derive.base import DeriveResult
from sdtm.derive.baseline import derive_last_obs_before_exposure_flag
from sdtm.derive.dm import derive_age, derive_arms, derive_death
from sdtm.derive.end_reference import derive_end_reference
from sdtm.derive.epoch import derive_epoch
from sdtm.derive.ex import derive_dose_per_bsa, derive_weight_based_dose
from sdtm.derive.fa import derive_findings_about_object
from sdtm.derive.pp import derive_pk_profile_group, derive_pp
from sdtm.derive.reference_dates import derive_participation_end, derive_reference_dates
from sdtm.derive.relrec import (
    RELREC_COLUMNS,
    build_group_relrec,
    build_relrec,
    derive_relrec_links,
)
from sdtm.derive.seq import derive_seq
from sdtm.derive.standard_results import (
    derive_reference_range_indicator,
    derive_standard_results,
)
from sdtm.derive.study_day import derive_study_day
from sdtm.derive.supp import SuppQualifier, build_supp
from sdtm.derive.timepoints import derive_timepoints
from sdtm.derive.visit import derive_visit
from sdtm.findings import FindingsTable
from sdtm.mapping.algorithms import SRC_FILE, SRC_ID, SRC_ROW
from sdtm.mapping.engine import REC, SUPP_PREFIX, LinkTarget, SuppTarget
from sdtm.mapping.study import StudyConfig
from sdtm.standards import Standards

Frames = Mapping[str, pd.DataFrame]
"""The run's datasets by name, as the plan has derived them so far."""


@dataclass(frozen=True, slots=True)
class DeriveInputs:
    """What the derivations read besides the datasets themselves."""

    config: StudyConfig
    """The study's design, result standards and PP settings."""
    standards: Standards
    """SDTMIG metadata (which variables a dataset has) and CT."""
    links: Mapping[str, tuple[LinkTarget, ...]]
    """RELREC links the mapping collected, per mapped dataset (mapping order)."""
    supp: Mapping[str, tuple[SuppTarget, ...]]
    """SUPP-- qualifiers the mapping collected, per mapped dataset (mapping order)."""


@dataclass(frozen=True, slots=True)
class BuiltDatasets:
    """What a step that builds several datasets at once (SUPP--) returns."""

    frames: Mapping[str, pd.DataFrame]
    """New datasets by name, in the order they are added to the run."""
    findings: FindingsTable
    """Findings of the build."""


CHRONOLOGICAL_CLASSES = ("Events", "Interventions")
"""Observation classes whose --SEQ follows the start date."""

PRIMARY_DATE = MappingProxyType(
    {
        "AE": "AESTDTC",
        "CM": "CMSTDTC",
        "EX": "EXSTDTC",
        "LB": "LBDTC",
        "PC": "PCDTC",
        "FA": "FADTC",
        "DS": "DSSTDTC",
        "MH": "MHSTDTC",
        "VS": "VSDTC",
        "IE": "IEDTC",
        "PR": "PRSTDTC",
        "DD": "DDDTC",
    }
)
"""Date that places a record in time (EPOCH, visit windows, --SEQ order), per dataset."""

CONTACT_DATES = (
    ("DS", "DSSTDTC"),
    ("LB", "LBDTC"),
    ("PC", "PCDTC"),
    ("FA", "FADTC"),
    ("EX", "EXENDTC"),
    ("AE", "AESTDTC"),
    ("AE", "AEENDTC"),
    ("CM", "CMSTDTC"),
    ("CM", "CMENDTC"),
)
"""Dated records that show a subject was in contact (RFPENDTC, SDTMIG 3.4 DM)."""
DM_CONTACT_VARIABLES = ("DTHDTC", "_LSTCON")
"""DM columns that are contact dates too: death, and the mapped last-contact date."""

SUPP_KEEP = (SRC_FILE, SRC_ROW, SRC_ID, REC)
"""Parent columns carried onto SUPP-- rows: provenance, so findings name the raw row."""


def has(frames: Frames, *names: str) -> bool:
    """True when every named dataset is in the run."""
    return all(name in frames for name in names)


def run_dose_per_bsa(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """EXDOSE per m2 from the collected total dose and BSA (``derive_dose_per_bsa``)."""
    return derive_dose_per_bsa(frames["EX"], source_var="_ACTDOSE", bsa_var="_BSA")


def run_weight_based_dose(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """EXDOSE per kg from the collected total dose and weight (``derive_weight_based_dose``)."""
    return derive_weight_based_dose(frames["EX"], source_var="_TOTDOSE", weight_var="_WEIGHT")


def _anchor_treatments(inputs: DeriveInputs) -> tuple[str, ...]:
    rules = inputs.config.design.arm_rules
    return rules.anchor_treatments if rules else ()


def run_reference_dates(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """DM RFSTDTC/RFENDTC/RFXSTDTC/RFXENDTC from EX (``derive_reference_dates``)."""
    return derive_reference_dates(
        frames["DM"], frames["EX"], anchor_treatments=_anchor_treatments(inputs)
    )


def run_death(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """DM DTHFL/DTHDTC from the collected death date and fatal AEs (``derive_death``)."""
    dm = frames["DM"]
    return derive_death(
        dm, deaths=dm[["USUBJID", "DTHDTC"]] if "DTHDTC" in dm else None, ae=frames.get("AE")
    )


def run_arms(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """DM ARM/ACTARM and their null reasons (``derive_arms``)."""
    return derive_arms(frames["DM"], frames["EX"], inputs.config.design)


def run_age(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """DM AGE/AGEU from BRTHDTC and RFICDTC (``derive_age``)."""
    return derive_age(frames["DM"])


def run_participation_end(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """DM RFPENDTC, the last known contact (``derive_participation_end``)."""
    dm = frames["DM"]
    ends = [
        (frames[name], var) for name, var in CONTACT_DATES if name in frames and var in frames[name]
    ]
    ends += [(dm, var) for var in DM_CONTACT_VARIABLES if var in dm]
    return derive_participation_end(dm, ends)


def run_build_te(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """TE from the design's elements (``build_te``)."""
    return trial_design.build_te(inputs.config.design)


def run_build_ta(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """TA from the design's arms (``build_ta``)."""
    return trial_design.build_ta(inputs.config.design)


def run_build_tv(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """TV from the visit schedule (``build_tv``)."""
    return trial_design.build_tv(inputs.config.design)


def run_build_ts(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """TS from the design's trial summary parameters (``build_ts``)."""
    return ts.build_ts(inputs.config.design)


def run_ts_actual_subjects(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """TS ACTSUB counted from DM (``derive_ts_actual_subjects``)."""
    return ts.derive_ts_actual_subjects(frames["TS"], frames["DM"])


def run_build_se(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """SE from each subject's element anchor dates (``build_se``)."""
    design = inputs.config.design
    anchors = trial_design.compute_element_anchors(frames["DM"], frames, design)
    return trial_design.build_se(anchors, frames["DM"], design)


def compute_grade_log(fa: pd.DataFrame, links: tuple[LinkTarget, ...]) -> pd.DataFrame | None:
    """FA TOXGR records as the daily grade log of their AE (keyed by the AE link to AESPID).

    ``None`` when FA holds no grades linked to AESPID (then AETOXGR stays as collected).
    """
    column = next((t.column for t in links if t.rdomain == "AE" and t.rvariable == "AESPID"), None)
    if column is None or column not in fa or "FATESTCD" not in fa or "FAORRES" not in fa:
        return None
    grades = fa.loc[fa["FATESTCD"] == "TOXGR"]
    return pd.DataFrame(
        {
            "USUBJID": grades["USUBJID"],
            "AESPID": grades[column],
            "GRADE": grades["FAORRES"],
            SRC_FILE: grades[SRC_FILE],
            SRC_ROW: grades[SRC_ROW],
        }
    )


def _parent_link(inputs: DeriveInputs, dataset: str) -> LinkTarget | None:
    """The first RELREC link the mapping declared from ``dataset`` to another dataset."""
    return next((t for t in inputs.links.get(dataset, ()) if t.rdomain), None)


def applies_findings_about_object(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """FA is linked by its mapping to a parent dataset of the run."""
    link = _parent_link(inputs, "FA")
    return "FA" in frames and link is not None and link.rdomain in frames


def run_findings_about_object(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """FAOBJ from the parent's --DECOD, else --TERM/--TRT (``derive_findings_about_object``)."""
    link = _parent_link(inputs, "FA")
    assert link is not None  # applies_findings_about_object checked it
    prefix = link.rdomain[:2]
    return derive_findings_about_object(
        frames["FA"],
        frames[link.rdomain],
        link_var=link.column,
        parent_key=link.rvariable,
        parent_domain=link.rdomain,
        source_vars=(f"{prefix}DECOD", f"{prefix}TERM", f"{prefix}TRT"),
    )


def applies_worst_grade(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """AE and FA are mapped, AE has AESPID and FA holds grades linked to it."""
    if not has(frames, "AE", "FA") or "AESPID" not in frames["AE"]:
        return False
    return compute_grade_log(frames["FA"], inputs.links.get("FA", ())) is not None


def run_worst_grade(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """AETOXGR: the worst of the collected and the daily FA grades (``derive_worst_grade``)."""
    grade_log = compute_grade_log(frames["FA"], inputs.links.get("FA", ()))
    return derive_worst_grade(frames["AE"], grade_log, by=("USUBJID", "AESPID"))


def is_subject_dataset(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject-level SDTMIG dataset other than DM and SE, with DM in the run."""
    return (
        dataset not in ("DM", "SE")
        and inputs.standards.domain(dataset) is not None
        and "DM" in frames
        and "USUBJID" in frames[dataset]
    )


def _study_day_pairs(frames: Frames, inputs: DeriveInputs, dataset: str) -> list[tuple[str, str]]:
    domain = inputs.standards.domain(dataset)
    pairs = []
    for variable in [c for c in frames[dataset].columns if c.endswith("DTC")]:
        day_var = variable[:-3] + "DY"
        if domain is not None and domain.variable(day_var) is not None and variable != "RFSTDTC":
            pairs.append((variable, day_var))
    return pairs


def applies_study_day(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject dataset, DM or SE, with a --DTC whose --DY the IG defines (DMDY, SESTDY)."""
    subject_level = is_subject_dataset(frames, inputs, dataset) or (
        dataset in ("DM", "SE") and "DM" in frames and "USUBJID" in frames[dataset]
    )
    return subject_level and bool(_study_day_pairs(frames, inputs, dataset))


def run_study_day(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """Every --DY of the dataset from its --DTC and DM.RFSTDTC (``derive_study_day``)."""
    frame = frames[dataset]
    found = []
    for variable, day_var in _study_day_pairs(frames, inputs, dataset):
        result = derive_study_day(
            frame, frames["DM"], source_var=variable, new_var=day_var, dataset=dataset
        )
        frame = result.frame
        found.append(result.findings)
    return DeriveResult(frame, FindingsTable.concat(found))


def applies_visit(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject dataset with VISITNUM and its primary date."""
    return (
        is_subject_dataset(frames, inputs, dataset)
        and "VISITNUM" in frames[dataset]
        and PRIMARY_DATE.get(dataset) in frames[dataset]
    )


def run_visit(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """VISITNUM/VISIT/VISITDY of unplanned visits from the study day (``derive_visit``)."""
    date_var = PRIMARY_DATE[dataset]
    return derive_visit(
        frames[dataset],
        inputs.config.design.visits,
        dy_var=date_var[:-3] + "DY",
        source_var=date_var,
        dataset=dataset,
    )


def applies_timepoints(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject dataset whose mapping collected a nominal time point label (``_TPT``)."""
    return is_subject_dataset(frames, inputs, dataset) and "_TPT" in frames[dataset]


def run_timepoints(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """--TPT/--TPTNUM/--ELTM/--TPTREF/--RFTDTC from the planned time points."""
    return derive_timepoints(
        frames[dataset],
        inputs.config.design.timepoints,
        frames["DM"],
        domain=dataset,
        source_var="_TPT",
    )


def applies_standard_results(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject dataset with --ORRES."""
    return is_subject_dataset(frames, inputs, dataset) and f"{dataset}ORRES" in frames[dataset]


def run_standard_results(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """--STRESC/--STRESN/--STRESU and limits in standard units (``derive_standard_results``)."""
    frame = frames[dataset]
    return derive_standard_results(
        frame,
        inputs.config.result_standards,
        domain=dataset,
        lloq_var="_LLOQ" if "_LLOQ" in frame else None,
    )


def run_reference_range_indicator(
    frames: Frames, inputs: DeriveInputs, dataset: str
) -> DeriveResult:
    """--NRIND from the standard result and range (``derive_reference_range_indicator``)."""
    return derive_reference_range_indicator(frames[dataset], domain=dataset)


def run_last_obs_before_exposure_flag(
    frames: Frames, inputs: DeriveInputs, dataset: str
) -> DeriveResult:
    """--LOBXFL: last non-missing result before RFXSTDTC per test."""
    tpt_var = f"{dataset}TPT" if f"{dataset}TPT" in frames[dataset] else None
    return derive_last_obs_before_exposure_flag(
        frames[dataset], frames["DM"], domain=dataset, tpt_var=tpt_var
    )


def run_treatment_emergent_flag(
    frames: Frames, inputs: DeriveInputs, dataset: str
) -> DeriveResult:
    """AETRTEM (a SUPPAE qualifier): AE start on or after RFXSTDTC."""
    result = derive_treatment_emergent_flag(frames["AE"], frames["DM"])
    return DeriveResult(
        result.frame.rename(columns={"AETRTEM": f"{SUPP_PREFIX}AETRTEM"}), result.findings
    )


def applies_end_reference(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A subject dataset with --ENRTPT, and RFPENDTC in DM."""
    return (
        is_subject_dataset(frames, inputs, dataset)
        and f"{dataset}ENRTPT" in frames[dataset]
        and "RFPENDTC" in frames["DM"]
    )


def run_end_reference(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """--ENTPT: the subject's death date, else RFPENDTC (``derive_end_reference``)."""
    return derive_end_reference(frames[dataset], frames["DM"], domain=dataset)


def applies_epoch(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """SE is in the run and the dataset has EPOCH in the IG and its primary date."""
    domain = inputs.standards.domain(dataset)
    return (
        "SE" in frames
        and dataset != "SE"
        and domain is not None
        and domain.variable("EPOCH") is not None
        and PRIMARY_DATE.get(dataset) in frames[dataset]
    )


def run_epoch(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """EPOCH from the subject's elements in SE at the primary date (``derive_epoch``)."""
    return derive_epoch(
        frames[dataset],
        frames["SE"],
        source_var=PRIMARY_DATE[dataset],
        dataset=dataset,
        tpt_var=f"{dataset}TPT",
    )


def run_pk_profile_group(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """PCGRPID of the PC records each PP profile uses (``derive_pk_profile_group``)."""
    return derive_pk_profile_group(frames["PC"], settings=inputs.config.pp)


PK_GROUPS = (("PC", "PCGRPID"), ("PP", "PPGRPID"))
"""Group variables relating each PP profile to its PC records (SDTMIG 3.4 section 6.3.5.9)."""
PK_RELID_PREFIX = "PP-PC-"


def run_pp(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """PP parameters of every PC profile (``derive_pp``)."""
    return derive_pp(frames["PC"], settings=inputs.config.pp)


def run_pp_epoch(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """PP EPOCH: the epoch of the profile's reference time point (PPRFTDTC)."""
    return derive_epoch(frames["PP"], frames["SE"], source_var="PPRFTDTC", dataset="PP")


def applies_seq(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """A non-empty subject dataset whose --SEQ the IG defines and the run has not set."""
    domain = inputs.standards.domain(dataset)
    frame = frames[dataset]
    seq_var = f"{dataset}SEQ"
    return (
        dataset != "DM"
        and domain is not None
        and not frame.empty
        and seq_var in domain.variable_names
        and seq_var not in frame.columns
        and "USUBJID" in frame.columns
    )


def run_seq(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """--SEQ per subject, in time order for events and interventions, then by natural key."""
    domain = inputs.standards.domain(dataset)
    frame = frames[dataset]
    assert domain is not None  # applies_seq checked it
    order = [
        k
        for k in domain.keys
        if k in frame.columns and k not in ("STUDYID", "USUBJID", f"{dataset}SEQ")
    ]
    date_var = PRIMARY_DATE.get(dataset)
    if domain.observation_class in CHRONOLOGICAL_CLASSES and date_var in frame.columns:
        order = [date_var, *(k for k in order if k != date_var)]
    return derive_seq(frame, by=("USUBJID",), order=tuple(order), new_var=f"{dataset}SEQ")


def applies_relrec(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
    """The mapping declared at least one RELREC link, or PP was derived from PC."""
    return any(inputs.links.values()) or has(frames, "PC", "PP")


def run_relrec(frames: Frames, inputs: DeriveInputs, dataset: str) -> DeriveResult:
    """RELREC from the mapping's ``relrec`` links, each record identified by its --SEQ."""
    parts = []
    found = []
    for name, targets in inputs.links.items():
        for target in targets:
            if name not in frames or target.column not in frames[name].columns:
                continue
            links = derive_relrec_links(
                frames[name],
                domain=name,
                keyvar=f"{name}SEQ",
                source_var=target.column,
                target_domain=target.rdomain,
                target_keyvar=target.rvariable,
                relid_prefix=target.relid_prefix,
                source_name=target.source,
            )
            parts.append(links.frame)
            found.append(links.findings)
    groups = build_group_relrec(frames, groups=PK_GROUPS, relid_prefix=PK_RELID_PREFIX)
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in RELREC_COLUMNS})
        return DeriveResult(
            pd.concat([empty, groups.frame], ignore_index=True), FindingsTable.concat(found)
        )
    built = build_relrec(pd.concat(parts, ignore_index=True), frames)
    frame = pd.concat([built.frame, groups.frame], ignore_index=True)
    # One order for both kinds of rows, so reruns are identical: subject, RELID, dataset,
    # then --SEQ as a number (group ids, which are not numbers, by their text).
    frame = (
        frame.assign(_n=pd.to_numeric(frame["IDVARVAL"], errors="coerce"))
        .sort_values(["USUBJID", "RELID", "RDOMAIN", "_n", "IDVARVAL"], kind="mergesort")
        .drop(columns="_n")
        .reset_index(drop=True)
    )
    return DeriveResult(frame, FindingsTable.concat([*found, built.findings]))


def run_supp(frames: Frames, inputs: DeriveInputs, dataset: str) -> BuiltDatasets:
    """SUPP-- of every mapped dataset: its ``split_to_supp`` targets plus AETRTEM.

    Rows are ordered by subject, parent ``--SEQ`` and QNAM.
    """
    out: dict[str, pd.DataFrame] = {}
    found = []
    for name, collected in inputs.supp.items():
        if name not in frames:
            continue
        targets = collected
        if name == "AE" and f"{SUPP_PREFIX}AETRTEM" in frames[name]:
            targets += (SuppTarget("AETRTEM", "Treatment Emergent Flag", "Derived", None),)
        qualifiers = tuple(
            SuppQualifier(t.qnam, t.qlabel, t.column, t.qorig, t.qeval)
            for t in targets
            if t.column in frames[name].columns
        )
        if not qualifiers:
            continue
        built = build_supp(frames[name], qualifiers, domain=name, keep_columns=SUPP_KEEP)
        found.append(built.findings)
        frame = built.frame
        order = frame.assign(_n=pd.to_numeric(frame["IDVARVAL"], errors="coerce"))
        out[f"SUPP{name}"] = (
            order.sort_values(["USUBJID", "_n", "QNAM"], kind="mergesort")
            .drop(columns="_n")
            .reset_index(drop=True)
        )
    return BuiltDatasets(frames=out, findings=FindingsTable.concat(found))
