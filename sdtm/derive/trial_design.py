"""Minimal trial design datasets TE, TA, TV and the subject elements SE."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.derive.dates import compute_date, compute_datetime, compute_dtc_compare
from sdtm.derive.seq import derive_seq
from sdtm.findings import Finding, FindingsTable, Severity, Stage
from sdtm.mapping.design import StudyDesign

DESIGN_INCONSISTENT = DeriveRule("MP0630", "study-design-inconsistent", Severity.ERROR)
ELEMENT_OUT_OF_ORDER = DeriveRule("MP0631", "element-start-out-of-order", Severity.WARNING)
SUBJECT_WITHOUT_ELEMENT_DATES = DeriveRule(
    "MP0632", "subject-without-element-dates", Severity.WARNING
)
RULE_IDS: tuple[str, ...] = (
    DESIGN_INCONSISTENT.id,
    ELEMENT_OUT_OF_ORDER.id,
    SUBJECT_WITHOUT_ELEMENT_DATES.id,
)

TE_COLUMNS = ("STUDYID", "DOMAIN", "ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR")
TA_COLUMNS = (
    "STUDYID",
    "DOMAIN",
    "ARMCD",
    "ARM",
    "TAETORD",
    "ETCD",
    "ELEMENT",
    "TABRANCH",
    "TATRANS",
    "EPOCH",
)
TV_COLUMNS = ("STUDYID", "DOMAIN", "VISITNUM", "VISIT", "VISITDY", "TVSTRL", "TVENRL")
SE_COLUMNS = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "SESEQ",
    "ETCD",
    "ELEMENT",
    "TAETORD",
    "EPOCH",
    "SESTDTC",
    "SEENDTC",
)


def _design_findings(design: StudyDesign) -> FindingsTable:
    return FindingsTable.from_findings(
        Finding(
            rule_id=DESIGN_INCONSISTENT.id,
            rule_name=DESIGN_INCONSISTENT.name,
            severity=DESIGN_INCONSISTENT.severity.value,
            stage=Stage.DERIVE.value,
            dataset="TA",
            message=(
                f"study design: {problem} [{DESIGN_INCONSISTENT.id} {DESIGN_INCONSISTENT.name}]"
            ),
        )
        for problem in design.problems()
    )


def build_te(design: StudyDesign) -> DeriveResult:
    """Build TE (trial elements), SDTMIG 3.4 §7.2.2: one row per element.

    Args:
        design: The study design.

    Returns:
        ``DeriveResult``: TE with ``TE_COLUMNS``; MP0630 for design inconsistencies.
    """
    rows = [
        (design.studyid, "TE", e.etcd, e.element, e.testrl, e.teenrl or None, e.tedur)
        for e in design.elements
    ]
    frame = pd.DataFrame(rows, columns=list(TE_COLUMNS)).astype(dict.fromkeys(TE_COLUMNS, "string"))
    return DeriveResult(frame, _design_findings(design))


def build_ta(design: StudyDesign) -> DeriveResult:
    """Build TA (trial arms), SDTMIG 3.4 §7.2.1: one row per arm and element position.

    TAETORD numbers the positions 1, 2, ... within the arm; EPOCH per position is the value
    the EPOCH of every subject-level record must come from (CORE-000271 / CG0009).

    Args:
        design: The study design.

    Returns:
        ``DeriveResult``: TA with ``TA_COLUMNS``; MP0630 for design inconsistencies.
    """
    names = {e.etcd: e.element for e in design.elements}
    rows = [
        (
            design.studyid,
            "TA",
            arm.armcd,
            arm.arm,
            order,
            item.etcd,
            names.get(item.etcd),
            item.tabranch,
            item.tatrans,
            item.epoch,
        )
        for arm in design.arms
        for order, item in enumerate(arm.elements, start=1)
    ]
    frame = pd.DataFrame(rows, columns=list(TA_COLUMNS))
    frame = frame.astype({n: "string" for n in TA_COLUMNS if n != "TAETORD"})
    frame["TAETORD"] = frame["TAETORD"].astype("int64")
    return DeriveResult(frame, _design_findings(design))


def build_tv(design: StudyDesign) -> DeriveResult:
    """Build TV (trial visits), SDTMIG 3.4 §7.3.1: one row per planned visit.

    VISITDY is the planned SDTM study day (no day 0: protocol Day 7 is VISITDY 8).

    Args:
        design: The study design.

    Returns:
        ``DeriveResult``: TV with ``TV_COLUMNS``; MP0630 for design inconsistencies.
    """
    rows = [
        (
            design.studyid,
            "TV",
            float(v.visitnum),
            v.visit,
            v.visitdy,
            v.tvstrl or None,
            v.tvenrl or None,
        )
        for v in design.visits
    ]
    frame = pd.DataFrame(rows, columns=list(TV_COLUMNS))
    frame = frame.astype(
        {n: "string" for n in TV_COLUMNS if n not in ("VISITNUM", "VISITDY")}
    ).astype({"VISITNUM": "float64", "VISITDY": "Int64"})
    return DeriveResult(frame, _design_findings(design))


def compute_element_anchors(
    dm: pd.DataFrame, datasets: Mapping[str, pd.DataFrame], design: StudyDesign
) -> pd.DataFrame:
    """Per-subject anchor dates the elements start on (``StudyDesign.anchors``).

    A DM anchor is the subject's DM variable; any other anchor is the subject's first (or
    last) value in time of the named variable, over the records of the anchor treatments
    (``ArmRules.anchor_treatments``), of the other treatments, or of all records. A subject
    with no such record has a null anchor (the element is then not reached).

    Args:
        dm: DM with ``USUBJID`` and the DM variables the anchors name.
        datasets: The other datasets the anchors read (e.g. ``{"EX": ex}``).
        design: The study design with its anchors and arm rules.

    Returns:
        One row per DM subject: ``USUBJID`` plus one column per anchor name.
    """
    anchors = dm[["USUBJID"]].copy()
    treatments = tuple(design.arm_rules.anchor_treatments) if design.arm_rules else ()
    for anchor in design.anchors:
        if anchor.dataset == "DM":
            anchors[anchor.name] = dm.get(anchor.variable)
            continue
        source = datasets.get(anchor.dataset)
        if source is None or source.empty or anchor.variable not in source:
            anchors[anchor.name] = pd.NA
            continue
        records = source
        if anchor.treatments != "any":
            product = source[f"{anchor.dataset}TRT"].isin(treatments)
            records = source.loc[product if anchor.treatments == "anchor" else ~product]
        ordered = records.assign(_when=compute_datetime(records[anchor.variable]))
        ordered = ordered.sort_values(["USUBJID", "_when"], kind="mergesort")
        if anchor.pick == "last":
            # Unreadable dates sort last; the last date is the latest readable one.
            ordered = ordered.loc[ordered["_when"].notna()]
        keep = "first" if anchor.pick == "first" else "last"
        picked = ordered.drop_duplicates("USUBJID", keep=keep).set_index("USUBJID")
        anchors[anchor.name] = anchors["USUBJID"].map(picked[anchor.variable])
    return anchors


def build_se(anchors: pd.DataFrame, dm: pd.DataFrame, design: StudyDesign) -> DeriveResult:
    """Build SE (subject elements), SDTMIG 3.4 §5.3, from per-subject anchor dates.

    Each subject follows the element sequence of its arm (ACTARMCD, else ARMCD, else the
    first arm of the design, whose leading elements such as screening are shared). An element
    starts on the subject's ``anchors[Element.start_anchor]`` date plus
    ``Element.start_offset_days`` (an offset gives a date-only start, and the element is
    reached only when that day is on or before RFPENDTC); elements without a start date
    were not reached and are left out. SEENDTC is the start of the subject's next
    element; the last element ends on RFPENDTC. SESEQ follows element order.

    Findings: MP0630 design inconsistencies; MP0631 an element starting before the previous
    one (its dates are kept, the order needs checking); MP0632 a DM subject with no element
    start date at all (no SE rows).

    Args:
        anchors: One row per subject: ``USUBJID`` plus the anchor date columns named by the
            elements (e.g. ``RFICDTC``, ``LDSTDTC``, ``RFSTDTC``).
        dm: DM with ``STUDYID``, ``USUBJID``, ``ARMCD``, ``ACTARMCD``, ``RFPENDTC``.
        design: The study design.

    Returns:
        ``DeriveResult``: SE with ``SE_COLUMNS``.
    """
    require_columns(anchors, ("USUBJID",), "build_se anchors")
    require_columns(dm, ("STUDYID", "USUBJID", "ARMCD", "ACTARMCD", "RFPENDTC"), "build_se DM")
    anchor_cols = [e.start_anchor for e in design.elements if e.start_anchor]
    require_columns(anchors, tuple(anchor_cols), "build_se anchors")
    first_arm = design.arms[0].armcd if design.arms else None
    subject_arm = (
        dm["ACTARMCD"].astype("string").fillna(dm["ARMCD"].astype("string")).fillna(first_arm)
    )
    by_subject = anchors.drop_duplicates("USUBJID").set_index("USUBJID")
    pieces = []
    for arm in design.arms:
        members = dm[subject_arm == arm.armcd]
        for order, item in enumerate(arm.elements, start=1):
            element = design.element(item.etcd)
            if element is None or not element.start_anchor:
                continue
            anchor = members["USUBJID"].map(by_subject[element.start_anchor]).astype("string")
            start = anchor
            if element.start_offset_days:
                shifted = compute_date(anchor) + pd.Timedelta(days=element.start_offset_days)
                # An element placed a fixed time after its anchor is not reached when
                # participation ended before that day (e.g. death in the DLT window).
                end = compute_date(members["RFPENDTC"].astype("string"))
                reached = (shifted <= end) | end.isna()
                start = shifted.dt.strftime("%Y-%m-%d").astype("string").where(reached)
            pieces.append(
                pd.DataFrame(
                    {
                        "STUDYID": members["STUDYID"].astype("string"),
                        "DOMAIN": "SE",
                        "USUBJID": members["USUBJID"].astype("string"),
                        "ETCD": item.etcd,
                        "ELEMENT": element.element,
                        "TAETORD": order,
                        "EPOCH": item.epoch,
                        "SESTDTC": start,
                        "_end": members["RFPENDTC"].astype("string"),
                    }
                )
            )
    se = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=SE_COLUMNS)
    se = se[se["SESTDTC"].notna()].sort_values(["USUBJID", "TAETORD"], kind="mergesort")
    next_start = se.groupby("USUBJID")["SESTDTC"].shift(-1)
    se["SEENDTC"] = next_start.fillna(se["_end"]).astype("string")
    previous_start = se.groupby("USUBJID")["SESTDTC"].shift(1).astype("string")
    out_of_order = (compute_dtc_compare(se["SESTDTC"], previous_start) < 0).fillna(False)
    se = se.drop(columns="_end").reset_index(drop=True)
    out_of_order = out_of_order.reset_index(drop=True)
    seq = derive_seq(se, by=("USUBJID",), order=("TAETORD",), new_var="SESEQ").frame
    seq["TAETORD"] = seq["TAETORD"].astype("int64")
    frame = seq.loc[:, list(SE_COLUMNS)]
    missing = ~dm["USUBJID"].astype("string").isin(frame["USUBJID"])
    findings = [
        _design_findings(design),
        row_findings(
            frame,
            out_of_order,
            ELEMENT_OUT_OF_ORDER,
            where_label(frame)
            + ": element "
            + frame["ETCD"]
            + " starts "
            + frame["SESTDTC"]
            + " before the previous element",
            dataset="SE",
            variable="SESTDTC",
            value=frame["SESTDTC"],
        ),
        row_findings(
            dm,
            missing,
            SUBJECT_WITHOUT_ELEMENT_DATES,
            where_label(dm) + ": the subject has no element start date; no SE records",
            dataset="SE",
            variable="SESTDTC",
        ),
    ]
    return DeriveResult(frame, FindingsTable.concat(findings))
