"""Planned time points (``--TPT``, ``--TPTNUM``, ``--ELTM``, ``--TPTREF``, ``--RFTDTC``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    located_message,
    require_columns,
    row_findings,
)
from sdtm.derive.dates import compute_iso_duration
from sdtm.findings import FindingsTable, Severity
from sdtm.mapping.design import TimePoint

TIMEPOINT_NOT_IN_PLAN = DeriveRule("MP0560", "timepoint-not-in-plan", Severity.WARNING)
TIMEPOINT_REFERENCE_MISSING = DeriveRule("MP0561", "timepoint-reference-missing", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (TIMEPOINT_NOT_IN_PLAN.id, TIMEPOINT_REFERENCE_MISSING.id)


def derive_timepoints(
    df: pd.DataFrame,
    timepoints: Sequence[TimePoint],
    dm: pd.DataFrame,
    *,
    domain: str,
    source_var: str,
    ref_var: str = "RFSTDTC",
) -> DeriveResult:
    """Add the planned time point variables from the nominal time label of each record.

    Implements SDTMIG 3.4 §4.4.10 (representing time points): ``--TPT`` is the planned time
    point text, ``--TPTNUM`` its number (here nominal hours from the reference, so pre-infusion
    ``-1`` sorts before ``0.25`` and ``168``), ``--ELTM`` the planned elapsed time as an ISO 8601
    duration (``P7D``, ``-PT1H``), ``--TPTREF`` the reference event and ``--RFTDTC`` its
    date/time. ``--RFTDTC`` is the subject's ``DM.<ref_var>`` (RFSTDTC = CAR-T infusion start
    in this study's design). Actual times stay in ``--DTC``.

    Findings: MP0560 when a label is not a planned time point (all five variables null);
    MP0561 when the subject has no reference date (``--RFTDTC`` null).

    Args:
        df: Findings frame with ``USUBJID`` and ``source_var``.
        timepoints: Planned time points (``StudyDesign.timepoints``).
        dm: DM frame with ``USUBJID`` and ``ref_var``.
        domain: Domain prefix, e.g. ``PC``.
        source_var: Column holding the nominal time label as collected (e.g. ``D7``).
        ref_var: Reference date variable in ``dm``.

    Returns:
        ``DeriveResult``: ``df`` plus ``--TPT``, ``--TPTNUM``, ``--ELTM``, ``--TPTREF``,
        ``--RFTDTC``.
    """
    require_columns(df, ("USUBJID", source_var), "derive_timepoints")
    require_columns(dm, ("USUBJID", ref_var), "derive_timepoints DM")
    plan = pd.DataFrame(
        [
            (
                tp.label.strip().upper(),
                tp.tpt,
                float(tp.tptnum),
                float(tp.tptnum if tp.eltm_hours is None else tp.eltm_hours),
                tp.tptref,
            )
            for tp in timepoints
        ],
        columns=["label", "tpt", "tptnum", "eltm_hours", "tptref"],
    ).drop_duplicates("label")
    plan["eltm"] = compute_iso_duration(plan["eltm_hours"])
    plan = plan.set_index("label")
    label = df[source_var].astype("string").str.strip().str.upper()
    has_label = (label.notna() & (label != "")).fillna(False)
    known = label.isin(plan.index).fillna(False)
    ref = df["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")[ref_var])
    ref = ref.astype("string")

    out = df.copy()
    out[f"{domain}TPT"] = label.map(plan["tpt"]).astype("string")
    out[f"{domain}TPTNUM"] = label.map(plan["tptnum"]).astype("float64")
    out[f"{domain}ELTM"] = label.map(plan["eltm"]).astype("string")
    out[f"{domain}TPTREF"] = label.map(plan["tptref"]).astype("string")
    out[f"{domain}RFTDTC"] = ref.where(known)
    not_planned = has_label & ~known
    no_reference = known & ref.isna()
    findings = [
        row_findings(
            df,
            not_planned,
            TIMEPOINT_NOT_IN_PLAN,
            located_message(
                not_planned,
                f": nominal time {df[source_var].name} ",
                df[source_var].astype("string").fillna(""),
                " is not a planned time point; time point variables left null",
            ),
            dataset=domain,
            variable=f"{domain}TPT",
            value=df[source_var].astype("string"),
        ),
        row_findings(
            df,
            no_reference,
            TIMEPOINT_REFERENCE_MISSING,
            located_message(
                no_reference, f": {domain}RFTDTC null: the subject has no DM.{ref_var}"
            ),
            dataset=domain,
            variable=f"{domain}RFTDTC",
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
