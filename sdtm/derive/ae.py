"""AE derivations: worst grade per event and treatment emergence.

The daily grade history itself is mapped to FA by the mapping spec (``fa.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    key_text,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.derive.dates import compute_dtc_compare, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity

GRADE_NOT_A_DIGIT = DeriveRule("MP0600", "grade-not-a-digit", Severity.WARNING)
GRADE_LOG_EVENT_NOT_IN_AE = DeriveRule("MP0601", "grade-log-event-not-in-ae", Severity.WARNING)
TREATMENT_EMERGENCE_NOT_DERIVED = DeriveRule(
    "MP0602", "treatment-emergence-not-derived", Severity.WARNING
)
TREATMENT_EMERGENCE_FROM_PARTIAL_DATE = DeriveRule(
    "MP0603", "treatment-emergence-from-partial-date", Severity.NOTICE
)
RULE_IDS: tuple[str, ...] = (
    GRADE_NOT_A_DIGIT.id,
    GRADE_LOG_EVENT_NOT_IN_AE.id,
    TREATMENT_EMERGENCE_NOT_DERIVED.id,
    TREATMENT_EMERGENCE_FROM_PARTIAL_DATE.id,
)

_GRADE_RE = r"^\s*[0-5]\s*$"


def _grades(grade_log: pd.DataFrame, source_var: str) -> tuple[pd.Series, pd.Series]:
    """Return (numeric grade, is-invalid mask) of the grade log rows."""
    text = grade_log[source_var].astype("string")
    valid = text.str.match(_GRADE_RE).fillna(False)
    present = (text.notna() & (text.str.strip() != "")).fillna(False)
    return pd.to_numeric(text.where(valid), errors="coerce"), present & ~valid


def _key_frame(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Return the ``by`` columns as comparable key text (``3`` and ``3.0`` match)."""
    return pd.DataFrame({name: key_text(frame[name]) for name in by})


