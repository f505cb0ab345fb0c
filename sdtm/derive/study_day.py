"""Study day (``--DY``, ``--STDY``, ``--ENDY``) relative to ``DM.RFSTDTC``."""

from __future__ import annotations

import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.derive.dates import DatePrecision, compute_date, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity

PARTIAL_DATE = DeriveRule("MP0501", "partial-date-study-day-not-derived", Severity.NOTICE)
REFERENCE_DATE_MISSING = DeriveRule("MP0502", "reference-date-missing", Severity.NOTICE)
UNREADABLE_DATE = DeriveRule("MP0503", "date-not-iso8601", Severity.WARNING)
# MP0504 (subject not in DM) is retired: that cause is reported once, by MP0013 (mapping) and
# XR0001 (validation), not again for every date of every record of the subject.
RULE_IDS: tuple[str, ...] = (
    PARTIAL_DATE.id,
    REFERENCE_DATE_MISSING.id,
    UNREADABLE_DATE.id,
)


def compute_study_day(dates: pd.Series, ref_dates: pd.Series) -> pd.Series:
    """Compute the SDTM study day of each date relative to its reference date.

    Implements SDTMIG 3.4 §4.4.4: day 1 is the reference date; days before it are negative
    (date - reference) and days on or after it are date - reference + 1, so there is no day 0.
    Only the date parts count (a 08:00 sample on the reference date is day 1). Either value
    with less than day precision gives null (CORE-000354 / CG0007): SDTM never imputes.

    Args:
        dates: ISO 8601 date/time text (``--DTC``, ``--STDTC``, ``--ENDTC``).
        ref_dates: ISO 8601 reference date/time text aligned with ``dates`` (``RFSTDTC``).

    Returns:
        Int64 Series of study days, ``<NA>`` where not computable.

    Examples:
        >>> compute_study_day(pd.Series(["2024-03-19T08:40", "2024-03-11"]),
        ...                   pd.Series(["2024-03-12T10:05", "2024-03-12T10:05"])).tolist()
        [8, -1]
    """
    delta = (compute_date(dates) - compute_date(ref_dates)).dt.days
    delta = delta.astype("Int64")
    return delta.where(delta < 0, delta + 1)


def derive_study_day(
    df: pd.DataFrame,
    dm: pd.DataFrame,
    *,
    source_var: str,
    new_var: str,
    ref_var: str = "RFSTDTC",
    dataset: str | None = None,
) -> DeriveResult:
    """Add a study-day variable computed from ``source_var`` and the subject's ``DM.<ref_var>``.

    Implements SDTMIG 3.4 §4.4.4 (see ``compute_study_day``; CORE-000529 / CG0006 for the
    value, CORE-000354 / CG0007 for null with partial dates).

    Args:
        df: Domain frame; needs ``USUBJID`` and ``source_var``.
        dm: DM frame; needs ``USUBJID`` and ``ref_var``, one row per subject.
        source_var: Date variable to convert, e.g. ``LBDTC`` or ``AESTDTC``.
        new_var: Variable to add, e.g. ``LBDY`` or ``AESTDY``.
        ref_var: Reference date variable in ``dm``.
        dataset: Dataset name for findings (defaults to the first two letters of ``new_var``).

    Returns:
        ``DeriveResult``: ``df`` plus ``new_var`` (Int64). Findings: MP0501 (notice) when the
        date or the reference date is partial; MP0502 (notice) when the subject is in DM
        without a reference date (expected for screen failures and untreated subjects);
        MP0503 (warning) when the date is not ISO 8601. Rows without a date get null silently
        (nothing to derive), and so do rows of a subject absent from DM: that cause is
        reported once per record by MP0013/XR0001, not again per date variable here.
    """
    require_columns(df, ("USUBJID", source_var), f"derive_study_day({new_var})")
    require_columns(dm, ("USUBJID", ref_var), f"derive_study_day({new_var}) DM")
    dataset = dataset or new_var[:2]
    ref = df["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")[ref_var])
    out = df.copy()
    out[new_var] = compute_study_day(df[source_var], ref)
    precision = compute_dtc_precision(df[source_var])
    ref_precision = compute_dtc_precision(ref)
    has_date = precision != DatePrecision.MISSING
    source = df[source_var].astype("string")
    invalid = precision == DatePrecision.INVALID
    no_ref = has_date & ~invalid & (ref_precision == DatePrecision.MISSING)
    in_dm = df["USUBJID"].isin(dm["USUBJID"])
    partial = (
        has_date
        & ~invalid
        & ~no_ref
        & ((precision < DatePrecision.DAY) | (ref_precision < DatePrecision.DAY))
    )
    findings = [
        row_findings(
            df,
            partial,
            PARTIAL_DATE,
            # Messages are built only when there are rows to report (most calls have none).
            (
                where_label(df)
                + f": {new_var} not derived: {source_var} "
                + source.fillna("")
                + f" or {ref_var} "
                + ref.astype("string").fillna("")
                + " has less than day precision; SDTM does not impute dates"
            )
            if partial.any()
            else "",
            dataset=dataset,
            variable=new_var,
            value=source,
        ),
        row_findings(
            df,
            no_ref & in_dm,
            REFERENCE_DATE_MISSING,
            lambda rows: (
                where_label(rows)
                + f": {new_var} null: the subject has no DM.{ref_var} "
                + "(not treated, or reference dates not derived)"
            ),
            dataset=dataset,
            variable=new_var,
            value=source,
        ),
        row_findings(
            df,
            invalid,
            UNREADABLE_DATE,
            lambda rows: (
                where_label(rows)
                + f": {new_var} not derived: {source_var} "
                + rows[source_var].astype("string").fillna("")
                + " is not an ISO 8601 date/time"
            ),
            dataset=dataset,
            variable=new_var,
            value=source,
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