def derive_worst_grade(
    ae: pd.DataFrame,
    grade_log: pd.DataFrame,
    *,
    by: Sequence[str] = ("USUBJID", "AESPID"),
    source_var: str = "GRADE",
    new_var: str = "AETOXGR",
) -> DeriveResult:
    """Set the event's toxicity grade to the worst grade of its daily grade log.

    Implements the SDTMIG 3.4 AE assumption that a sponsor may represent an event as one
    record summarised at its highest severity/grade (brief 2.4 and decision 5.3: one AE per
    CRS/ICANS episode at its worst grade, the daily grades in FA, mapped by the study's
    ``fa.yaml``). AETOXGR is text of digits only ("4"). An AE's own collected
    ``new_var`` counts as one more grade. Grades that are not a digit 0-5 are ignored with
    MP0600; log rows whose event is not in ``ae`` give MP0601 (their grades go nowhere
    else, so the finding keeps them from being lost). Events with no grade at all keep a null
    without a finding: the grade may not have been collected.

    Args:
        ae: AE frame, one row per event, with the ``by`` columns.
        grade_log: Daily grade records with the ``by`` columns and ``source_var``.
        by: Keys that tie a log row to its AE (subject and the CRF line number).
        source_var: Grade column of ``grade_log``.
        new_var: Grade variable of ``ae``.

    Returns:
        ``DeriveResult``: ``ae`` with ``new_var`` set to the worst grade.
    """
    require_columns(ae, tuple(by), "derive_worst_grade AE")
    require_columns(grade_log, (*by, source_var), "derive_worst_grade")
    grade, invalid = _grades(grade_log, source_var)
    log_keys = _key_frame(grade_log, by)
    worst = log_keys.assign(_grade=grade).dropna(subset=["_grade"])
    worst = worst.groupby(list(by), dropna=False)["_grade"].max().reset_index()
    ae_keys = _key_frame(ae, by).reset_index(names="_row")
    merged = ae_keys.merge(worst, on=list(by), how="left").set_index("_row")["_grade"]
    own = (
        pd.to_numeric(
            ae[new_var]
            .astype("string")
            .where(ae[new_var].astype("string").str.match(_GRADE_RE).fillna(False)),
            errors="coerce",
        )
        if new_var in ae.columns
        else pd.Series(float("nan"), index=ae.index)
    )
    best = pd.concat([merged.reindex(range(len(ae))).set_axis(ae.index), own], axis=1).max(axis=1)
    out = ae.copy()
    out[new_var] = best.astype("Int64").astype("string")
    known = (
        log_keys.merge(
            _key_frame(ae, by).drop_duplicates().assign(_known=True), on=list(by), how="left"
        )["_known"]
        .notna()
        .to_numpy()
    )
    where = where_label(grade_log)
    # "USUBJID=S1, AESPID=3": built column by column (a handful), not row by row.
    event_label = pd.Series("", index=grade_log.index, dtype="string")
    for position, name in enumerate(by):
        separator = "" if position == 0 else ", "
        event_label = event_label + separator + name + "=" + log_keys[name].fillna("").to_numpy()
    findings = [
        row_findings(
            grade_log,
            invalid,
            GRADE_NOT_A_DIGIT,
            where
            + f": grade {source_var} "
            + grade_log[source_var].astype("string").fillna("")
            + " is not a digit 0-5; ignored for the worst grade",
            dataset="AE",
            variable=new_var,
            value=grade_log[source_var].astype("string"),
        ),
        row_findings(
            grade_log,
            pd.Series(~known, index=grade_log.index),
            GRADE_LOG_EVENT_NOT_IN_AE,
            where
            + ": grade record of event "
            + event_label
            + " has no adverse event record; it is not used",
            dataset="AE",
            variable=new_var,
            value=grade_log[source_var].astype("string"),
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def derive_treatment_emergent_flag(
    ae: pd.DataFrame,
    dm: pd.DataFrame,
    *,
    ref_var: str = "RFXSTDTC",
    new_var: str = "AETRTEM",
) -> DeriveResult:
    """Flag treatment-emergent adverse events (``AETRTEM``, a SUPPAE qualifier).

    Rule (stated for define.xml and the SDRG; FDA expects the flag, P21 SD1097): an AE is
    treatment-emergent ("Y") when AESTDTC is on or after the first dose of any study treatment
    (``DM.RFXSTDTC``, the first lymphodepletion dose), compared at their common precision;
    "N" when it starts before, and for subjects never dosed. A partial start date that cannot
    be shown to be before the first dose counts as emergent (the conservative reading) with
    notice MP0603. A missing or non-ISO AESTDTC of a dosed subject gives null and MP0602.

    Args:
        ae: AE frame with ``USUBJID`` and ``AESTDTC``.
        dm: DM frame with ``USUBJID`` and ``ref_var``.
        ref_var: First-dose date variable in ``dm``.
        new_var: Flag variable to add.

    Returns:
        ``DeriveResult``: ``ae`` plus ``new_var`` ("Y", "N" or null).
    """
    require_columns(ae, ("USUBJID", "AESTDTC"), "derive_treatment_emergent_flag")
    require_columns(dm, ("USUBJID", ref_var), "derive_treatment_emergent_flag DM")
    ref = ae["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")[ref_var])
    ref = ref.astype("string")
    dosed = ref.notna()
    cmp = compute_dtc_compare(ae["AESTDTC"], ref)
    flag = pd.Series(pd.NA, index=ae.index, dtype="string")
    flag = flag.mask(~dosed, "N")
    flag = flag.mask((cmp < 0).fillna(False), "N")
    flag = flag.mask((cmp >= 0).fillna(False), "Y")
    partial = (
        (cmp == 0) & (compute_dtc_precision(ae["AESTDTC"]) < compute_dtc_precision(ref))
    ).fillna(False)
    out = ae.copy()
    out[new_var] = flag
    where = where_label(ae)
    start = ae["AESTDTC"].astype("string")
    findings = [
        row_findings(
            ae,
            dosed & cmp.isna(),
            TREATMENT_EMERGENCE_NOT_DERIVED,
            where
            + f": {new_var} not derived: AESTDTC "
            + start.fillna("(null)")
            + " is missing or not ISO 8601",
            dataset="AE",
            variable=new_var,
            value=start,
        ),
        row_findings(
            ae,
            partial,
            TREATMENT_EMERGENCE_FROM_PARTIAL_DATE,
            where
            + ": AESTDTC "
            + start.fillna("")
            + f" cannot be ordered against {ref_var} "
            + ref.fillna("")
            + f" at its precision; {new_var} set to Y (conservative)",
            dataset="AE",
            variable=new_var,
            value=start,
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
